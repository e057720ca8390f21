package sftpd

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"

	"github.com/pkg/sftp"

	"github.com/s2sd/s2sd/spool"
)

var errEOF = io.EOF

// Filelist serves READDIR (List), STAT (Stat) and READLINK.
func (s *session) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	switch r.Method {
	case "List":
		t, err := s.view.resolve(r.Filepath)
		if err != nil {
			return nil, err
		}
		if t.folder == nil {
			out := make(listerAt, 0, len(s.view.folders))
			for _, f := range s.view.folders {
				out = append(out, dirInfo(f.name, f.upload))
			}
			return out, nil
		}
		if t.lost != nil {
			return s.lostList(t)
		}
		if t.report != nil {
			return s.reportList(t)
		}
		if t.doc != nil {
			return s.docList(t)
		}
		if t.folder.withdr && t.name == "" {
			return s.withdrawList()
		}
		if t.name != "" {
			return nil, failure("%s is not a folder", t.path)
		}
		l, err := s.listFolder(t)
		return l, clientError(s.logged(err))
	case "Stat":
		return s.Lstat(r)
	case "Readlink":
		if _, err := s.view.resolve(r.Filepath); err != nil {
			return nil, err
		}
		return nil, failure("%s is not a link", cleanPath(r.Filepath))
	}
	return nil, unsupported("%s is not supported", r.Method)
}

// Lstat serves LSTAT and STAT alike: the view has no links.
func (s *session) Lstat(r *sftp.Request) (sftp.ListerAt, error) {
	t, err := s.view.resolve(r.Filepath)
	if err != nil {
		return nil, err
	}
	fi, err := s.stat(t)
	if err != nil {
		return nil, err
	}
	return listerAt{fi}, nil
}

// stat describes a target, or reports it missing.
func (s *session) stat(t target) (os.FileInfo, error) {
	switch {
	case t.folder == nil:
		return dirInfo("/", false), nil
	case t.lost != nil:
		return s.lostStat(t)
	case t.report != nil:
		return s.reportStat(t)
	case t.doc != nil:
		return s.docStat(t)
	case t.folder.withdr && t.name != "":
		return s.withdrawStat(t)
	case t.name == "":
		return dirInfo(t.folder.name, t.folder.upload), nil
	}
	if fi, err := os.Lstat(s.diskPath(t)); err == nil && fi.Mode().IsRegular() {
		return s.fileInfo(t, fi), nil
	}
	if t.folder.name == spool.Outbox {
		box := s.srv.boxes.get(s.view.box)
		box.mu.Lock()
		defer box.mu.Unlock()
		if u := box.uploads[t.name]; u != nil {
			return u.info(), nil
		}
		if r, ok := box.recentLocked(t.name, s.srv.now()); ok {
			return fileInfo{name: t.name, size: r.size, mode: 0o400, mtime: r.mtime}, nil
		}
	}
	return nil, notFound(t.path)
}

func (s *session) fileInfo(t target, fi os.FileInfo) fileInfo {
	mode := fs.FileMode(0o600)
	if t.folder.name == spool.Outbox { // sent: read-only
		mode = 0o400
	}
	return fileInfo{name: fi.Name(), size: fi.Size(), mode: mode, mtime: fi.ModTime()}
}

// listFolder lists the regular files of a folder; /outbox adds uploads in
// progress and files just sent.
func (s *session) listFolder(t target) (listerAt, error) {
	entries, err := os.ReadDir(s.srv.spool.Dir(s.view.box, t.folder.name))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	seen := make(map[string]bool)
	var out listerAt
	for _, e := range entries {
		if !e.Type().IsRegular() || e.Name()[0] == '.' {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // routed away meanwhile
		}
		seen[e.Name()] = true
		out = append(out, s.fileInfo(t, fi))
	}
	if t.folder.name == spool.Outbox {
		box := s.srv.boxes.get(s.view.box)
		box.mu.Lock()
		var ups []*upload
		for name, u := range box.uploads {
			if !seen[name] {
				seen[name] = true
				ups = append(ups, u)
			}
		}
		now := s.srv.now()
		box.pruneLocked(now)
		for name, r := range box.recent {
			if !seen[name] {
				seen[name] = true
				out = append(out, fileInfo{name: name, size: r.size, mode: 0o400, mtime: r.mtime})
			}
		}
		box.mu.Unlock()
		for _, u := range ups {
			out = append(out, u.info())
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

func cleanPath(p string) string { return path.Clean("/" + p) }

func asStatus(err error, se **statusError) bool { return errors.As(err, se) }

// logged logs an unexpected error before clientError hides it.
func (s *session) logged(err error) error {
	var se *statusError
	if err != nil && !errors.As(err, &se) {
		s.log.Error().Err(err).Msg("request failed")
	}
	return err
}
