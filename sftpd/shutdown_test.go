package sftpd

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/s2sd/s2sd/spool"
)

// closeAsync runs Close with a grace of grace and reports when it returns.
func closeAsync(s *Server, grace time.Duration) <-chan time.Duration {
	done := make(chan time.Duration, 1)
	start := time.Now()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), grace)
		defer cancel()
		s.Close(ctx)
		done <- time.Since(start)
	}()
	return done
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// TestCloseIdleSessionsAtOnce: a session with no upload in flight does
// not hold up shutdown, however long the grace period.
func TestCloseIdleSessionsAtOnce(t *testing.T) {
	h := newHarness(t)
	h.addUser("ampthill", "8231234", "school", "school", "correct horse battery")
	c, err := h.dial("ampthill", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadDir("/outbox"); err != nil {
		t.Fatal(err)
	}
	select {
	case took := <-closeAsync(h.srv, time.Minute):
		if took > 2*time.Second {
			t.Fatalf("Close took %s with only an idle session", took)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close waited for an idle session")
	}
	if _, err := c.ReadDir("/outbox"); err == nil {
		t.Fatal("the idle session still works after Close")
	}
}

// TestCloseLetsUploadsFinish: at shutdown an upload in flight finishes
// and is acknowledged within the grace period, while idle sessions close,
// new connections are refused and new uploads are refused with a reason.
func TestCloseLetsUploadsFinish(t *testing.T) {
	h := newHarness(t)
	h.addUser("ampthill", "8231234", "school", "school", "correct horse battery")
	h.addUser("amp2", "8231234", "school", "school", "correct horse battery")
	busy, err := h.dial("ampthill", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	idle, err := h.dial("amp2", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	const name = "8231234_CTF_8232345_001.XML"
	f, err := busy.Create("/outbox/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("<CTfile>")); err != nil {
		t.Fatal(err)
	}

	closed := closeAsync(h.srv, time.Minute)
	waitClosed := time.Now().Add(5 * time.Second)
	for {
		if _, err := idle.ReadDir("/"); err != nil {
			break
		}
		if time.Now().After(waitClosed) {
			t.Fatal("the idle session was not closed within 5s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if c, err := net.DialTimeout("tcp", h.srv.Addr().String(), time.Second); err == nil {
		c.Close()
		t.Fatal("a new connection was accepted during shutdown")
	}
	if _, err := busy.Create("/outbox/8231234_CTF_8232345_002.XML"); err == nil || !strings.Contains(err.Error(), "the server is shutting down") {
		t.Fatalf("a new upload during shutdown: %v", err)
	}
	select {
	case took := <-closed:
		t.Fatalf("Close returned after %s with an upload in flight", took)
	case <-time.After(300 * time.Millisecond):
	}
	if _, err := f.Write([]byte("</CTfile>")); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("the upload in flight was not acknowledged: %v", err)
	}
	// The client may still look at what it sent, then the session goes.
	if _, err := busy.Stat("/outbox/" + name); err != nil {
		t.Fatalf("stat after the upload: %v", err)
	}
	select {
	case took := <-closed:
		if took > 10*time.Second {
			t.Fatalf("Close took %s", took)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Close did not return once the upload had finished")
	}
	data, err := os.ReadFile(filepath.Join(h.dir, "spool", "8231234", "outbox", name))
	if err != nil || string(data) != "<CTfile></CTfile>" {
		t.Fatalf("outbox holds %q, %v", data, err)
	}
}

// TestCloseDiscardsUnfinishedUploads: an upload still unfinished when the
// grace period ends is discarded, never acknowledged.
func TestCloseDiscardsUnfinishedUploads(t *testing.T) {
	h := newHarness(t)
	h.addUser("ampthill", "8231234", "school", "school", "correct horse battery")
	c, err := h.dial("ampthill", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	f, err := c.Create("/outbox/8231234_CTF_8232345_001.XML")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("<CTfile>")); err != nil {
		t.Fatal(err)
	}
	select {
	case took := <-closeAsync(h.srv, 300*time.Millisecond):
		if took < 300*time.Millisecond || took > 5*time.Second {
			t.Fatalf("Close took %s with a grace of 300ms", took)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close overran its grace period")
	}
	if err := f.Close(); err == nil {
		t.Fatal("an upload cut off by shutdown was acknowledged")
	}
	box := filepath.Join(h.dir, "spool", "8231234")
	if got := listDir(t, filepath.Join(box, "outbox")); len(got) != 0 {
		t.Fatalf("outbox holds %v", got)
	}
	if _, err := os.Stat(filepath.Join(box, spool.Staging)); err != nil {
		t.Fatal(err)
	}
	if got := listDir(t, filepath.Join(box, spool.Staging)); len(got) != 0 {
		t.Fatalf("staging holds %v", got)
	}
}
