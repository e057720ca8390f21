package ledger

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func openTest(t testing.TB) *Ledger {
	t.Helper()
	l, err := Open(context.Background(), filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

type fixedPolicy struct{}

func (fixedPolicy) Threshold() int { return 3 }
func (fixedPolicy) Duration(n int) time.Duration {
	return time.Duration(n+1) * time.Minute
}

func TestMigrationsAndWAL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	ctx := context.Background()
	l, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := l.SchemaVersion(ctx)
	if err != nil || v != len(migrations) {
		t.Fatalf("schema version %d, %v; want %d", v, err, len(migrations))
	}
	var mode string
	if err := l.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode %q, %v", mode, err)
	}
	l.Close()
	// Reopening applies nothing twice.
	l, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if v, _ := l.SchemaVersion(ctx); v != len(migrations) {
		t.Fatalf("schema version after reopen %d", v)
	}
}

func TestMailboxes(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	m := Mailbox{Code: "8231234", Name: "Ampthill", Kind: "school", LA: "823", Email: "a@b.sch.uk", URN: "100001"}
	if err := l.AddMailbox(ctx, m, now); err != nil {
		t.Fatal(err)
	}
	if err := l.AddMailbox(ctx, m, now); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate add: %v", err)
	}
	got, err := l.Mailbox(ctx, "8231234")
	if err != nil || got.Name != "Ampthill" || got.Status != StatusOpen || !got.CreatedAt.Equal(now) {
		t.Fatalf("got %+v, %v", got, err)
	}
	m.Name, m.Email, m.Town = "Ampthill Academy", "", "Ampthill"
	inserted, err := l.UpsertMailbox(ctx, m, now.Add(time.Hour))
	if err != nil || inserted {
		t.Fatalf("upsert existing: inserted=%v err=%v", inserted, err)
	}
	got, _ = l.MailboxByURN(ctx, "100001")
	if got.Name != "Ampthill Academy" || got.Email != "a@b.sch.uk" || got.Town != "Ampthill" || !got.CreatedAt.Equal(now) {
		t.Fatalf("after upsert %+v", got)
	}
	if err := l.CloseMailbox(ctx, "8231234", "8232345", now); err != nil {
		t.Fatal(err)
	}
	got, _ = l.Mailbox(ctx, "8231234")
	if got.Status != StatusClosed || got.Successor != "8232345" {
		t.Fatalf("closed %+v", got)
	}
	if err := l.CloseMailbox(ctx, "9999999", "", now); !errors.Is(err, ErrNotFound) {
		t.Fatalf("close unknown: %v", err)
	}
	if _, err := l.Mailbox(ctx, "9999999"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown mailbox: %v", err)
	}
}

func TestUsersKeysLockout(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	l.AddMailbox(ctx, Mailbox{Code: "8231234", Name: "A", Kind: "school", LA: "823"}, now)
	if _, err := l.AddUser(ctx, User{Login: "Alice", Mailbox: "8231234", Role: "school", Email: "a@b.sch.uk", PasswordHash: "h"}, now); err != nil {
		t.Fatal(err)
	}
	if _, err := l.AddUser(ctx, User{Login: "alice", Mailbox: "8231234", Role: "school", Email: "a@b.sch.uk"}, now); !errors.Is(err, ErrExists) {
		t.Fatalf("logins must be case-insensitive: %v", err)
	}
	if _, err := l.AddUser(ctx, User{Login: "bob", Mailbox: "0000000", Role: "school", Email: "a@b.sch.uk"}, now); err == nil {
		t.Fatal("user in an unknown mailbox was accepted")
	}
	k := Key{Fingerprint: "SHA256:abc", Key: "ssh-ed25519 AAAA"}
	if err := l.AddKey(ctx, "alice", k, now); err != nil {
		t.Fatal(err)
	}
	if err := l.AddKey(ctx, "alice", k, now); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate key: %v", err)
	}
	if ok, _ := l.HasKey(ctx, "ALICE", "SHA256:abc"); !ok {
		t.Fatal("HasKey false for the user's key")
	}
	if ok, _ := l.HasKey(ctx, "alice", "SHA256:other"); ok {
		t.Fatal("HasKey true for another key")
	}

	for i := 0; i < 2; i++ {
		if until, _ := l.LoginFailed(ctx, "alice", now, fixedPolicy{}); !until.IsZero() {
			t.Fatalf("locked after %d failures", i+1)
		}
	}
	until, err := l.LoginFailed(ctx, "alice", now, fixedPolicy{})
	if err != nil || !until.Equal(now.Add(time.Minute)) {
		t.Fatalf("third failure: until=%v err=%v", until, err)
	}
	u, _ := l.User(ctx, "alice")
	if !u.Locked(now) || u.Locked(now.Add(time.Minute)) {
		t.Fatalf("lock state wrong: %+v", u)
	}
	for i := 0; i < 3; i++ {
		until, _ = l.LoginFailed(ctx, "alice", now, fixedPolicy{})
	}
	if !until.Equal(now.Add(2 * time.Minute)) {
		t.Fatalf("second lockout should back off to 2m: %v", until.Sub(now))
	}
	if err := l.Unlock(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if u, _ := l.User(ctx, "alice"); u.Locked(now) || u.Failures != 0 || u.Lockouts != 0 {
		t.Fatalf("after unlock %+v", u)
	}
	if err := l.Unlock(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unlock unknown: %v", err)
	}
	if err := l.DeleteUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if keys, _ := l.Keys(ctx, "alice"); len(keys) != 0 {
		t.Fatalf("keys survived their user: %v", keys)
	}
}

func TestAuditAppendOnly(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()
	if err := l.Audit(ctx, Event{At: time.Now(), Event: EventLogin, Login: "alice", Remote: "127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.db.ExecContext(ctx, `UPDATE audit SET login = 'mallory'`); err == nil ||
		err.Error() != "the audit log is append-only" {
		t.Fatalf("update of audit: %v", err)
	}
	ev, err := l.AuditEvents(ctx, EventLogin)
	if err != nil || len(ev) != 1 || ev[0].Login != "alice" {
		t.Fatalf("events %+v, %v", ev, err)
	}
}
