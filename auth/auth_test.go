package auth

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var fast = Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32}

func TestHashVerify(t *testing.T) {
	h := NewHasher(fast, 2)
	ctx := context.Background()
	enc, err := h.Hash(ctx, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("hash %q is not PHC argon2id", enc)
	}
	if ok, err := h.Verify(ctx, "correct horse battery", enc); !ok || err != nil {
		t.Fatalf("right password: %v %v", ok, err)
	}
	if ok, _ := h.Verify(ctx, "wrong", enc); ok {
		t.Fatal("wrong password verified")
	}
	if ok, _ := h.Verify(ctx, "", ""); ok {
		t.Fatal("empty hash verified")
	}
	if _, err := h.Verify(ctx, "x", "$argon2id$v=19$m=99999999,t=1,p=1$AAAA$AAAA"); err != ErrBadHash {
		t.Fatalf("hostile params: %v", err)
	}
}

// TestHasherLimit proves no more than max computations run at once.
func TestHasherLimit(t *testing.T) {
	h := NewHasher(fast, 2)
	var running, peak atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.acquire(context.Background())
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			runtime.Gosched()
			running.Add(-1)
			h.release()
		}()
	}
	wg.Wait()
	if peak.Load() > 2 {
		t.Fatalf("peak concurrency %d > 2", peak.Load())
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.acquire(ctx)
	h.acquire(ctx)
	cancel()
	if _, err := h.Hash(ctx, "x"); err != context.Canceled {
		t.Fatalf("Hash with full slots and cancelled ctx: %v", err)
	}
}

func TestBackoff(t *testing.T) {
	b := Backoff{Failures: 5, Base: time.Minute, Max: 10 * time.Minute}
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 10 * time.Minute, 10 * time.Minute}
	for n, w := range want {
		if got := b.Duration(n); got != w {
			t.Errorf("Duration(%d) = %v, want %v", n, got, w)
		}
	}
}

func TestAddressGuard(t *testing.T) {
	g := NewAddressGuard(Backoff{Failures: 3, Base: time.Minute, Max: time.Hour})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	g.Failed("10.0.0.1", now)
	g.Failed("10.0.0.1", now)
	if !g.LockedUntil("10.0.0.1", now).IsZero() {
		t.Fatal("locked after 2 failures")
	}
	if until := g.Failed("10.0.0.1", now); !until.Equal(now.Add(time.Minute)) {
		t.Fatalf("3rd failure locks until %v", until)
	}
	if !g.LockedUntil("10.0.0.2", now).IsZero() {
		t.Fatal("another address locked")
	}
	if g.LockedUntil("10.0.0.1", now.Add(time.Minute)) != (time.Time{}) {
		t.Fatal("still locked after the lockout")
	}
	g.Unlock()
	if !g.LockedUntil("10.0.0.1", now).IsZero() {
		t.Fatal("locked after Unlock")
	}
}

func TestValidate(t *testing.T) {
	personal := []string{"gmail.com", "hotmail.co.uk"}
	cases := []struct {
		email, err string
	}{
		{"office@school.sch.uk", ""},
		{"x@GMAIL.com", `email "x@GMAIL.com" is on a personal domain (gmail.com): use a school or LA address`},
		{"x@hotmail.co.uk", `email "x@hotmail.co.uk" is on a personal domain (hotmail.co.uk): use a school or LA address`},
		{"Bob <bob@school.sch.uk>", `email "Bob <bob@school.sch.uk>" is not a valid address: give a plain address such as office@school.sch.uk`},
		{"bob@localhost", `email "bob@localhost" has no full domain name`},
		{"nope", `email "nope" is not a valid address: give a plain address such as office@school.sch.uk`},
	}
	for _, c := range cases {
		err := ValidateEmail(c.email, personal)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != c.err {
			t.Errorf("ValidateEmail(%q) = %q, want %q", c.email, got, c.err)
		}
	}
	for login, ok := range map[string]bool{"ampthill": true, "a.b-c_d@x": true, "ab": false, ".dot": false, "sp ace": false, "naïve": false} {
		if err := ValidateLogin(login); (err == nil) != ok {
			t.Errorf("ValidateLogin(%q) = %v", login, err)
		}
	}
	if err := ValidateNewPassword("short", 12); err == nil || err.Error() != "the new password must be at least 12 characters" {
		t.Errorf("short password: %v", err)
	}
}

func TestTemporaryPassword(t *testing.T) {
	a, _ := TemporaryPassword()
	b, _ := TemporaryPassword()
	if len(a) != 20 || a == b {
		t.Fatalf("temporary passwords %q %q", a, b)
	}
}
