package spool

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// openPair creates a file in a new directory and opens both.
func openPair(t *testing.T) (f, dir *os.File) {
	t.Helper()
	d := t.TempDir()
	f, err := os.Create(filepath.Join(d, "upload.XML"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if _, err := f.WriteString("<CTfile/>"); err != nil {
		t.Fatal(err)
	}
	dir, err = os.Open(d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dir.Close() })
	return f, dir
}

// aioAvailable reports whether this kernel lets the process make an AIO
// context, which Syncer needs to be more than SyncWithDir.
func aioAvailable(t *testing.T) bool {
	s := NewSyncer()
	defer s.Close()
	_, ok := s.get()
	if !ok {
		t.Logf("no AIO context here: Syncer falls back to SyncWithDir")
	}
	return ok
}

// The two fsyncs go through one AIO context, which the next call uses
// again.
func TestSyncerSyncsThroughAIO(t *testing.T) {
	s := NewSyncer()
	defer s.Close()
	for range 3 {
		f, dir := openPair(t)
		if err := s.SyncWithDir(f, dir); err != nil {
			t.Fatalf("SyncWithDir: %v", err)
		}
	}
	want := 0
	if aioAvailable(t) {
		want = 1
	}
	if s.made != want || len(s.idle) != want {
		t.Errorf("contexts made %d, idle %d; want %d and %d", s.made, len(s.idle), want, want)
	}
	if want == 1 {
		// The wait is in Go's poller, not a blocked thread, only if the
		// eventfd is non-blocking.
		c := <-s.idle
		flags, err := unix.FcntlInt(c.done.Fd(), unix.F_GETFL, 0)
		if err != nil || flags&unix.O_NONBLOCK == 0 {
			t.Errorf("the context's eventfd: flags %#x, %v; want O_NONBLOCK", flags, err)
		}
		s.idle <- c
	}
	s.Close()
	if s.made != 0 || len(s.idle) != 0 {
		t.Errorf("after Close: contexts made %d, idle %d; want none", s.made, len(s.idle))
	}
	f, dir := openPair(t)
	if err := s.SyncWithDir(f, dir); err != nil {
		t.Fatalf("SyncWithDir after Close: %v", err)
	}
	if s.made != 0 {
		t.Errorf("after Close: a context was made")
	}
}

// A file that cannot be fsynced gives its error, named, and the context
// stays usable for the next file.
func TestSyncerReportsEachFilesError(t *testing.T) {
	s := NewSyncer()
	defer s.Close()
	_, dir := openPair(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	err = s.SyncWithDir(w, dir)
	t.Logf("pipe: %v", err)
	if !errors.Is(err, syscall.EINVAL) || !strings.Contains(err.Error(), w.Name()) {
		t.Fatalf("fsync of a pipe: err = %v, want EINVAL naming %s", err, w.Name())
	}

	f, dir := openPair(t)
	f.Close()
	if err := s.SyncWithDir(f, dir); err == nil || !strings.Contains(err.Error(), "already closed") {
		t.Fatalf("fsync of a closed file: err = %v, want it named as closed", err)
	}

	f, dir = openPair(t)
	if err := s.SyncWithDir(f, dir); err != nil {
		t.Fatalf("SyncWithDir after errors: %v", err)
	}
	if aioAvailable(t) && (s.off || s.made != 1) {
		t.Errorf("after errors: AIO off %v, contexts made %d; want on and 1", s.off, s.made)
	}
}
