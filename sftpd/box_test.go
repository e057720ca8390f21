package sftpd

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/s2sd/s2sd/spool"
)

// An expired just-sent entry is never returned, though the entries are
// dropped at most once every pruneInterval.
func TestRecentExpiry(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	b := &boxState{recent: map[string]sent{}}
	b.recent["A.XML"] = sent{size: 1, expires: t0.Add(time.Minute)}
	b.recent["B.XML"] = sent{size: 2, expires: t0.Add(2 * time.Minute)}
	if r, ok := b.recentLocked("A.XML", t0); !ok || r.size != 1 {
		t.Fatalf("A at t0: %v %v, want size 1", r, ok)
	}
	// Within pruneInterval of the last prune: A has expired all the same.
	b.pruneAt = t0.Add(time.Hour)
	if _, ok := b.recentLocked("A.XML", t0.Add(time.Minute)); ok {
		t.Fatal("A returned at its expiry")
	}
	if len(b.recent) != 1 {
		t.Fatalf("%d entries after A's expiry, want 1 (B)", len(b.recent))
	}
	b.pruneLocked(t0.Add(2 * time.Minute))
	if len(b.recent) != 0 {
		t.Fatalf("%d entries after every expiry, want 0", len(b.recent))
	}
}

// A session keeps one empty staging file ready for its next upload, and
// removes it when it ends; the uploads are unaffected.
func TestSpareStagingFile(t *testing.T) {
	h := newHarness(t)
	h.addUser("ampthill", "8231234", "school", "school", "correct horse battery")
	c, err := h.dial("ampthill", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	staging := filepath.Join(h.dir, "spool", "8231234", spool.Staging)
	for i := 1; i <= 3; i++ {
		name := fmt.Sprintf("8231234_CTF_8232345_%03d.XML", i)
		f, err := c.Create("/outbox/" + name)
		if err != nil {
			t.Fatal(err)
		}
		body := fmt.Sprintf("<CTfile>%d</CTfile>", i)
		if _, err := f.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(h.dir, "spool", "8231234", "outbox", name))
		if err != nil || string(data) != body {
			t.Fatalf("%s in the outbox: %q, %v; want %q", name, data, err, body)
		}
	}
	waitStaging := func(want int) []os.DirEntry {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			ents, err := os.ReadDir(staging)
			if err != nil {
				t.Fatal(err)
			}
			if len(ents) == want || time.Now().After(deadline) {
				if len(ents) != want {
					t.Fatalf("%d files in staging, want %d", len(ents), want)
				}
				return ents
			}
		}
	}
	spare := waitStaging(1)[0]
	if fi, err := spare.Info(); err != nil || fi.Size() != 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the spare: %v, %v; want empty, mode 0600", fi, err)
	}
	c.Close()
	waitStaging(0)
}
