package ledger

import (
	"context"
	"fmt"
	"time"
)

// Key is one SSH public key a user may log in with.
type Key struct {
	Fingerprint string // SHA256:… as ssh-keygen prints it
	Key         string // authorized_keys form, without comment
	Comment     string
	CreatedAt   time.Time
}

// AddKey adds a public key to a user. ErrExists if the user has it already.
func (l *Ledger) AddKey(ctx context.Context, login string, k Key, now time.Time) error {
	u, err := l.User(ctx, login)
	if err != nil {
		return err
	}
	_, err = l.exec(ctx, `INSERT INTO user_keys (user_id, fingerprint, key, comment, created_at) VALUES (?, ?, ?, ?, ?)`,
		u.ID, k.Fingerprint, k.Key, k.Comment, formatTime(now))
	if isConstraint(err) {
		return fmt.Errorf("key %s of user %s: %w", k.Fingerprint, login, ErrExists)
	}
	return err
}

// HasKey reports whether the user holds a key with this fingerprint.
func (l *Ledger) HasKey(ctx context.Context, login, fingerprint string) (bool, error) {
	var n int
	err := l.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM user_keys k JOIN users u ON u.id = k.user_id
		WHERE u.login = ? AND k.fingerprint = ?`, login, fingerprint).Scan(&n)
	return n > 0, err
}

// Keys lists a user's keys.
func (l *Ledger) Keys(ctx context.Context, login string) ([]Key, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT k.fingerprint, k.key, k.comment, k.created_at FROM user_keys k
		JOIN users u ON u.id = k.user_id WHERE u.login = ? ORDER BY k.id`, login)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Key
	for rows.Next() {
		var k Key
		var created string
		if err := rows.Scan(&k.Fingerprint, &k.Key, &k.Comment, &created); err != nil {
			return nil, err
		}
		k.CreatedAt = parseTime(created)
		out = append(out, k)
	}
	return out, rows.Err()
}
