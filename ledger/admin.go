package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// An LA's self-administration (/admin/): its users and schools, changed
// only while they still belong to the LA, each change in one transaction
// with its audit entries and the emails it sends.

// LAUsers lists the users whose mailbox belongs to the LA numbered la (its
// schools and its own LA, census and admissions mailboxes), by mailbox and
// login.
func (l *Ledger) LAUsers(ctx context.Context, la string) ([]User, error) {
	return queryAll(ctx, l.db, scanUser, `SELECT `+userColumns+` FROM users
		WHERE mailbox IN (SELECT code FROM mailboxes WHERE la = ?) ORDER BY mailbox, login`, la)
}

// LAMailboxes lists the mailboxes of the LA numbered la, of one kind, by
// code.
func (l *Ledger) LAMailboxes(ctx context.Context, la, kind string) ([]Mailbox, error) {
	return queryAll(ctx, l.db, scanMailbox, `SELECT `+mailboxColumns+` FROM mailboxes WHERE la = ? AND kind = ? ORDER BY code`, la, kind)
}

// AddUserAudited inserts a user, like AddUser, with its audit entries and
// notices in the same transaction.
func (l *Ledger) AddUserAudited(ctx context.Context, u User, now time.Time, events []Event, mails ...Mail) (User, error) {
	err := l.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO users (login, mailbox, role, email, password_hash, must_change, created_at)
			VALUES (?, NULLIF(?,''), ?, ?, ?, ?, ?)`,
			u.Login, u.Mailbox, u.Role, u.Email, u.PasswordHash, u.MustChange, formatTime(now))
		if err != nil {
			return err
		}
		u.ID, _ = res.LastInsertId()
		return insertEventsAndMails(ctx, tx, events, mails)
	})
	if isConstraint(err) {
		return User{}, fmt.Errorf("user %s: %w", u.Login, ErrExists)
	}
	if err != nil {
		return User{}, err
	}
	u.CreatedAt = now
	return u, nil
}

// UserChange is a change to an existing user of an LA. Empty fields are
// left as they are.
type UserChange struct {
	Login        string
	Role         string
	Email        string
	PasswordHash string // a new password; MustChange marks it temporary
	MustChange   bool
}

// ChangeLAUser applies c to the user, if its mailbox belongs to the LA
// numbered la (ErrNotFound otherwise), with its audit entries and notices
// in the same transaction. A new password also clears any lockout.
func (l *Ledger) ChangeLAUser(ctx context.Context, la string, c UserChange, events []Event, mails ...Mail) error {
	return l.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET
			role = CASE WHEN ?1 = '' THEN role ELSE ?1 END,
			email = CASE WHEN ?2 = '' THEN email ELSE ?2 END,
			password_hash = CASE WHEN ?3 = '' THEN password_hash ELSE ?3 END,
			must_change = CASE WHEN ?3 = '' THEN must_change ELSE ?4 END,
			failures = CASE WHEN ?3 = '' THEN failures ELSE 0 END,
			lockouts = CASE WHEN ?3 = '' THEN lockouts ELSE 0 END,
			locked_until = CASE WHEN ?3 = '' THEN locked_until ELSE NULL END
			WHERE login = ?5 AND mailbox IN (SELECT code FROM mailboxes WHERE la = ?6)`,
			c.Role, c.Email, c.PasswordHash, c.MustChange, c.Login, la)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("user %s in LA %s: %w", c.Login, la, ErrNotFound)
		}
		return insertEventsAndMails(ctx, tx, events, mails)
	})
}

// DeleteLAUser removes a user and its keys, if its mailbox belongs to the
// LA numbered la (ErrNotFound otherwise), with its audit entries in the
// same transaction.
func (l *Ledger) DeleteLAUser(ctx context.Context, la, login string, events []Event) error {
	return l.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM users
			WHERE login = ? AND mailbox IN (SELECT code FROM mailboxes WHERE la = ?)`, login, la)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("user %s in LA %s: %w", login, la, ErrNotFound)
		}
		return insertEventsAndMails(ctx, tx, events, nil)
	})
}

// SchoolDetails are the details of a school its LA keeps.
type SchoolDetails struct {
	Code      string
	Name      string
	Telephone string
	Email     string
	Town      string
}

// SetLASchoolDetails replaces a school's details, if it is an open school
// of the LA numbered la (ErrNotFound otherwise), with its audit entries in
// the same transaction.
func (l *Ledger) SetLASchoolDetails(ctx context.Context, la string, d SchoolDetails, now time.Time, events []Event) error {
	return l.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE mailboxes SET name = ?, telephone = ?, email = ?, town = ?, updated_at = ?
			WHERE code = ? AND la = ? AND kind = 'school' AND status = 'open'`,
			d.Name, d.Telephone, d.Email, d.Town, formatTime(now), d.Code, la)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("school %s in LA %s: %w", d.Code, la, ErrNotFound)
		}
		return insertEventsAndMails(ctx, tx, events, nil)
	})
}

func insertEventsAndMails(ctx context.Context, tx *sql.Tx, events []Event, mails []Mail) error {
	for _, e := range events {
		if err := insertAudit(ctx, tx, e); err != nil {
			return err
		}
	}
	return insertMails(ctx, tx, mails)
}

// AdminResult is the outcome of the last upload of one of an LA's /admin/
// files, as the LA reads it back.
type AdminResult struct {
	LA   string
	File string // e.g. "users.result.txt"
	Body []byte
	At   time.Time
}

// SetAdminResult stores an LA's result file, replacing the last one.
func (l *Ledger) SetAdminResult(ctx context.Context, r AdminResult) error {
	_, err := l.exec(ctx, `INSERT INTO admin_results (la, file, body, at) VALUES (?, ?, ?, ?)
		ON CONFLICT (la, file) DO UPDATE SET body = excluded.body, at = excluded.at`,
		r.LA, r.File, r.Body, formatTime(r.At))
	return err
}

// AdminResults lists an LA's result files by name.
func (l *Ledger) AdminResults(ctx context.Context, la string) ([]AdminResult, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT la, file, body, at FROM admin_results WHERE la = ? ORDER BY file`, la)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AdminResult
	for rows.Next() {
		var r AdminResult
		var at string
		if err := rows.Scan(&r.LA, &r.File, &r.Body, &at); err != nil {
			return nil, err
		}
		r.At = parseTime(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// DeleteAdminResult removes an LA's result file; ErrNotFound if there is
// none.
func (l *Ledger) DeleteAdminResult(ctx context.Context, la, file string) error {
	res, err := l.exec(ctx, `DELETE FROM admin_results WHERE la = ? AND file = ?`, la, file)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%s of LA %s: %w", file, la, ErrNotFound)
	}
	return nil
}
