package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// User is one login in one mailbox, with one role. Admins have no mailbox.
type User struct {
	ID           int64
	Login        string
	Mailbox      string
	Role         string
	Email        string
	PasswordHash string // argon2id PHC string; empty when the user has keys only
	MustChange   bool   // the password is temporary
	Failures     int
	Lockouts     int
	LockedUntil  time.Time
	LastLogin    time.Time
	CreatedAt    time.Time
}

// Locked reports whether the account is locked at now.
func (u User) Locked(now time.Time) bool { return now.Before(u.LockedUntil) }

const userColumns = `id, login, COALESCE(mailbox,''), role, email, password_hash, must_change, failures, lockouts, locked_until, last_login, created_at`

func scanUser(row scanner) (User, error) {
	var u User
	var locked, last sql.NullString
	var created string
	err := row.Scan(&u.ID, &u.Login, &u.Mailbox, &u.Role, &u.Email, &u.PasswordHash, &u.MustChange,
		&u.Failures, &u.Lockouts, &locked, &last, &created)
	u.LockedUntil, u.LastLogin, u.CreatedAt = nullTime(locked), nullTime(last), parseTime(created)
	return u, err
}

// AddUser inserts a user and returns it with its id. ErrExists if the login
// is taken (logins are case-insensitive). The notices (its username and
// temporary password) are enqueued in the same transaction.
func (l *Ledger) AddUser(ctx context.Context, u User, now time.Time, mails ...Mail) (User, error) {
	return l.AddUserAudited(ctx, u, now, nil, mails...)
}

// User returns the user with the given login, or ErrNotFound.
func (l *Ledger) User(ctx context.Context, login string) (User, error) {
	u, err := scanUser(l.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE login = ?`, login))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("user %s: %w", login, ErrNotFound)
	}
	return u, err
}

// Users lists every user by login.
func (l *Ledger) Users(ctx context.Context) ([]User, error) {
	return queryAll(ctx, l.db, scanUser, `SELECT `+userColumns+` FROM users ORDER BY login`)
}

// DeleteUser removes a user and its keys.
func (l *Ledger) DeleteUser(ctx context.Context, login string) error {
	return l.affectUser(ctx, login, `DELETE FROM users WHERE login = ?`, login)
}

// SetPassword replaces a user's password hash. mustChange marks it
// temporary. It also clears any lockout. The notices are enqueued in the
// same transaction.
func (l *Ledger) SetPassword(ctx context.Context, login, hash string, mustChange bool, mails ...Mail) error {
	return l.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, must_change = ?,
			failures = 0, lockouts = 0, locked_until = NULL WHERE login = ?`, hash, mustChange, login)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("user %s: %w", login, ErrNotFound)
		}
		return insertMails(ctx, tx, mails)
	})
}

func (l *Ledger) affectUser(ctx context.Context, login, query string, args ...any) error {
	res, err := l.exec(ctx, query, args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("user %s: %w", login, ErrNotFound)
	}
	return nil
}
