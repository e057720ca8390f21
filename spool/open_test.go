package spool

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func TestOpenFile(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "a")
	f, err := OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("pupil-free bytes"), 0); err != nil {
		t.Fatal(err)
	}
	flags, err := unix.FcntlInt(f.Fd(), unix.F_GETFD, 0)
	if err != nil || flags&unix.FD_CLOEXEC == 0 {
		t.Errorf("close-on-exec not set: flags %#x, %v", flags, err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if fi, err := os.Stat(name); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("created %v, %v; want mode 0600", fi, err)
	}

	if _, err := OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o600); !errors.Is(err, fs.ErrExist) || err.Error() != "open "+name+": file exists" {
		t.Fatalf("exclusive create of an existing file: %v", err)
	}
	missing := filepath.Join(dir, "missing")
	if _, err := OpenFile(missing, os.O_RDONLY, 0); !errors.Is(err, fs.ErrNotExist) || err.Error() != "open "+missing+": no such file or directory" {
		t.Fatalf("a missing file: %v", err)
	}

	r, err := OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b := make([]byte, 32)
	n, err := r.Read(b)
	if err != nil || string(b[:n]) != "pupil-free bytes" {
		t.Fatalf("read %q, %v", b[:n], err)
	}
	if err := SyncDir(dir); err != nil {
		t.Fatalf("a directory: %v", err)
	}
}
