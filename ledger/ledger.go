// Package ledger is s2sd's SQLite store: mailboxes, users and their keys,
// the audit log, and (later) transfers. Every other component reads and
// writes durable state through it, so the CLI and a running daemon can
// share one file.
package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	_ "github.com/mattn/go-sqlite3" // the SQLite driver
)

// Sentinel errors.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
)

// timeFormat is fixed-width so that stored times sort as text.
const timeFormat = "2006-01-02T15:04:05.000000Z"

// maxIdleConns is how many SQLite connections the ledger keeps open
// between uses: enough for the sessions' upload checks, the router and
// the mailer at once. Each keeps at most SQLite's default 2 MiB page
// cache.
const maxIdleConns = 40

// Ledger is an open ledger database.
type Ledger struct {
	db      *sql.DB      // reads; SQLite waits up to busyTimeout for a lock
	wdb     *sql.DB      // write transactions, which wait for the lock themselves (beginWrite)
	commits *groupCommit // every write transaction goes through it, on wdb
}

// busyTimeout is how long a read waits for a lock, and a write transaction
// for the write lock, before failing with "database is locked".
const busyTimeout = 15 * time.Second

// Open opens (creating if need be) the ledger at path and brings its schema
// up to date. The database runs in WAL mode with full synchronous commits,
// so a committed row survives a crash.
func Open(ctx context.Context, path string) (*Ledger, error) {
	dsn := func(busy time.Duration) string {
		q := url.Values{}
		q.Set("_journal_mode", "WAL")
		q.Set("_synchronous", "FULL")
		q.Set("_busy_timeout", strconv.FormatInt(busy.Milliseconds(), 10))
		q.Set("_foreign_keys", "on")
		q.Set("_txlock", "immediate")
		// Each connection keeps its 64 most recent statements prepared, so
		// that the router's and sessions' repeated queries are not parsed
		// again each time: 11% less CPU routing 2,500 files.
		q.Set("_stmt_cache_size", "64")
		return "file:" + path + "?" + q.Encode()
	}
	db, err := sql.Open("sqlite3", dsn(busyTimeout))
	if err != nil {
		return nil, fmt.Errorf("open ledger %s: %w", path, err)
	}
	// SQLite's own wait for a lock sleeps longer and longer, up to 100 ms
	// between tries, so a process whose writes come back to back (serve
	// under load) can keep another (an admin command) from the write lock
	// for all 15 s: TestCommandsWhileServing failed so in 2 runs of 8.
	// Write transactions therefore ask SQLite not to wait, and try again
	// often themselves (beginWrite).
	wdb, err := sql.Open("sqlite3", dsn(0))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open ledger %s: %w", path, err)
	}
	// database/sql keeps two idle connections and closes the rest after
	// use. The daemon's sessions, router and mailer use more at once, and
	// each new SQLite connection reads and parses the schema and starts
	// with a cold page cache: routing 2,000 files in batches opened 393
	// connections (BenchmarkRouteThroughput), a tenth of its CPU profile.
	db.SetMaxIdleConns(maxIdleConns)
	l := &Ledger{db: db, wdb: wdb, commits: &groupCommit{db: wdb}}
	if err := db.PingContext(ctx); err != nil {
		l.Close()
		return nil, fmt.Errorf("open ledger %s: %w", path, err)
	}
	if err := l.migrate(ctx); err != nil {
		l.Close()
		return nil, fmt.Errorf("migrate ledger %s: %w", path, err)
	}
	return l, nil
}

// Close closes the database.
func (l *Ledger) Close() error { return errors.Join(l.wdb.Close(), l.db.Close()) }

// SchemaVersion returns the applied schema version.
func (l *Ledger) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := l.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

// tx runs fn in a transaction and commits it, sharing the commit with
// concurrent callers (see groupCommit). fn may run on another goroutine,
// and must not call tx or exec itself: it would wait for the commit it is
// part of.
// Every write of the ledger goes through tx or exec, so that the daemon's
// writers take turns in Go instead of polling SQLite's lock.
func (l *Ledger) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	return l.commits.run(ctx, fn)
}

// exec runs one writing statement through tx.
func (l *Ledger) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := l.tx(ctx, func(tx *sql.Tx) error {
		var err error
		res, err = tx.ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func parseTime(s string) time.Time {
	t, _ := time.Parse(timeFormat, s)
	return t
}

func nullTime(ns sql.NullString) time.Time {
	if !ns.Valid {
		return time.Time{}
	}
	return parseTime(ns.String)
}

// Exec runs a statement directly: for tests and benchmarks that set up
// states, never for product code.
func (l *Ledger) Exec(ctx context.Context, query string, args ...any) error {
	_, err := l.db.ExecContext(ctx, query, args...)
	return err
}

// scanner is a row to scan: *sql.Row or *sql.Rows.
type scanner interface{ Scan(...any) error }

// queryAll runs a query and scans every row it returns.
func queryAll[T any](ctx context.Context, db *sql.DB, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
