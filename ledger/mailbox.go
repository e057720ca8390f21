package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/mattn/go-sqlite3"
)

// Mailbox statuses.
const (
	StatusOpen   = "open"
	StatusClosed = "closed"
)

// Mailbox is one school's or LA's mailbox.
type Mailbox struct {
	Code      string
	Name      string
	Kind      string
	LA        string
	Status    string
	Successor string
	Email     string
	Telephone string
	Town      string
	Postcode  string
	Copies    bool
	URN       string
	CreatedAt time.Time
	UpdatedAt time.Time
}

const mailboxColumns = `code, name, kind, la, status, COALESCE(successor,''), email, telephone, town, postcode, copies, COALESCE(urn,''), created_at, updated_at`

func scanMailbox(row scanner) (Mailbox, error) {
	var m Mailbox
	var created, updated string
	err := row.Scan(&m.Code, &m.Name, &m.Kind, &m.LA, &m.Status, &m.Successor, &m.Email,
		&m.Telephone, &m.Town, &m.Postcode, &m.Copies, &m.URN, &created, &updated)
	m.CreatedAt, m.UpdatedAt = parseTime(created), parseTime(updated)
	return m, err
}

// AddMailbox inserts a new mailbox; ErrExists if its code is taken.
func (l *Ledger) AddMailbox(ctx context.Context, m Mailbox, now time.Time) error {
	if m.Status == "" {
		m.Status = StatusOpen
	}
	_, err := l.exec(ctx, `INSERT INTO mailboxes
		(code, name, kind, la, status, successor, email, telephone, town, postcode, copies, urn, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, NULLIF(?,''), ?, ?, ?, ?, ?, NULLIF(?,''), ?, ?)`,
		m.Code, m.Name, m.Kind, m.LA, m.Status, m.Successor, m.Email, m.Telephone, m.Town, m.Postcode,
		m.Copies, m.URN, formatTime(now), formatTime(now))
	if isConstraint(err) {
		return fmt.Errorf("mailbox %s: %w", m.Code, ErrExists)
	}
	return err
}

// UpsertMailbox inserts m or, if its code exists, updates it in place
// (keeping its creation time). It reports whether a row was inserted.
func (l *Ledger) UpsertMailbox(ctx context.Context, m Mailbox, now time.Time) (inserted bool, err error) {
	if m.Status == "" {
		m.Status = StatusOpen
	}
	err = l.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE mailboxes SET name = ?, kind = ?, la = ?, status = ?,
			successor = NULLIF(?,''), email = CASE WHEN ? = '' THEN email ELSE ? END,
			telephone = CASE WHEN ? = '' THEN telephone ELSE ? END,
			town = ?, postcode = ?, urn = NULLIF(?,''), updated_at = ? WHERE code = ?`,
			m.Name, m.Kind, m.LA, m.Status, m.Successor, m.Email, m.Email, m.Telephone, m.Telephone,
			m.Town, m.Postcode, m.URN, formatTime(now), m.Code)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
		inserted = true
		_, err = tx.ExecContext(ctx, `INSERT INTO mailboxes
			(code, name, kind, la, status, successor, email, telephone, town, postcode, copies, urn, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, NULLIF(?,''), ?, ?, ?, ?, ?, NULLIF(?,''), ?, ?)`,
			m.Code, m.Name, m.Kind, m.LA, m.Status, m.Successor, m.Email, m.Telephone, m.Town, m.Postcode,
			m.Copies, m.URN, formatTime(now), formatTime(now))
		return err
	})
	return inserted, err
}

// Mailbox returns the mailbox with the given code, or ErrNotFound.
func (l *Ledger) Mailbox(ctx context.Context, code string) (Mailbox, error) {
	m, err := scanMailbox(l.db.QueryRowContext(ctx, `SELECT `+mailboxColumns+` FROM mailboxes WHERE code = ?`, code))
	if errors.Is(err, sql.ErrNoRows) {
		return Mailbox{}, fmt.Errorf("mailbox %s: %w", code, ErrNotFound)
	}
	return m, err
}

// MailboxByURN returns the mailbox imported with the given GIAS URN.
func (l *Ledger) MailboxByURN(ctx context.Context, urn string) (Mailbox, error) {
	m, err := scanMailbox(l.db.QueryRowContext(ctx, `SELECT `+mailboxColumns+` FROM mailboxes WHERE urn = ?`, urn))
	if errors.Is(err, sql.ErrNoRows) {
		return Mailbox{}, fmt.Errorf("mailbox with URN %s: %w", urn, ErrNotFound)
	}
	return m, err
}

// Mailboxes lists every mailbox by code.
func (l *Ledger) Mailboxes(ctx context.Context) ([]Mailbox, error) {
	return queryAll(ctx, l.db, scanMailbox, `SELECT `+mailboxColumns+` FROM mailboxes ORDER BY code`)
}

// CloseMailbox marks a mailbox closed, with an optional successor.
func (l *Ledger) CloseMailbox(ctx context.Context, code, successor string, now time.Time) error {
	res, err := l.exec(ctx, `UPDATE mailboxes SET status = 'closed', successor = NULLIF(?,''), updated_at = ? WHERE code = ?`,
		successor, formatTime(now), code)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("mailbox %s: %w", code, ErrNotFound)
	}
	return nil
}

func isConstraint(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.Code == sqlite3.ErrConstraint
}
