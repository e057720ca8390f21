package sftpd

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/pkg/sftp"

	"github.com/s2sd/s2sd/ledger"
)

// Documents is a folder of small files a service keeps for each mailbox:
// the secure messages (/messages/) and an LA's administration files
// (/admin/). Paths are relative to the folder: "" is the folder itself,
// "inbox" a subfolder, "inbox/NAME" a file.
//
// Errors are shown to the user; one wrapping fs.ErrNotExist is answered as
// "no such file" and one wrapping fs.ErrPermission as permission denied.
type Documents interface {
	// List lists a folder.
	List(who Identity, dir string) ([]DocEntry, error)
	// Read returns a file's content.
	Read(who Identity, file string) ([]byte, error)
	// Opened is told a file was downloaded to its end.
	Opened(who Identity, file string)
	// CheckPut says at OPEN, before any data is sent, whether a file may be
	// uploaded as file, and returns its size limit.
	CheckPut(who Identity, file string) (limit int64, err error)
	// Put takes the complete upload of file, staged in the file staged,
	// before the client is told it arrived. The staged file is removed
	// after Put returns.
	Put(who Identity, file, staged string) error
	// Remove deletes a file.
	Remove(who Identity, file string) error
}

// DocEntry is a file or folder of a Documents folder.
type DocEntry struct {
	Name     string
	Dir      bool
	Size     int64
	Modified time.Time
	Writable bool // files may be uploaded into the folder, or the file replaced
}

func (e DocEntry) info() fileInfo {
	if e.Dir {
		fi := dirInfo(e.Name, e.Writable)
		if !e.Modified.IsZero() {
			fi.mtime = e.Modified
		}
		return fi
	}
	mode := fs.FileMode(0o400)
	if e.Writable {
		mode = 0o600
	}
	return fileInfo{name: e.Name, size: e.Size, mode: mode, mtime: e.Modified}
}

// docError turns an error of a Documents folder into the client's status.
func docError(p string, err error) error {
	var se *statusError
	switch {
	case err == nil || errors.As(err, &se):
		return err
	case errors.Is(err, fs.ErrNotExist):
		return notFound(p)
	case errors.Is(err, fs.ErrPermission):
		return denied("%s", err.Error())
	}
	return failure("%s", err.Error())
}

// docPath is the path of t within its Documents folder.
func docPath(t target) string { return strings.Join(t.doc, "/") }

// docStat describes a path in a Documents folder, looking it up in its
// parent's listing so that what exists is decided in one place.
func (s *session) docStat(t target) (os.FileInfo, error) {
	if len(t.doc) == 0 {
		return dirInfo(t.folder.name, false), nil
	}
	dir, name := path.Split(docPath(t))
	entries, err := t.folder.docs.List(s.who, strings.TrimSuffix(dir, "/"))
	if err != nil {
		return nil, docError(t.path, err)
	}
	for _, e := range entries {
		if e.Name == name {
			return e.info(), nil
		}
	}
	if u := s.keptPending(path.Dir(t.path), name); u != nil {
		return u.info(), nil
	}
	return nil, notFound(t.path)
}

// docList lists a folder of a Documents folder, uploads in progress
// included.
func (s *session) docList(t target) (listerAt, error) {
	fi, err := s.docStat(t)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, failure("%s is not a folder", t.path)
	}
	entries, err := t.folder.docs.List(s.who, docPath(t))
	if err != nil {
		return nil, docError(t.path, err)
	}
	out := make(listerAt, 0, len(entries))
	for _, e := range entries {
		out = append(out, e.info())
	}
	return s.keptPendingIn(t.path, out), nil
}

// docRead opens a file of a Documents folder for download. The file is
// read first: only when it cannot be is its folder listed, to say why.
// A service makes its files when asked (messages rendered, CSVs
// generated), so listing before every read would make them twice.
func (s *session) docRead(t target) (io.ReaderAt, error) {
	var readErr error
	if len(t.doc) > 0 {
		if u := s.keptPending(path.Dir(t.path), path.Base(t.path)); u != nil {
			return nil, failure("%s is still being uploaded", u.name)
		}
		b, err := t.folder.docs.Read(s.who, docPath(t))
		if err == nil {
			return &docDownload{sess: s, docs: t.folder.docs, path: t.path, file: docPath(t), b: b}, nil
		}
		readErr = err
	}
	fi, err := s.docStat(t)
	switch {
	case err != nil:
		return nil, err
	case fi.IsDir():
		return nil, failure("%s is a folder", t.path)
	}
	return nil, docError(t.path, readErr)
}

// docDownload is a file of a Documents folder being read; reading it to
// its end is reported (a message read is marked read).
type docDownload struct {
	sess *session
	docs Documents
	path string // virtual path
	file string // path within the folder
	b    []byte

	mu   sync.Mutex
	high int64
}

func (d *docDownload) ReadAt(p []byte, off int64) (int, error) {
	n, err := readerAt{d.b}.ReadAt(p, off)
	d.mu.Lock()
	if end := off + int64(n); end > d.high {
		d.high = end
	}
	d.mu.Unlock()
	return n, err
}

func (d *docDownload) Close() error {
	d.mu.Lock()
	complete := d.high >= int64(len(d.b))
	d.mu.Unlock()
	if complete {
		d.docs.Opened(d.sess.who, d.file)
	}
	return nil
}

// docKeeper takes uploads into one folder of a Documents folder.
type docKeeper struct {
	s    *session
	docs Documents
	dir  string // the folder within the Documents folder
	vdir string // its virtual path, for messages
}

func (k docKeeper) file(name string) string { return path.Join(k.dir, name) }

func (k docKeeper) checkPut(name string) (int64, string, error) {
	limit, err := k.docs.CheckPut(k.s.who, k.file(name))
	if err != nil {
		return 0, "", docError(k.vdir+"/"+name, err)
	}
	return limit, "a file in " + k.vdir + "/", nil
}

func (k docKeeper) put(name, staged string) error {
	return docError(k.vdir+"/"+name, k.docs.Put(k.s.who, k.file(name), staged))
}

// docWrite opens a file of a Documents folder for upload.
func (s *session) docWrite(t target, flags sftp.FileOpenFlags) (io.WriterAt, error) {
	if len(t.doc) == 0 {
		return nil, failure("%s is a folder", t.path)
	}
	dir, name := path.Split(docPath(t))
	if fi, err := s.docStat(target{path: path.Dir(t.path), folder: t.folder, doc: splitDoc(dir)}); err != nil || !fi.IsDir() {
		return nil, notFound(t.path)
	}
	k := docKeeper{s: s, docs: t.folder.docs, dir: strings.TrimSuffix(dir, "/"), vdir: path.Dir(t.path)}
	return s.keptWrite(k.vdir, name, k, flags)
}

// docRename completes an upload sent under a temporary name; nothing else
// in a Documents folder can be renamed.
func (s *session) docRename(src, dst target) error {
	if src.folder == nil || !src.folder.isDocs() || len(src.doc) == 0 {
		return denied("%s cannot be moved into %s", src.path, dst.path)
	}
	u := s.keptPending(path.Dir(src.path), path.Base(src.path))
	if u == nil || !u.temp {
		if _, err := s.docStat(src); err != nil {
			return err
		}
		return denied("%s cannot be renamed: upload it again under the name you want", src.path)
	}
	if dst.folder != src.folder || len(dst.doc) == 0 {
		return denied("rename %s to its final name in %s/", u.name, u.dir)
	}
	return s.keptRename(u, path.Dir(dst.path), path.Base(dst.path))
}

// docRemove deletes a file of a Documents folder, or discards an upload
// that is not in progress.
func (s *session) docRemove(t target) error {
	if len(t.doc) == 0 {
		return denied("%s cannot be deleted", t.path)
	}
	if u := s.keptPending(path.Dir(t.path), path.Base(t.path)); u != nil {
		return s.keptRemovePending(u)
	}
	fi, err := s.docStat(t)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return denied("folders cannot be removed")
	}
	if err := t.folder.docs.Remove(s.who, docPath(t)); err != nil {
		return docError(t.path, err)
	}
	s.audit(ledger.EventDelete, t.path, "")
	return nil
}

// splitDoc splits a path within a Documents folder into its parts.
func splitDoc(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return []string{}
	}
	return strings.Split(p, "/")
}
