package sftpd

import (
	"errors"
	"io"
	"os"
	"time"

	"github.com/pkg/sftp"
)

// LostPupils is the Lost Pupil Database as the /lost-pupils folder shows
// it to LA lost-pupil roles. Errors it returns are shown to the user.
type LostPupils interface {
	// Search runs a search folder's query: its result files and results.csv.
	Search(who Identity, query string) ([]LostEntry, []byte, error)
	// Claimed lists the records the user's LA has claimed.
	Claimed(who Identity) ([]LostEntry, error)
	// Claim claims a record found by query for the user's LA.
	Claim(who Identity, query string, id int64) error
	// Open opens a claimed record's file.
	Open(who Identity, id int64) (*os.File, error)
	// Forward sends a claimed record's file to a school under name.
	Forward(who Identity, id int64, name string) error

	// CheckMatch says, at OPEN, whether a CSV may be uploaded for batch
	// matching under name, and returns its size limit.
	CheckMatch(who Identity, name string) (limit int64, err error)
	// Match matches the CSV uploaded as name, staged in the file staged,
	// and stores it with NAME.results.csv in the match folder before it
	// returns. On error the staged file is the caller's to remove.
	Match(who Identity, name, staged string) error
	// MatchFiles lists the match folder: the CSVs and their results.
	MatchFiles(who Identity) ([]LostEntry, error)
	// MatchOpen opens a file of the match folder.
	MatchOpen(who Identity, name string) (*os.File, error)
	// MatchRemove deletes a file of the match folder.
	MatchRemove(who Identity, name string) error
}

// LostEntry is a record shown as a file.
type LostEntry struct {
	ID       int64
	Name     string
	Size     int64
	Uploaded time.Time
}

// The folders under /lost-pupils.
const (
	lostFolder  = "lost-pupils"
	lostSearch  = "search"
	lostClaimed = "claimed"
	lostMatch   = "match"
	resultsCSV  = "results.csv"
)

// lostEntry finds name among entries.
func lostEntry(entries []LostEntry, name string) (LostEntry, bool) {
	for _, e := range entries {
		if e.Name == name {
			return e, true
		}
	}
	return LostEntry{}, false
}

func lostInfo(e LostEntry, mode os.FileMode) fileInfo {
	return fileInfo{name: e.Name, size: e.Size, mode: mode, mtime: e.Uploaded}
}

// lostList lists a folder under /lost-pupils.
func (s *session) lostList(t target) (listerAt, error) {
	switch len(t.lost) {
	case 0:
		return listerAt{dirInfo(lostSearch, false), dirInfo(lostClaimed, false), dirInfo(lostMatch, true)}, nil
	case 1:
		if t.lost[0] == lostSearch {
			return listerAt{}, nil // the search root lists nothing
		}
		if t.lost[0] == lostMatch {
			return s.matchList()
		}
		entries, err := s.srv.lost.Claimed(s.who)
		if err != nil {
			return nil, failure("%s", err.Error())
		}
		out := listerAt{}
		for _, e := range entries {
			out = append(out, lostInfo(e, 0o600))
		}
		return out, nil
	case 2:
		if t.lost[0] != lostSearch { // a file of claimed or match
			if _, err := s.lostStat(t); err != nil {
				return nil, err
			}
			return nil, failure("%s is not a folder", t.path)
		}
		entries, csv, err := s.search(t.lost[1])
		if err != nil {
			return nil, failure("%s", err.Error())
		}
		out := listerAt{fileInfo{name: resultsCSV, size: int64(len(csv)), mode: 0o400, mtime: s.srv.now()}}
		for _, e := range entries {
			out = append(out, lostInfo(e, 0o400))
		}
		return out, nil
	}
	return nil, failure("%s is not a folder", t.path)
}

// lostStat describes a path under /lost-pupils.
func (s *session) lostStat(t target) (os.FileInfo, error) {
	switch {
	case len(t.lost) == 0:
		return dirInfo(lostFolder, false), nil
	case len(t.lost) == 1:
		return dirInfo(t.lost[0], t.lost[0] == lostMatch), nil
	case t.lost[0] == lostMatch:
		return s.matchStat(t)
	case t.lost[0] == lostSearch && len(t.lost) == 2:
		if _, _, err := s.search(t.lost[1]); err != nil {
			return nil, failure("%s", err.Error())
		}
		return dirInfo(t.lost[1], false), nil
	case t.lost[0] == lostSearch && len(t.lost) == 3:
		entries, csv, err := s.search(t.lost[1])
		if err != nil {
			return nil, failure("%s", err.Error())
		}
		if t.lost[2] == resultsCSV {
			return fileInfo{name: resultsCSV, size: int64(len(csv)), mode: 0o400, mtime: s.srv.now()}, nil
		}
		if e, ok := lostEntry(entries, t.lost[2]); ok {
			return lostInfo(e, 0o400), nil
		}
	case t.lost[0] == lostClaimed && len(t.lost) == 2:
		entries, err := s.srv.lost.Claimed(s.who)
		if err != nil {
			return nil, failure("%s", err.Error())
		}
		if e, ok := lostEntry(entries, t.lost[1]); ok {
			return lostInfo(e, 0o600), nil
		}
	}
	return nil, notFound(t.path)
}

// lostRead opens results.csv or a claimed record for download. A result
// inside a search folder cannot be read: it must be claimed first.
func (s *session) lostRead(t target) (io.ReaderAt, error) {
	if _, err := s.lostStat(t); err != nil {
		return nil, err
	}
	switch {
	case t.lost[0] == lostMatch && len(t.lost) == 2:
		return s.matchRead(t)
	case t.lost[0] == lostSearch && len(t.lost) == 3 && t.lost[2] == resultsCSV:
		_, csv, err := s.search(t.lost[1])
		if err != nil {
			return nil, failure("%s", err.Error())
		}
		return readerAt{csv}, nil
	case t.lost[0] == lostSearch && len(t.lost) == 3:
		return nil, denied("%s cannot be downloaded from a search: move it to /lost-pupils/claimed/ to claim the record for your LA, then download it there", t.lost[2])
	case t.lost[0] == lostClaimed && len(t.lost) == 2:
		entries, err := s.srv.lost.Claimed(s.who)
		if err != nil {
			return nil, failure("%s", err.Error())
		}
		e, _ := lostEntry(entries, t.lost[1])
		f, err := s.srv.lost.Open(s.who, e.ID)
		if err != nil {
			return nil, notFound(t.path)
		}
		return &download{sess: s, f: f, folder: lostFolder + "/" + lostClaimed, name: e.Name, size: e.Size}, nil
	}
	return nil, failure("%s is a folder", t.path)
}

// lostRename claims a search result (a move into /lost-pupils/claimed/) or
// forwards a claimed record (a move into /outbox/ under an LA-to-school
// name).
func (s *session) lostRename(src, dst target) error {
	switch {
	case len(src.lost) == 2 && src.lost[0] == lostMatch:
		return s.matchRename(src, dst)
	case src.lost != nil && len(src.lost) == 3 && src.lost[0] == lostSearch && src.lost[2] != resultsCSV &&
		dst.lost != nil && len(dst.lost) >= 1 && dst.lost[0] == lostClaimed && len(dst.lost) <= 2:
		entries, _, err := s.search(src.lost[1])
		if err != nil {
			return failure("%s", err.Error())
		}
		e, ok := lostEntry(entries, src.lost[2])
		if !ok {
			return notFound(src.path)
		}
		err = s.srv.lost.Claim(s.who, src.lost[1], e.ID)
		s.forgetSearches()
		if err != nil {
			return failure("%s", err.Error())
		}
		s.log.Info().Int64("lost_record", e.ID).Msg("lost pupil record claimed")
		return nil
	case src.lost != nil && len(src.lost) == 2 && src.lost[0] == lostClaimed && dst.folder != nil && dst.folder.upload && dst.name != "":
		entries, err := s.srv.lost.Claimed(s.who)
		if err != nil {
			return failure("%s", err.Error())
		}
		e, ok := lostEntry(entries, src.lost[1])
		if !ok {
			return notFound(src.path)
		}
		if err := s.srv.lost.Forward(s.who, e.ID, dst.name); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return notFound(src.path)
			}
			return failure("%s", err.Error())
		}
		return nil
	}
	return denied("in /lost-pupils, move a search result into /lost-pupils/claimed/ to claim it, and a claimed record into /outbox/ under an LA-to-school name to forward it")
}

// lostRemove deletes a file of /lost-pupils/match/; nothing else under
// /lost-pupils can be deleted.
func (s *session) lostRemove(t target) error {
	if len(t.lost) == 2 && t.lost[0] == lostMatch {
		return s.matchRemove(t)
	}
	if _, err := s.lostStat(t); err != nil {
		return err
	}
	return denied("%s cannot be deleted", t.path)
}

// lostWrite opens a file for upload under /lost-pupils: only a CSV into
// /lost-pupils/match/.
func (s *session) lostWrite(t target, flags sftp.FileOpenFlags) (io.WriterAt, error) {
	if len(t.lost) != 2 || t.lost[0] != lostMatch {
		return nil, denied("%s: under /lost-pupils, only CSV files for batch matching can be uploaded, into /lost-pupils/match/; send other files from /outbox/", t.path)
	}
	return s.matchWrite(t.lost[1], flags)
}

// readerAt serves bytes made when the file was opened.
type readerAt struct{ b []byte }

func (r readerAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(r.b)) {
		return 0, io.EOF
	}
	n := copy(p, r.b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

var _ sftp.ListerAt = listerAt(nil)
