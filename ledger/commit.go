package ledger

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattn/go-sqlite3"
)

// groupCommit shares one SQLite commit, and so one fsync of the WAL,
// among the transactions that arrive while another commit is under way.
// Each transaction runs in its own savepoint, so one that fails is rolled
// back alone, and every caller returns only once the commit that holds
// its rows is durable: batching changes how many fsyncs there are, not
// what an acknowledged write means.
//
// The first caller to find no batch running leads: it runs every waiting
// transaction in one SQLite transaction, commits, tells each caller its
// outcome, and goes again while more have arrived. No goroutine outlives
// its caller.
type groupCommit struct {
	db *sql.DB

	mu      sync.Mutex
	waiting []*txRequest
	leading bool

	commits atomic.Int64 // COMMITs made, for tests
}

// txRequest is one caller's transaction.
type txRequest struct {
	ctx  context.Context
	fn   func(*sql.Tx) error
	err  error
	done chan struct{}
}

// maxBatch bounds how many transactions share a commit, so that one large
// batch does not hold the write lock for long.
const maxBatch = 256

// run runs fn in a transaction shared with concurrent callers and returns
// once its outcome is durable or known to have failed.
func (g *groupCommit) run(ctx context.Context, fn func(*sql.Tx) error) error {
	req := &txRequest{ctx: ctx, fn: fn, done: make(chan struct{})}
	g.mu.Lock()
	g.waiting = append(g.waiting, req)
	if g.leading {
		g.mu.Unlock()
		<-req.done
		return req.err
	}
	g.leading = true
	for len(g.waiting) > 0 {
		n := min(len(g.waiting), maxBatch)
		batch := g.waiting[:n:n]
		g.waiting = g.waiting[n:]
		g.mu.Unlock()
		g.commit(batch)
		g.mu.Lock()
	}
	g.leading = false
	g.waiting = nil
	g.mu.Unlock()
	<-req.done
	return req.err
}

// commit runs a batch in one transaction, each request in a savepoint.
func (g *groupCommit) commit(batch []*txRequest) {
	defer func() {
		for _, r := range batch {
			close(r.done)
		}
	}()
	tx, err := beginWrite(g.db)
	if err != nil {
		for _, r := range batch {
			r.err = err
		}
		return
	}
	if len(batch) == 1 { // no savepoint needed: the transaction is the request's
		r := batch[0]
		if r.err = r.ctx.Err(); r.err == nil {
			r.err = r.fn(tx)
		}
		if r.err != nil {
			tx.Rollback()
			return
		}
		r.err = tx.Commit()
		g.commits.Add(1)
		return
	}
	ok := 0
	for _, r := range batch {
		if r.err = r.ctx.Err(); r.err != nil {
			continue
		}
		if _, err := tx.ExecContext(r.ctx, "SAVEPOINT batch"); err != nil {
			r.err = err
			continue
		}
		r.err = r.fn(tx)
		if r.err != nil {
			if _, err := tx.Exec("ROLLBACK TO batch"); err != nil {
				// The transaction is unusable: fail the whole batch.
				tx.Rollback()
				for _, r := range batch {
					if r.err == nil {
						r.err = err
					}
				}
				return
			}
		} else {
			ok++
		}
		tx.Exec("RELEASE batch")
	}
	if ok == 0 {
		tx.Rollback()
		return
	}
	g.commits.Add(1)
	if err := tx.Commit(); err != nil {
		for _, r := range batch {
			if r.err == nil {
				r.err = err
			}
		}
	}
}

// writeLockPoll is how often beginWrite asks for the write lock again.
const writeLockPoll = 250 * time.Microsecond

// beginWrite begins a write transaction (BEGIN IMMEDIATE) on db, whose
// connections do not wait for a lock, trying every writeLockPoll for up to
// busyTimeout while another process holds the write lock.
func beginWrite(db *sql.DB) (*sql.Tx, error) {
	deadline := time.Now().Add(busyTimeout)
	for {
		tx, err := db.BeginTx(context.Background(), nil)
		var se sqlite3.Error
		if err == nil || !errors.As(err, &se) || se.Code != sqlite3.ErrBusy || time.Now().After(deadline) {
			return tx, err
		}
		time.Sleep(writeLockPoll)
	}
}
