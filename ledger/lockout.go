package ledger

import (
	"context"
	"database/sql"
	"time"
)

// LockoutPolicy decides when repeated failures lock an account, and for
// how long.
type LockoutPolicy interface {
	// Threshold is the number of consecutive failures that lock.
	Threshold() int
	// Duration is how long the n-th lockout (from 0) lasts.
	Duration(n int) time.Duration
}

// LoginFailed records a failed login for login and returns when the account
// is locked until (zero if it is not locked). Unknown logins are ignored.
func (l *Ledger) LoginFailed(ctx context.Context, login string, now time.Time, p LockoutPolicy) (time.Time, error) {
	var until time.Time
	err := l.tx(ctx, func(tx *sql.Tx) error {
		var failures, lockouts int
		err := tx.QueryRowContext(ctx, `SELECT failures, lockouts FROM users WHERE login = ?`, login).Scan(&failures, &lockouts)
		if err == sql.ErrNoRows {
			return nil
		}
		if err != nil {
			return err
		}
		failures++
		var locked any
		if failures >= p.Threshold() {
			until = now.Add(p.Duration(lockouts))
			locked = formatTime(until)
			lockouts++
			failures = 0
		}
		_, err = tx.ExecContext(ctx, `UPDATE users SET failures = ?, lockouts = ?,
			locked_until = COALESCE(?, locked_until) WHERE login = ?`, failures, lockouts, locked, login)
		return err
	})
	return until, err
}

// LoginSucceeded clears the failure count and records the login time.
func (l *Ledger) LoginSucceeded(ctx context.Context, login string, now time.Time) error {
	_, err := l.exec(ctx, `UPDATE users SET failures = 0, lockouts = 0, locked_until = NULL,
		last_login = ? WHERE login = ?`, formatTime(now), login)
	return err
}

// Unlock clears a user's lockout and failure count.
func (l *Ledger) Unlock(ctx context.Context, login string) error {
	return l.affectUser(ctx, login, `UPDATE users SET failures = 0, lockouts = 0, locked_until = NULL WHERE login = ?`, login)
}
