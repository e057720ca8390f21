package sftpd

import (
	"io/fs"
	"os"
	"time"
)

// fileInfo is what the view shows of a folder or file.
type fileInfo struct {
	name  string
	size  int64
	mode  fs.FileMode
	mtime time.Time
}

var _ os.FileInfo = fileInfo{}

func (f fileInfo) Name() string       { return f.name }
func (f fileInfo) Size() int64        { return f.size }
func (f fileInfo) Mode() fs.FileMode  { return f.mode }
func (f fileInfo) ModTime() time.Time { return f.mtime }
func (f fileInfo) IsDir() bool        { return f.mode.IsDir() }
func (f fileInfo) Sys() any           { return nil }

func dirInfo(name string, writable bool) fileInfo {
	mode := fs.ModeDir | 0o500
	if writable {
		mode |= 0o200
	}
	return fileInfo{name: name, mode: mode, mtime: time.Now()}
}

// listerAt serves a fixed list of entries.
type listerAt []os.FileInfo

func (l listerAt) ListAt(dst []os.FileInfo, off int64) (int, error) {
	if off >= int64(len(l)) {
		return 0, errEOF
	}
	n := copy(dst, l[off:])
	if n < len(dst) {
		return n, errEOF
	}
	return n, nil
}
