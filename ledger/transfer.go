package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Transfer states.
const (
	StateAwaiting  = "awaiting"
	StateCollected = "collected"
	StateRejected  = "rejected"
	StateWithdrawn = "withdrawn"
	StateExpired   = "expired"
)

// Transfer event names.
const (
	TransferAccepted   = "accepted"
	TransferRedirected = "redirected"
	TransferCollected  = "collected"
	TransferDownloaded = "re-downloaded"
	TransferRejected   = "rejected"
	TransferDeleted    = "deleted"
)

// Transfer is one accepted file.
type Transfer struct {
	ID          int64
	Name        string
	Kind        string // ctf, cml, cmj, generic
	Sender      string // source mailbox code
	SenderLA    string
	SenderLogin string
	Addressed   string // the destination the name gave
	Dest        string // where it went: a mailbox (a successor, perhaps) or XXXXXXX/MMMMMMM
	DestLA      string
	Size        int64
	SHA256      string
	Pupils      int
	Warnings    []string // data-quality warnings; never pupil data
	UploadedAt  time.Time
	State       string
	StateAt     time.Time
	StateBy     string
	CollectedAt time.Time
	Path        string // the stored file, relative to the data directory
	RemovedAt   time.Time
}

// Copy is an LA's copy of a transfer.
type Copy struct {
	LACode string
	Path   string
}

const transferColumns = `id, name, kind, sender, sender_la, sender_login, addressed, dest, dest_la, size, sha256, pupils,
	warnings, uploaded_at, state, state_at, state_by, collected_at, path, removed_at`

func scanTransfer(row interface{ Scan(...any) error }) (Transfer, error) {
	var t Transfer
	var warnings, uploaded, stateAt string
	var collected, removed sql.NullString
	err := row.Scan(&t.ID, &t.Name, &t.Kind, &t.Sender, &t.SenderLA, &t.SenderLogin, &t.Addressed, &t.Dest, &t.DestLA,
		&t.Size, &t.SHA256, &t.Pupils, &warnings, &uploaded, &t.State, &stateAt, &t.StateBy, &collected, &t.Path, &removed)
	if warnings != "" {
		t.Warnings = strings.Split(warnings, "\n")
	}
	t.UploadedAt, t.StateAt = parseTime(uploaded), parseTime(stateAt)
	t.CollectedAt, t.RemovedAt = nullTime(collected), nullTime(removed)
	return t, err
}

// FinishRouted records a pending upload as routed: the transfer, its LA
// copies, its Lost Pupil Database record if any, and its first event, all
// in one transaction. It returns the transfer id.
// The audit event, if not zero, and the notices are added in the same
// transaction.
func (l *Ledger) FinishRouted(ctx context.Context, uploadID int64, t Transfer, copies []Copy, lost *LostPupil, audit Event, mails []Mail, now time.Time) (id int64, err error) {
	err = l.Write(ctx, func(w *Writes) error {
		id, err = w.FinishRouted(uploadID, t, copies, lost, audit, mails, now)
		return err
	})
	return id, err
}

// FinishRouted is Ledger.FinishRouted within w.
func (w *Writes) FinishRouted(uploadID int64, t Transfer, copies []Copy, lost *LostPupil, audit Event, mails []Mail, now time.Time) (int64, error) {
	ctx, tx := w.ctx, w.tx
	res, err := tx.ExecContext(ctx, `INSERT INTO transfers (name, kind, sender, sender_la, sender_login, addressed, dest, dest_la,
		size, sha256, pupils, warnings, uploaded_at, state, state_at, state_by, path)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'awaiting', ?, ?, ?)`,
		t.Name, t.Kind, t.Sender, t.SenderLA, t.SenderLogin, t.Addressed, t.Dest, t.DestLA,
		t.Size, t.SHA256, t.Pupils, strings.Join(t.Warnings, "\n"), formatTime(t.UploadedAt),
		formatTime(now), t.SenderLogin, t.Path)
	if err != nil {
		return 0, err
	}
	id, _ := res.LastInsertId()
	for _, c := range copies {
		if _, err := tx.ExecContext(ctx, `INSERT INTO transfer_copies (transfer_id, la_code, path) VALUES (?, ?, ?)`,
			id, c.LACode, c.Path); err != nil {
			return 0, err
		}
	}
	if lost != nil {
		if err := insertLostPupil(ctx, tx, id, *lost); err != nil {
			return 0, err
		}
	}
	detail := ""
	if t.Dest != t.Addressed {
		detail = fmt.Sprintf("addressed to %s, redirected to its successor %s", t.Addressed, t.Dest)
	}
	if err := addEvent(ctx, tx, id, now, TransferAccepted, t.SenderLogin, "", detail); err != nil {
		return 0, err
	}
	res, err = tx.ExecContext(ctx, `UPDATE uploads SET outcome = 'routed', transfer_id = ?, done_at = ? WHERE id = ? AND outcome = 'pending'`,
		id, formatTime(now), uploadID)
	if err != nil {
		return 0, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return 0, fmt.Errorf("upload %d is not pending", uploadID)
	}
	if err := insertMails(ctx, tx, mails); err != nil {
		return 0, err
	}
	if audit.Event != "" {
		audit.Detail = strings.ReplaceAll(audit.Detail, "{transfer}", fmt.Sprint(id))
		if err := insertAudit(ctx, tx, audit); err != nil {
			return 0, err
		}
	}
	return id, nil
}

func addEvent(ctx context.Context, tx *sql.Tx, id int64, at time.Time, event, login, remote, detail string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO transfer_events (transfer_id, at, event, login, remote, detail) VALUES (?, ?, ?, ?, ?, ?)`,
		id, formatTime(at), event, login, remote, detail)
	return err
}

// Transfer returns one transfer by id.
func (l *Ledger) Transfer(ctx context.Context, id int64) (Transfer, error) {
	t, err := scanTransfer(l.db.QueryRowContext(ctx, `SELECT `+transferColumns+` FROM transfers WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Transfer{}, fmt.Errorf("transfer %d: %w", id, ErrNotFound)
	}
	return t, err
}

// TransferAt returns the transfer whose file is stored at path and has not
// been removed.
func (l *Ledger) TransferAt(ctx context.Context, path string) (Transfer, error) {
	t, err := scanTransfer(l.db.QueryRowContext(ctx, `SELECT `+transferColumns+` FROM transfers
		WHERE path = ? AND removed_at IS NULL ORDER BY id DESC LIMIT 1`, path))
	if errors.Is(err, sql.ErrNoRows) {
		return Transfer{}, fmt.Errorf("transfer at %s: %w", path, ErrNotFound)
	}
	return t, err
}

// Downloaded records a read of a transfer by a user of its destination. The
// first complete read collects it, enqueuing onCollect; later ones are
// re-downloads. It reports whether this read collected the transfer.
func (l *Ledger) Downloaded(ctx context.Context, id int64, login, remote string, onCollect []Mail, now time.Time) (collected bool, err error) {
	err = l.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE transfers SET state = 'collected', state_at = ?, state_by = ?, collected_at = ?
			WHERE id = ? AND state = 'awaiting'`, formatTime(now), login, formatTime(now), id)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		collected = n == 1
		event := TransferDownloaded
		if collected {
			event = TransferCollected
			if err := insertMails(ctx, tx, onCollect); err != nil {
				return err
			}
		}
		return addEvent(ctx, tx, id, now, event, login, remote, "")
	})
	return collected, err
}

// Removed records that the recipient deleted a transfer's file. An
// uncollected transfer becomes rejected, enqueuing onReject; it reports
// whether it did.
func (l *Ledger) Removed(ctx context.Context, id int64, login, remote string, onReject []Mail, now time.Time) (rejected bool, err error) {
	err = l.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE transfers SET state = 'rejected', state_at = ?, state_by = ?
			WHERE id = ? AND state = 'awaiting'`, formatTime(now), login, id)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		rejected = n == 1
		if _, err := tx.ExecContext(ctx, `UPDATE transfers SET removed_at = ? WHERE id = ?`, formatTime(now), id); err != nil {
			return err
		}
		event := TransferDeleted
		if rejected {
			event = TransferRejected
			if err := insertMails(ctx, tx, onReject); err != nil {
				return err
			}
		}
		return addEvent(ctx, tx, id, now, event, login, remote, "")
	})
	return rejected, err
}

// CopyRemoved records that an LA deleted its copy.
func (l *Ledger) CopyRemoved(ctx context.Context, path string, now time.Time) error {
	_, err := l.exec(ctx, copyRemovedSQL, formatTime(now), path)
	return err
}

// Waiting reports whether a transfer named name still waits, uncollected
// or undeleted, at dest.
func (l *Ledger) Waiting(ctx context.Context, dest, name string) (bool, error) {
	var n int
	err := l.db.QueryRowContext(ctx, waitingSQL, dest, name).Scan(&n)
	return n > 0, err
}

// EachWaiting calls fn with the destination and name of every transfer
// that still waits (Waiting would say so), in no particular order.
func (l *Ledger) EachWaiting(ctx context.Context, fn func(dest, name string)) error {
	rows, err := l.db.QueryContext(ctx, `SELECT dest, name FROM transfers INDEXED BY transfers_waiting WHERE removed_at IS NULL`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var dest, name string
		if err := rows.Scan(&dest, &name); err != nil {
			return err
		}
		fn(dest, name)
	}
	return rows.Err()
}

// MailboxWaiting is Mailbox and Waiting for the same code in one query,
// as the OPEN pre-check of every upload asks both of its destination.
func (l *Ledger) MailboxWaiting(ctx context.Context, code, name string) (Mailbox, bool, error) {
	var waiting bool
	m, err := scanMailbox(rowScanner(func(dest ...any) error {
		return l.db.QueryRowContext(ctx, mailboxWaitingSQL, name, code).Scan(append(dest, &waiting)...)
	}))
	if errors.Is(err, sql.ErrNoRows) {
		return Mailbox{}, false, fmt.Errorf("mailbox %s: %w", code, ErrNotFound)
	}
	return m, waiting, err
}

// mailboxWaitingSQL is MailboxWaiting's query: the mailbox by its key,
// and waitingSQL's lookup in transfers_waiting.
const mailboxWaitingSQL = `SELECT ` + mailboxColumns + `, EXISTS (SELECT 1 FROM transfers
	WHERE dest = mailboxes.code AND name = ? COLLATE NOCASE AND removed_at IS NULL) FROM mailboxes WHERE code = ?`

// rowScanner turns a function into a scanner, for a scan function that
// must read more columns than it knows.
type rowScanner func(dest ...any) error

func (f rowScanner) Scan(dest ...any) error { return f(dest...) }

// waitingSQL is Waiting's query, which transfers_waiting answers.
const waitingSQL = `SELECT COUNT(*) FROM transfers WHERE dest = ? AND name = ? COLLATE NOCASE AND removed_at IS NULL`

// copyRemovedSQL is CopyRemoved's update, which transfer_copies_path answers.
const copyRemovedSQL = `UPDATE transfer_copies SET removed_at = ? WHERE path = ? AND removed_at IS NULL`

// TransferFilter selects transfers; empty fields match everything.
type TransferFilter struct {
	Mailbox string // sender or destination
	State   string
}

// Transfers lists transfers, newest first.
func (l *Ledger) Transfers(ctx context.Context, f TransferFilter) ([]Transfer, error) {
	return l.transfers(ctx, `WHERE (? = '' OR sender = ? OR dest = ?) AND (? = '' OR state = ?) ORDER BY id DESC`,
		f.Mailbox, f.Mailbox, f.Mailbox, f.State, f.State)
}

// transfers runs a query whose clauses are constant text; values go in
// args.
func (l *Ledger) transfers(ctx context.Context, clauses string, args ...any) ([]Transfer, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT `+transferColumns+` FROM transfers `+clauses, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Transfer
	for rows.Next() {
		t, err := scanTransfer(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// LiveFiles returns the path of every stored file the ledger says exists:
// transfers and LA copies not removed.
func (l *Ledger) LiveFiles(ctx context.Context) (map[string]int64, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT path, id FROM transfers WHERE removed_at IS NULL
		UNION ALL SELECT path, transfer_id FROM transfer_copies WHERE removed_at IS NULL`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string]int64)
	for rows.Next() {
		var p string
		var id int64
		if err := rows.Scan(&p, &id); err != nil {
			return nil, err
		}
		out[p] = id
	}
	return out, rows.Err()
}
