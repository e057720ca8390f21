package sftpd

import (
	"errors"
	"io"
	"os"

	"github.com/pkg/sftp"

	"github.com/s2sd/s2sd/ledger"
)

// matchDir is the virtual path of the batch-matching folder.
const matchDir = "/" + lostFolder + "/" + lostMatch

// matchKeeper takes CSVs uploaded into /lost-pupils/match/: the Lost
// Pupil Database matches each and stores it with its results before the
// client gets OK.
type matchKeeper struct{ s *session }

func (k matchKeeper) checkPut(name string) (int64, string, error) {
	limit, err := k.s.srv.lost.CheckMatch(k.s.who, name)
	if err != nil {
		return 0, "", failure("%s", err.Error())
	}
	return limit, "a batch-matching CSV: split it into smaller files", nil
}

func (k matchKeeper) put(name, staged string) error {
	if err := k.s.srv.lost.Match(k.s.who, name, staged); err != nil {
		return failure("%s", err.Error())
	}
	return nil
}

// matchWrite opens name in /lost-pupils/match/ for upload.
func (s *session) matchWrite(name string, flags sftp.FileOpenFlags) (io.WriterAt, error) {
	return s.keptWrite(matchDir, name, matchKeeper{s}, flags)
}

// matchList lists /lost-pupils/match/: the CSVs, their results, and
// uploads in progress.
func (s *session) matchList() (listerAt, error) {
	entries, err := s.srv.lost.MatchFiles(s.who)
	if err != nil {
		return nil, failure("%s", err.Error())
	}
	out := listerAt{}
	for _, e := range entries {
		out = append(out, lostInfo(e, 0o600))
	}
	return s.keptPendingIn(matchDir, out), nil
}

// matchStat describes a file of /lost-pupils/match/.
func (s *session) matchStat(t target) (os.FileInfo, error) {
	if len(t.lost) != 2 {
		return nil, notFound(t.path)
	}
	entries, err := s.srv.lost.MatchFiles(s.who)
	if err != nil {
		return nil, failure("%s", err.Error())
	}
	if e, ok := lostEntry(entries, t.lost[1]); ok {
		return lostInfo(e, 0o600), nil
	}
	if u := s.keptPending(matchDir, t.lost[1]); u != nil {
		return u.info(), nil
	}
	return nil, notFound(t.path)
}

// matchRead opens a CSV or its results for download.
func (s *session) matchRead(t target) (io.ReaderAt, error) {
	name := t.lost[1]
	f, err := s.srv.lost.MatchOpen(s.who, name)
	if err != nil {
		if s.keptPending(matchDir, name) != nil {
			return nil, failure("%s is still being uploaded", name)
		}
		if errors.Is(err, os.ErrNotExist) {
			return nil, notFound(t.path)
		}
		return nil, failure("%s", err.Error())
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, clientError(s.logged(err))
	}
	return &download{sess: s, f: f, folder: lostFolder + "/" + lostMatch, name: name, size: fi.Size()}, nil
}

// matchRename completes an upload sent under a client temporary name.
// Nothing else in /lost-pupils/match/ can be renamed.
func (s *session) matchRename(src, dst target) error {
	u := s.keptPending(matchDir, src.lost[1])
	if u == nil || !u.temp {
		if _, err := s.matchStat(src); err != nil {
			return err
		}
		return denied("files in /lost-pupils/match/ cannot be renamed: upload the CSV again under the name you want")
	}
	if len(dst.lost) != 2 || dst.lost[0] != lostMatch {
		return denied("rename %s to its final name in /lost-pupils/match/", u.name)
	}
	return s.keptRename(u, matchDir, dst.lost[1])
}

// matchRemove deletes a CSV or its results, or discards an upload that
// is not in progress.
func (s *session) matchRemove(t target) error {
	name := t.lost[1]
	if u := s.keptPending(matchDir, name); u != nil {
		return s.keptRemovePending(u)
	}
	if err := s.srv.lost.MatchRemove(s.who, name); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return notFound(t.path)
		}
		return failure("%s", err.Error())
	}
	s.audit(ledger.EventDelete, t.path, "")
	return nil
}
