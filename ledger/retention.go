package ledger

import (
	"context"
	"database/sql"
	"time"
)

// TransfersBefore lists live transfers (file not removed) in a state whose
// time column is before t: StateAwaiting by upload time, StateCollected by
// collection time.
func (l *Ledger) TransfersBefore(ctx context.Context, state string, before time.Time) ([]Transfer, error) {
	column := "uploaded_at"
	if state == StateCollected {
		column = "collected_at"
	}
	// column is one of two constants above, never input.
	return l.transfers(ctx, `WHERE state = ? AND removed_at IS NULL AND `+column+` < ? ORDER BY id`, state, formatTime(before))
}

// CopiesOf lists a transfer's LA copies still on disk.
func (l *Ledger) CopiesOf(ctx context.Context, id int64) ([]Copy, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT la_code, path FROM transfer_copies WHERE transfer_id = ? AND removed_at IS NULL`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Copy
	for rows.Next() {
		var c Copy
		if err := rows.Scan(&c.LACode, &c.Path); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Retire records that retention or a withdrawal removed a transfer's file
// and its copies. newState, if not empty, is the state it enters (expired
// or withdrawn; an awaiting transfer only); the notices are enqueued in
// the same transaction. It reports whether the transfer was still live.
func (l *Ledger) Retire(ctx context.Context, id int64, newState, event, login string, mails []Mail, now time.Time) (bool, error) {
	var live bool
	err := l.tx(ctx, func(tx *sql.Tx) error {
		q := `UPDATE transfers SET removed_at = ? WHERE id = ? AND removed_at IS NULL`
		args := []any{formatTime(now), id}
		if newState != "" {
			q = `UPDATE transfers SET removed_at = ?, state = ?, state_at = ?, state_by = ? WHERE id = ? AND removed_at IS NULL AND state = 'awaiting'`
			args = []any{formatTime(now), newState, formatTime(now), login, id}
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		live = true
		if _, err := tx.ExecContext(ctx, `UPDATE transfer_copies SET removed_at = ? WHERE transfer_id = ? AND removed_at IS NULL`,
			formatTime(now), id); err != nil {
			return err
		}
		if err := addEvent(ctx, tx, id, now, event, login, "", ""); err != nil {
			return err
		}
		return insertMails(ctx, tx, mails)
	})
	return live, err
}

// RejectedUploadsBefore lists rejected uploads whose files have not been
// cleaned and which were rejected before t.
func (l *Ledger) RejectedUploadsBefore(ctx context.Context, before time.Time) ([]Upload, error) {
	return l.uploads(ctx, `WHERE outcome = 'rejected' AND cleaned_at IS NULL AND done_at < ? ORDER BY id`, formatTime(before))
}

// UploadCleaned records that a rejected upload's files were deleted.
func (l *Ledger) UploadCleaned(ctx context.Context, id int64, now time.Time) error {
	_, err := l.exec(ctx, `UPDATE uploads SET cleaned_at = ? WHERE id = ?`, formatTime(now), id)
	return err
}

// LostRemoved records that a Lost Pupil Database record was removed.
func (l *Ledger) LostRemoved(ctx context.Context, id int64, now time.Time) error {
	return l.tx(ctx, func(tx *sql.Tx) error {
		var transfer int64
		if err := tx.QueryRowContext(ctx, `SELECT transfer_id FROM lost_pupils WHERE id = ?`, id).Scan(&transfer); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE lost_pupils SET state = 'removed' WHERE id = ?`, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE transfers SET removed_at = ? WHERE id = ? AND removed_at IS NULL`, formatTime(now), transfer)
		return err
	})
}

// PurgeMetadata deletes the ledger rows of transfers uploaded before t
// whose files are gone: after the metadata retention period, nothing of
// them is kept. It returns how many transfers it deleted.
func (l *Ledger) PurgeMetadata(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := l.tx(ctx, func(tx *sql.Tx) error {
		b := formatTime(before)
		sel := `SELECT id FROM transfers WHERE uploaded_at < ? AND removed_at IS NOT NULL`
		for _, q := range []string{
			`DELETE FROM transfer_events WHERE transfer_id IN (` + sel + `)`,
			`DELETE FROM transfer_copies WHERE transfer_id IN (` + sel + `)`,
			`DELETE FROM lost_pupils WHERE transfer_id IN (` + sel + `)`,
			`DELETE FROM uploads WHERE transfer_id IN (` + sel + `)`,
		} {
			if _, err := tx.ExecContext(ctx, q, b); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM uploads WHERE outcome = 'rejected' AND received_at < ?`, b); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM transfers WHERE uploaded_at < ? AND removed_at IS NOT NULL`, b)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}

// LatestRejection returns the id of the newest rejected upload of a name
// in a mailbox: the one whose file is in its rejected folder now.
func (l *Ledger) LatestRejection(ctx context.Context, box, name string) (int64, error) {
	var id int64
	err := l.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM uploads WHERE box = ? AND name = ? AND outcome = 'rejected'`,
		box, name).Scan(&id)
	return id, err
}

// Withdrawable lists the uncollected transfers an LA may withdraw: those
// sent by or to one of its schools (or itself), newest first.
func (l *Ledger) Withdrawable(ctx context.Context, la string) ([]Transfer, error) {
	return l.transfers(ctx, `WHERE state = 'awaiting' AND removed_at IS NULL AND (sender_la = ? OR dest_la = ?)
		ORDER BY id DESC LIMIT 1000`, la, la)
}
