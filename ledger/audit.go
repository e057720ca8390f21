package ledger

import (
	"context"
	"database/sql"
	"time"
)

// Audit event names.
const (
	EventLogin         = "login"
	EventLoginFailed   = "login-failed"
	EventLocked        = "locked"
	EventPasswordSet   = "password-changed"
	EventUpload        = "upload"
	EventUploadAborted = "upload-aborted"
	EventDownload      = "download"
	EventDelete        = "delete"
	EventAdmin         = "admin"
	EventRouted        = "routed"
	EventSearch        = "lost-search"
	EventClaim         = "lost-claim"
	EventRejected      = "rejected"
	EventMessageSent   = "message-sent"
	EventMessageBack   = "message-returned"
	EventMessageRead   = "message-read"
	EventMessageFile   = "message-file"
)

// Event is one audit log entry. Detail never holds secrets or pupil data.
type Event struct {
	At      time.Time
	Event   string
	Login   string
	Mailbox string
	Remote  string
	Object  string
	Detail  string
}

// Audit appends an event to the audit log.
func (l *Ledger) Audit(ctx context.Context, e Event) error {
	_, err := l.exec(ctx, auditInsert, formatTime(e.At), e.Event, e.Login, e.Mailbox, e.Remote, e.Object, e.Detail)
	return err
}

const auditInsert = `INSERT INTO audit (at, event, login, mailbox, remote, object, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`

// insertAudit appends an event inside a transaction.
func insertAudit(ctx context.Context, tx *sql.Tx, e Event) error {
	_, err := tx.ExecContext(ctx, auditInsert, formatTime(e.At), e.Event, e.Login, e.Mailbox, e.Remote, e.Object, e.Detail)
	return err
}

// AuditEvents returns the audit log in order, optionally only one event kind.
func (l *Ledger) AuditEvents(ctx context.Context, event string) ([]Event, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT at, event, login, mailbox, remote, object, detail FROM audit
		WHERE ? = '' OR event = ? ORDER BY id`, event, event)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var at string
		if err := rows.Scan(&at, &e.Event, &e.Login, &e.Mailbox, &e.Remote, &e.Object, &e.Detail); err != nil {
			return nil, err
		}
		e.At = parseTime(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
