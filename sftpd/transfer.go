package sftpd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sync"
	"syscall"

	"github.com/pkg/sftp"

	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/spool"
)

// UploadChecker is asked at OPEN, before any data flows, whether who may
// send a file under name. It returns the size limit for the file, or an
// error whose text the client sees.
type UploadChecker interface {
	CheckUpload(who Identity, name string) (limit int64, err error)
}

// Events is told what happens to files, so that routing and the ledger can
// follow. Acknowledging is called just before an upload becomes visible in
// the outbox, saying whether the file carries its sender (spool.WriteSender
// succeeded, so that nothing else need record it), and Acknowledged just
// after (ok reports whether it did);
// Removing is called before a file is deleted and may refuse.
type Events interface {
	Acknowledging(who Identity, box, name string, carried bool)
	Acknowledged(who Identity, box, name string, ok bool)
	Downloaded(who Identity, box, folder, name string, complete bool)
	Removing(who Identity, box, folder, name string) error
}

// NoEvents ignores every event.
type NoEvents struct{}

func (NoEvents) Acknowledging(Identity, string, string, bool)      {}
func (NoEvents) Acknowledged(Identity, string, string, bool)       {}
func (NoEvents) Downloaded(Identity, string, string, string, bool) {}
func (NoEvents) Removing(Identity, string, string, string) error   { return nil }

// Fileread opens a file for download.
func (s *session) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	t, err := s.view.resolve(r.Filepath)
	if err != nil {
		return nil, err
	}
	if t.lost != nil {
		return s.lostRead(t)
	}
	if t.report != nil {
		return s.reportRead(t)
	}
	if t.doc != nil {
		return s.docRead(t)
	}
	if t.folder != nil && t.folder.withdr && t.name != "" {
		return s.withdrawRead(t)
	}
	if t.name == "" {
		return nil, failure("%s is a folder", t.path)
	}
	f, err := spool.OpenFile(s.diskPath(t), os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		if t.folder.name == spool.Outbox {
			box := s.srv.boxes.get(s.view.box)
			box.mu.Lock()
			u := box.uploads[t.name]
			box.mu.Unlock()
			if u != nil {
				return nil, failure("%s is still being uploaded", t.name)
			}
			if _, serr := s.stat(t); serr == nil {
				return nil, failure("%s has been sent and is no longer in your outbox", t.name)
			}
		}
		return nil, notFound(t.path)
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, notFound(t.path)
	}
	return &download{sess: s, f: f, folder: t.folder.name, name: t.name, size: fi.Size()}, nil
}

// download is an open file being read; its close is audited with whether
// the whole file was read.
type download struct {
	sess   *session
	f      *os.File
	folder string
	name   string
	size   int64
	mu     sync.Mutex
	high   int64
}

func (d *download) ReadAt(p []byte, off int64) (int, error) {
	n, err := d.f.ReadAt(p, off)
	d.mu.Lock()
	if end := off + int64(n); end > d.high {
		d.high = end
	}
	d.mu.Unlock()
	return n, err
}

func (d *download) Close() error {
	d.f.Close()
	d.mu.Lock()
	complete := d.high >= d.size
	d.mu.Unlock()
	d.sess.audit(ledger.EventDownload, "/"+d.folder+"/"+d.name, fmt.Sprintf("complete=%t", complete))
	d.sess.srv.events.Downloaded(d.sess.who, d.sess.view.box, d.folder, d.name, complete)
	return nil
}

// Filewrite opens a file for upload. Uploads go only to /outbox; the name
// is checked before any data is sent.
func (s *session) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	t, err := s.view.resolve(r.Filepath)
	if err != nil && !errors.Is(err, sftp.ErrSSHFxNoSuchFile) {
		return nil, err
	}
	if err == nil && t.lost != nil {
		return s.lostWrite(t, r.Pflags())
	}
	if err == nil && t.doc != nil {
		return s.docWrite(t, r.Pflags())
	}
	if err != nil && s.hasOutbox() {
		// A hidden name in /outbox: say what is wrong with the name.
		if dir, name := path.Split(cleanPath(r.Filepath)); dir == "/"+spool.Outbox+"/" && name != "" {
			if _, cerr := s.srv.checker.CheckUpload(s.who, s.finalName(name)); cerr != nil {
				return nil, failure("%s", cerr.Error())
			}
			return nil, failure("%s: file names may not start with a dot", name)
		}
	}
	if err != nil || t.folder == nil || !t.folder.upload || t.name == "" || t.lost != nil || t.report != nil {
		if s.hasOutbox() {
			return nil, denied("%s: files can only be uploaded into /outbox/; put the file there to send it", cleanPath(r.Filepath))
		}
		return nil, denied("%s: your role cannot upload files", cleanPath(r.Filepath))
	}
	if s.srv.ctx.Err() != nil {
		return nil, failure("the server is shutting down; send %s again in a few minutes", t.name)
	}
	flags := r.Pflags()
	temp := s.tempName(t.name)
	limit, err := s.srv.checker.CheckUpload(s.who, s.finalName(t.name))
	if err != nil {
		return nil, failure("%s", err.Error())
	}

	box := s.srv.boxes.get(s.view.box)
	box.mu.Lock()
	defer box.mu.Unlock()
	if u := box.uploads[t.name]; u != nil {
		if u.open {
			return nil, failure("%s is being uploaded in another session; wait for it to finish", t.name)
		}
		if flags.Excl {
			return nil, failure("%s already exists", t.name)
		}
		if err := u.reopen(flags.Trunc, flags.Append); err != nil {
			return nil, clientError(s.logged(err))
		}
		u.sess, u.limit = s, limit
		return u, nil
	}
	if _, err := os.Lstat(s.diskPath(t)); err == nil {
		return nil, alreadySent(t.name)
	}
	if _, ok := box.recentLocked(t.name, s.srv.now()); ok {
		return nil, alreadySent(t.name)
	}
	f, err := s.stagingFile()
	if err != nil {
		return nil, clientError(s.logged(err))
	}
	u := &upload{stagedFile{sess: s, name: t.name, temp: temp, staged: f.Name(), limit: limit,
		limitNote: "this kind of file", append: flags.Append, f: f, open: true, mtime: s.srv.now(),
		carry: true, crcOK: true}}
	box.uploads[t.name] = u
	return u, nil
}

func (s *session) hasOutbox() bool {
	for _, f := range s.view.folders {
		if f.upload {
			return true
		}
	}
	return false
}
