package main

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/s2sd/s2sd/ledger"
)

// Admin commands work while serve runs: a second handle on the ledger
// keeps writing, and the commands still succeed.
func TestCommandsWhileServing(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	ctx, cancel := context.WithCancel(context.Background())
	serving := s.ledger() // as serve holds it
	var wg sync.WaitGroup
	var writes int
	var writeErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			m := ledger.Mailbox{Code: fmt.Sprintf("823%04d", 5000+i%1000), Name: "Busy", Kind: "school", LA: "823"}
			if _, err := serving.UpsertMailbox(ctx, m, time.Now()); err != nil && ctx.Err() == nil {
				writeErr = err
				return
			}
			writes++
		}
	}()

	s.must("added la mailbox 823LLLL: Central Bedfordshire\n", "mailbox", "add", "823LLLL", "--name", "Central Bedfordshire", "--email", "s2s@cbc.gov.uk")
	expect(t, s.runIn("correct horse battery\n", "user", "add", "bob", "--mailbox", "823LLLL", "--role", "la-user", "--email", "bob@cbc.gov.uk", "--password-stdin"),
		result{stdout: "added user bob (la-user) in mailbox 823LLLL\n"})
	expect(t, s.run("mailbox", "import", extract), result{
		stdout: "imported 6 establishments: 6 added, 0 updated, 0 unchanged, 2 skipped\n",
		stderr: "skipped 2 row(s) of " + extract + ":\n" + skippedFixtureRows,
	})
	s.must("unlocked bob\n", "user", "unlock", "bob")
	cancel()
	wg.Wait()
	if writeErr != nil {
		t.Fatalf("serve's writes failed: %v", writeErr)
	}
	if writes == 0 {
		t.Fatal("serve wrote nothing while the commands ran")
	}
	u, err := serving.User(context.Background(), "bob")
	if err != nil || u.Mailbox != "823LLLL" {
		t.Errorf("serve does not see bob: %+v, %v", u, err)
	}
}

// A command waits for a write transaction that serve holds (busy_timeout)
// instead of failing with "database is locked".
func TestCommandWaitsForServeTransaction(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	s.ledger() // create the schema
	ctx := context.Background()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(s.data, "ledger.db")+"?_journal_mode=WAL&_busy_timeout=15000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO audit (at, event, object) VALUES ('2025-01-01T00:00:00.000000Z', 'upload', 'held')`); err != nil {
		t.Fatal(err)
	}

	done := make(chan result, 1)
	go func() {
		done <- s.run("mailbox", "add", "8231234", "--name", "Hilltop", "--email", "office@hilltop.sch.uk")
	}()
	const hold = 1500 * time.Millisecond
	select {
	case r := <-done:
		t.Fatalf("the command finished while serve held the write lock: %+v", r)
	case <-time.After(hold):
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	expect(t, <-done, result{stdout: "added school mailbox 8231234: Hilltop\n"})
	if _, err := s.ledger().Mailbox(ctx, "8231234"); err != nil {
		t.Error(err)
	}
}
