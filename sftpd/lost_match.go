package sftpd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/pkg/sftp"

	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/spool"
)

// matchUpload is a CSV being uploaded into /lost-pupils/match/ for batch
// matching. Like an outbox upload, its bytes go to a staging file, and it
// is acknowledged at a clean CLOSE, or for a client temporary name at the
// RENAME to its final name: LostPupils.Match then matches it and stores
// it with its results before the client gets OK. An aborted upload, or
// one its session leaves unfinished, is discarded.
type matchUpload struct {
	stagedFile
	commit bool // being matched; guarded by mu
}

var (
	_ io.WriterAt        = (*matchUpload)(nil)
	_ io.Closer          = (*matchUpload)(nil)
	_ sftp.TransferError = (*matchUpload)(nil)
)

// matchUploads returns the mailbox's uploads into /lost-pupils/match/,
// by name; box.mu must be held.
func (b *boxState) matchUploads() map[string]*matchUpload {
	if b.match == nil {
		b.match = make(map[string]*matchUpload)
	}
	return b.match
}

// matchWrite opens name in /lost-pupils/match/ for upload. The name is
// checked before any data is sent.
func (s *session) matchWrite(name string, flags sftp.FileOpenFlags) (io.WriterAt, error) {
	if s.srv.ctx.Err() != nil {
		return nil, failure("the server is shutting down; send %s again in a few minutes", name)
	}
	limit, err := s.srv.lost.CheckMatch(s.who, s.finalName(name))
	if err != nil {
		return nil, failure("%s", err.Error())
	}
	box := s.srv.boxes.get(s.view.box)
	box.mu.Lock()
	defer box.mu.Unlock()
	if u := box.matchUploads()[name]; u != nil {
		u.mu.Lock()
		defer u.mu.Unlock()
		if u.open || u.commit {
			return nil, failure("%s is being uploaded in another session; wait for it to finish", name)
		}
		if flags.Excl {
			return nil, failure("%s already exists", name)
		}
		f, err := os.OpenFile(u.staged, os.O_WRONLY, 0)
		if err != nil {
			return nil, clientError(s.logged(err))
		}
		if flags.Trunc {
			if err := f.Truncate(0); err != nil {
				f.Close()
				return nil, clientError(s.logged(err))
			}
			u.size = 0
		}
		u.sess, u.limit, u.f, u.open, u.done, u.err, u.aborted, u.append = s, limit, f, true, false, nil, false, flags.Append
		return u, nil
	}
	f, err := newStagingFile(s.srv.spool.Dir(s.view.box, spool.Staging))
	if err != nil {
		return nil, clientError(s.logged(err))
	}
	u := &matchUpload{stagedFile: stagedFile{sess: s, name: name, temp: s.tempName(name), staged: f.Name(), limit: limit,
		limitNote: "a batch-matching CSV: split it into smaller files", append: flags.Append, f: f, open: true, mtime: s.srv.now()}}
	box.matchUploads()[name] = u
	return u, nil
}

// Close ends a handle: a clean close of a plain name matches the file; of
// a temporary name it keeps the file for the final rename.
func (u *matchUpload) Close() error {
	if why, err := u.closeHandle(); why != "" {
		u.sess.matchDiscard(u, why)
		return err
	}
	if u.temp {
		return nil
	}
	return u.sess.matchCommit(u, u.name)
}

// matchCommit hands a complete upload to the Lost Pupil Database, which
// matches it and stores it under name with its results.
func (s *session) matchCommit(u *matchUpload, name string) error {
	u.mu.Lock()
	u.commit = true
	u.mu.Unlock()
	if err := s.srv.lost.Match(s.who, name, u.staged); err != nil {
		s.matchDiscard(u, "not matched")
		return failure("%s", err.Error())
	}
	box := s.srv.boxes.get(s.view.box)
	box.mu.Lock()
	if box.matchUploads()[u.name] == u {
		delete(box.match, u.name)
	}
	box.mu.Unlock()
	s.audit(ledger.EventUpload, "/"+lostFolder+"/"+lostMatch+"/"+name, fmt.Sprintf("size=%d", u.size))
	s.log.Info().Str(logFile, name).Int64(logSize, u.size).Msg("batch-matching CSV matched")
	return nil
}

// matchDiscard removes an upload that will never be matched.
func (s *session) matchDiscard(u *matchUpload, why string) {
	box := s.srv.boxes.get(s.view.box)
	box.mu.Lock()
	if box.matchUploads()[u.name] == u {
		delete(box.match, u.name)
	}
	box.mu.Unlock()
	u.mu.Lock()
	if u.f != nil {
		u.f.Close()
		u.f = nil
	}
	u.mu.Unlock()
	os.Remove(u.staged)
	s.audit(ledger.EventUploadAborted, "/"+lostFolder+"/"+lostMatch+"/"+u.name, why)
	s.log.Info().Str(logFile, u.name).Str("reason", why).Msg("batch-matching upload discarded")
}

// matchCleanup discards the session's unfinished uploads into
// /lost-pupils/match/, temporary names never renamed included.
func (s *session) matchCleanup() {
	box := s.srv.boxes.get(s.view.box)
	box.mu.Lock()
	var left []*matchUpload
	for _, u := range box.match {
		if u.sess == s {
			left = append(left, u)
		}
	}
	box.mu.Unlock()
	for _, u := range left {
		s.matchDiscard(u, "session ended before the upload completed")
	}
}

// matchPending returns the upload in progress under name, if any.
func (s *session) matchPending(name string) *matchUpload {
	box := s.srv.boxes.get(s.view.box)
	box.mu.Lock()
	defer box.mu.Unlock()
	return box.matchUploads()[name]
}

// matchList lists /lost-pupils/match/: the CSVs, their results, and
// uploads in progress.
func (s *session) matchList() (listerAt, error) {
	entries, err := s.srv.lost.MatchFiles(s.who)
	if err != nil {
		return nil, failure("%s", err.Error())
	}
	out := listerAt{}
	seen := map[string]bool{}
	for _, e := range entries {
		seen[e.Name] = true
		out = append(out, lostInfo(e, 0o600))
	}
	box := s.srv.boxes.get(s.view.box)
	box.mu.Lock()
	var ups []*matchUpload
	for name, u := range box.match {
		if !seen[name] {
			ups = append(ups, u)
		}
	}
	box.mu.Unlock()
	for _, u := range ups {
		out = append(out, u.info())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
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
	if u := s.matchPending(t.lost[1]); u != nil {
		return u.info(), nil
	}
	return nil, notFound(t.path)
}

// matchRead opens a CSV or its results for download.
func (s *session) matchRead(t target) (io.ReaderAt, error) {
	name := t.lost[1]
	f, err := s.srv.lost.MatchOpen(s.who, name)
	if err != nil {
		if s.matchPending(name) != nil {
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
	u := s.matchPending(src.lost[1])
	if u == nil || !u.temp {
		if _, err := s.matchStat(src); err != nil {
			return err
		}
		return denied("files in /lost-pupils/match/ cannot be renamed: upload the CSV again under the name you want")
	}
	if len(dst.lost) != 2 || dst.lost[0] != lostMatch {
		return denied("rename %s to its final name in /lost-pupils/match/", u.name)
	}
	name := dst.lost[1]
	u.mu.Lock()
	open, done, size := u.open || u.commit, u.done, u.size
	u.mu.Unlock()
	switch {
	case open:
		return failure("%s is still being uploaded; close it before renaming", u.name)
	case !done:
		return failure("%s is incomplete; upload it again", u.name)
	case s.tempName(name):
		return denied("rename %s to its final name, without the temporary suffix", u.name)
	}
	limit, err := s.srv.lost.CheckMatch(s.who, name)
	if err != nil {
		return failure("%s", err.Error())
	}
	if size > limit {
		s.matchDiscard(u, "too large")
		return failure("%s is larger than the %s limit for a batch-matching CSV: split it into smaller files; the upload has been discarded", name, formatSize(limit))
	}
	return s.matchCommit(u, name)
}

// matchRemove deletes a CSV or its results, or discards an upload that
// is not in progress.
func (s *session) matchRemove(t target) error {
	name := t.lost[1]
	if u := s.matchPending(name); u != nil {
		u.mu.Lock()
		busy := u.open || u.commit
		u.mu.Unlock()
		if busy {
			return failure("%s is still being uploaded", name)
		}
		s.matchDiscard(u, "removed by the client")
		return nil
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
