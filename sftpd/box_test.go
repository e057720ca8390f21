package sftpd

import (
	"testing"
	"time"
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
