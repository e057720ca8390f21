package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestGroupCommit: transactions that arrive while a commit is under way
// share the next one; one that fails is rolled back alone, and every
// caller returns only after its outcome is decided.
func TestGroupCommit(t *testing.T) {
	ctx := context.Background()
	l, err := Open(ctx, filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.Exec(ctx, `CREATE TABLE t (n INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	before := l.commits.commits.Load()
	release := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, 11)
	wg.Add(1)
	go func() { // the leader, held inside its transaction
		defer wg.Done()
		errs[0] = l.tx(ctx, func(tx *sql.Tx) error {
			<-release
			_, err := tx.Exec(`INSERT INTO t VALUES (0)`)
			return err
		})
	}()
	waitFor(t, func() bool { l.commits.mu.Lock(); defer l.commits.mu.Unlock(); return l.commits.leading })
	boom := errors.New("boom")
	for i := 1; i <= 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = l.tx(ctx, func(tx *sql.Tx) error {
				if _, err := tx.Exec(`INSERT INTO t VALUES (?)`, i); err != nil {
					return err
				}
				if i%3 == 0 {
					return boom // after writing: the savepoint must undo it
				}
				return nil
			})
		}()
	}
	waitFor(t, func() bool { l.commits.mu.Lock(); defer l.commits.mu.Unlock(); return len(l.commits.waiting) == 10 })
	close(release)
	wg.Wait()
	var got []int
	rows, err := l.db.Query(`SELECT n FROM t ORDER BY n`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n int
		rows.Scan(&n)
		got = append(got, n)
	}
	rows.Close()
	if fmt.Sprint(got) != "[0 1 2 4 5 7 8 10]" {
		t.Fatalf("rows %v", got)
	}
	for i, err := range errs {
		if (i%3 == 0 && i > 0) != errors.Is(err, boom) || i%3 != 0 && err != nil {
			t.Errorf("transaction %d: %v", i, err)
		}
	}
	if n := l.commits.commits.Load() - before; n != 2 {
		t.Fatalf("%d commits for 11 transactions, want 2 (the leader's, then the ten that waited)", n)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
	}
}
