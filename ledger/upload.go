package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Upload outcomes.
const (
	UploadPending  = "pending"
	UploadRouted   = "routed"
	UploadRejected = "rejected"
)

// Upload is the routing intent log's record of one acknowledged file. It
// is written, with the router's plan, before any file moves; a crash
// leaves it pending, and the restart carries out the same plan.
type Upload struct {
	ID         int64
	Box        string
	Name       string
	Login      string
	Remote     string
	Size       int64
	SHA256     string
	ReceivedAt time.Time
	Outcome    string
	Plan       string // the router's decision, opaque to the ledger
	Reasons    string
	TransferID int64
}

const uploadColumns = `id, box, name, login, remote, size, sha256, received_at, outcome, plan, reasons, COALESCE(transfer_id, 0)`

func scanUpload(row interface{ Scan(...any) error }) (Upload, error) {
	var u Upload
	var at string
	err := row.Scan(&u.ID, &u.Box, &u.Name, &u.Login, &u.Remote, &u.Size, &u.SHA256, &at, &u.Outcome, &u.Plan, &u.Reasons, &u.TransferID)
	u.ReceivedAt = parseTime(at)
	return u, err
}

// BeginUpload records a pending upload with its plan. If box/name already
// has a pending upload (a crash interrupted it), that one is returned
// unchanged with resumed set, so the same plan is carried out. The audit
// events, if any, are appended in the same transaction for a new upload.
func (l *Ledger) BeginUpload(ctx context.Context, u Upload, audit ...Event) (_ Upload, resumed bool, err error) {
	err = l.Write(ctx, func(w *Writes) error {
		u, resumed, err = w.BeginUpload(u, audit...)
		return err
	})
	return u, resumed, err
}

// BeginUpload is Ledger.BeginUpload within w.
func (w *Writes) BeginUpload(u Upload, audit ...Event) (_ Upload, resumed bool, err error) {
	ctx, tx := w.ctx, w.tx
	old, err := scanUpload(tx.QueryRowContext(ctx, `SELECT `+uploadColumns+` FROM uploads
		WHERE box = ? AND name = ? AND outcome = 'pending'`, u.Box, u.Name))
	if err == nil {
		return old, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return u, false, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM upload_senders WHERE box = ? AND name = ?`, u.Box, u.Name); err != nil {
		return u, false, err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO uploads (box, name, login, remote, size, sha256, received_at, outcome, plan, reasons)
		VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
		u.Box, u.Name, u.Login, u.Remote, u.Size, u.SHA256, formatTime(u.ReceivedAt), u.Plan, u.Reasons)
	if err != nil {
		return u, false, err
	}
	u.ID, _ = res.LastInsertId()
	u.Outcome = UploadPending
	for _, e := range audit {
		if err := insertAudit(ctx, tx, e); err != nil {
			return u, false, err
		}
	}
	return u, false, nil
}

// PendingUpload returns the pending upload of box/name, if any.
func (l *Ledger) PendingUpload(ctx context.Context, box, name string) (Upload, bool, error) {
	u, err := scanUpload(l.db.QueryRowContext(ctx, `SELECT `+uploadColumns+` FROM uploads
		WHERE box = ? AND name = ? AND outcome = 'pending'`, box, name))
	if errors.Is(err, sql.ErrNoRows) {
		return Upload{}, false, nil
	}
	return u, err == nil, err
}

// PendingUploads lists the uploads a crash left pending, oldest first.
func (l *Ledger) PendingUploads(ctx context.Context) ([]Upload, error) {
	return l.uploads(ctx, `WHERE outcome = 'pending' ORDER BY id`)
}

// Uploads lists every upload record, oldest first.
func (l *Ledger) Uploads(ctx context.Context) ([]Upload, error) {
	return l.uploads(ctx, `ORDER BY id`)
}

// uploads runs a query whose clauses are constant text; values go in args.
func (l *Ledger) uploads(ctx context.Context, clauses string, args ...any) ([]Upload, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT `+uploadColumns+` FROM uploads `+clauses, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Upload
	for rows.Next() {
		u, err := scanUpload(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// FinishRejected closes a pending upload as rejected by validation, with
// its audit event and notices in the same transaction.
func (l *Ledger) FinishRejected(ctx context.Context, uploadID int64, audit Event, mails []Mail, now time.Time) error {
	return l.Write(ctx, func(w *Writes) error { return w.FinishRejected(uploadID, audit, mails, now) })
}

// FinishRejected is Ledger.FinishRejected within w.
func (w *Writes) FinishRejected(uploadID int64, audit Event, mails []Mail, now time.Time) error {
	ctx, tx := w.ctx, w.tx
	res, err := tx.ExecContext(ctx, `UPDATE uploads SET outcome = 'rejected', done_at = ? WHERE id = ? AND outcome = 'pending'`,
		formatTime(now), uploadID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("upload %d is not pending", uploadID)
	}
	if err := insertMails(ctx, tx, mails); err != nil {
		return err
	}
	if audit.Event == "" {
		return nil
	}
	return insertAudit(ctx, tx, audit)
}

// UploadSender is who sent a file that waits in an outbox to be routed.
type UploadSender struct {
	Login, Role, Remote string
}

// SetUploadSender records who is sending box/name, before the file enters
// the outbox. BeginUpload clears it.
func (l *Ledger) SetUploadSender(ctx context.Context, box, name string, s UploadSender, now time.Time) error {
	_, err := l.exec(ctx, `INSERT OR REPLACE INTO upload_senders (box, name, login, role, remote, at)
		VALUES (?, ?, ?, ?, ?, ?)`, box, name, s.Login, s.Role, s.Remote, formatTime(now))
	return err
}

// ClearUploadSender forgets the sender of a file that never arrived.
func (l *Ledger) ClearUploadSender(ctx context.Context, box, name string) error {
	_, err := l.exec(ctx, `DELETE FROM upload_senders WHERE box = ? AND name = ?`, box, name)
	return err
}

// GetUploadSender returns who sent box/name, if it was recorded.
func (l *Ledger) GetUploadSender(ctx context.Context, box, name string) (UploadSender, bool, error) {
	var s UploadSender
	err := l.db.QueryRowContext(ctx, `SELECT login, role, remote FROM upload_senders WHERE box = ? AND name = ?`,
		box, name).Scan(&s.Login, &s.Role, &s.Remote)
	if errors.Is(err, sql.ErrNoRows) {
		return s, false, nil
	}
	return s, err == nil, err
}
