package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Mail states. A mail is queued until it is sent or fails for good; a
// temporary failure leaves it queued, with its next attempt set.
const (
	MailStateQueued = "queued"
	MailStateSent   = "sent"
	MailStateFailed = "failed"
)

// Mail outbox errors.
var (
	// ErrMailNotDue is returned by BeginMailAttempt for a mail that is not
	// queued or whose next attempt is still to come: another worker took
	// it, or it was already sent.
	ErrMailNotDue = errors.New("mail is not due")
	// ErrMailNotQueued is returned when recording the outcome of a mail
	// that is no longer queued.
	ErrMailNotQueued = errors.New("mail is not queued")
)

// scrubbedBody replaces the body of a Scrub mail once it leaves the queue.
const scrubbedBody = "[removed after delivery]"

// Mail is one notice in the mail outbox. It is written in the same
// transaction as the event it tells of, and the mailer's worker delivers
// it. Its subject and body never hold pupil data.
type Mail struct {
	ID        int64
	CreatedAt time.Time
	Kind      string   // the notice's name, e.g. "file-waiting"
	To        []string // addresses; none may hold a comma
	Subject   string
	Body      string
	// Scrub replaces the body once the mail is sent or has failed, for a
	// notice that holds a secret such as a temporary password.
	Scrub bool
	// Dedupe, if set, is unique across the outbox: enqueueing a second
	// mail with the same key does nothing. It serves notices that must go
	// once, e.g. "weekly:2026-11-23:8231234".
	Dedupe string

	Attempts      int
	NextAttemptAt time.Time // zero when enqueueing means at once
	LastAttemptAt time.Time
	LastError     string
	State         string
	SentAt        time.Time
	FailedAt      time.Time
}

const mailColumns = `id, created_at, kind, to_addrs, subject, body, scrub, COALESCE(dedupe,''), attempts,
	next_attempt_at, last_attempt_at, last_error, state, sent_at, failed_at`

func scanMail(row interface{ Scan(...any) error }) (Mail, error) {
	var m Mail
	var created, next, to string
	var last, sent, failed sql.NullString
	err := row.Scan(&m.ID, &created, &m.Kind, &to, &m.Subject, &m.Body, &m.Scrub, &m.Dedupe, &m.Attempts,
		&next, &last, &m.LastError, &m.State, &sent, &failed)
	m.To = strings.Split(to, ",")
	m.CreatedAt, m.NextAttemptAt = parseTime(created), parseTime(next)
	m.LastAttemptAt, m.SentAt, m.FailedAt = nullTime(last), nullTime(sent), nullTime(failed)
	return m, err
}

// check says what makes m impossible to store, if anything.
func (m Mail) check() error {
	switch {
	case m.Kind == "":
		return errors.New("mail has no kind")
	case m.Subject == "":
		return fmt.Errorf("%s mail has no subject", m.Kind)
	case m.CreatedAt.IsZero():
		return fmt.Errorf("%s mail has no creation time", m.Kind)
	case len(m.To) == 0:
		return fmt.Errorf("%s mail has no recipient", m.Kind)
	}
	for _, a := range m.To {
		if a == "" || strings.ContainsAny(a, ",\r\n") {
			return fmt.Errorf("%s mail: recipient %q is empty or holds a comma or line break", m.Kind, a)
		}
	}
	return nil
}

// EnqueueMail adds mails to the outbox in one transaction. A mail whose
// Dedupe key is already in the outbox is skipped.
func (l *Ledger) EnqueueMail(ctx context.Context, ms ...Mail) error {
	return l.tx(ctx, func(tx *sql.Tx) error { return insertMails(ctx, tx, ms) })
}

// insertMails adds mails to the outbox within tx, so that a ledger method
// can enqueue the notices of an event in the event's own transaction. A
// mail whose Dedupe key is already in the outbox is skipped.
func insertMails(ctx context.Context, tx *sql.Tx, ms []Mail) error {
	for _, m := range ms {
		if err := m.check(); err != nil {
			return err
		}
		next := m.NextAttemptAt
		if next.IsZero() {
			next = m.CreatedAt
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO mail_outbox
			(created_at, kind, to_addrs, subject, body, scrub, dedupe, next_attempt_at, state)
			VALUES (?, ?, ?, ?, ?, ?, NULLIF(?,''), ?, 'queued')
			ON CONFLICT (dedupe) DO NOTHING`,
			formatTime(m.CreatedAt), m.Kind, strings.Join(m.To, ","), m.Subject, m.Body, m.Scrub, m.Dedupe, formatTime(next))
		if err != nil {
			return fmt.Errorf("enqueue %s mail: %w", m.Kind, err)
		}
	}
	return nil
}

// DueMail returns up to limit queued mails whose next attempt is at or
// before now, the longest-waiting first.
func (l *Ledger) DueMail(ctx context.Context, now time.Time, limit int) ([]Mail, error) {
	return l.mails(ctx, `SELECT `+mailColumns+` FROM mail_outbox
		WHERE state = 'queued' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`, formatTime(now), limit)
}

// NextMailDue returns the time of the earliest next attempt of a queued
// mail; ok is false when nothing is queued.
func (l *Ledger) NextMailDue(ctx context.Context) (next time.Time, ok bool, err error) {
	var s sql.NullString
	err = l.db.QueryRowContext(ctx, `SELECT MIN(next_attempt_at) FROM mail_outbox WHERE state = 'queued'`).Scan(&s)
	if err != nil || !s.Valid {
		return time.Time{}, false, err
	}
	return parseTime(s.String), true, nil
}

// BeginMailAttempt records an attempt before it is made: it counts it and
// moves the next attempt to next. A crash during delivery then retries at
// next, neither at once nor never. It fails with ErrMailNotDue if the mail
// is not queued or not due at now, so that no two workers take one mail.
func (l *Ledger) BeginMailAttempt(ctx context.Context, id int64, now, next time.Time) error {
	errs, err := l.BeginMailAttempts(ctx, []MailAttempt{{ID: id, Next: next}}, now)
	if err != nil {
		return err
	}
	return errs[0]
}

// MailAttempt is an attempt BeginMailAttempts records.
type MailAttempt struct {
	ID   int64
	Next time.Time // when the mail is tried again if this attempt fails
}

// BeginMailAttempts is BeginMailAttempt for a batch of mails, in one
// transaction: it returns, for each attempt in order, nil or an error
// wrapping ErrMailNotDue. The error is for the transaction as a whole,
// in which case none was recorded.
func (l *Ledger) BeginMailAttempts(ctx context.Context, as []MailAttempt, now time.Time) ([]error, error) {
	errs := make([]error, len(as))
	err := l.tx(ctx, func(tx *sql.Tx) error {
		for i, a := range as {
			res, err := tx.ExecContext(ctx, `UPDATE mail_outbox SET attempts = attempts + 1, last_attempt_at = ?, next_attempt_at = ?
				WHERE id = ? AND state = 'queued' AND next_attempt_at <= ?`,
				formatTime(now), formatTime(a.Next), a.ID, formatTime(now))
			if err != nil {
				return fmt.Errorf("mail %d: %w", a.ID, err)
			}
			errs[i] = affectMail(res, nil, a.ID, ErrMailNotDue)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return errs, nil
}

// MailSent records that a mail was delivered.
func (l *Ledger) MailSent(ctx context.Context, id int64, now time.Time) error {
	return l.mailSent(ctx, id, now, "")
}

// MailPartlySent records that a mail was delivered to some of its
// recipients and refused for good for the others, which note names.
func (l *Ledger) MailPartlySent(ctx context.Context, id int64, now time.Time, note string) error {
	return l.mailSent(ctx, id, now, note)
}

// MailsSent is MailSent for a batch of mails, in one transaction: it
// returns, for each id in order, nil or an error wrapping
// ErrMailNotQueued. The error is for the transaction as a whole, in which
// case none was recorded.
func (l *Ledger) MailsSent(ctx context.Context, ids []int64, now time.Time) ([]error, error) {
	errs := make([]error, len(ids))
	err := l.tx(ctx, func(tx *sql.Tx) error {
		for i, id := range ids {
			res, err := tx.ExecContext(ctx, mailSentSQL, formatTime(now), "", scrubbedBody, id)
			if err != nil {
				return fmt.Errorf("mail %d: %w", id, err)
			}
			errs[i] = affectMail(res, nil, id, ErrMailNotQueued)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return errs, nil
}

// mailSentSQL records a mail sent, with a note, and scrubs its body if
// it asked to be.
const mailSentSQL = `UPDATE mail_outbox SET state = 'sent', sent_at = ?, last_error = ?,
	body = CASE WHEN scrub THEN ? ELSE body END
	WHERE id = ? AND state = 'queued'`

func (l *Ledger) mailSent(ctx context.Context, id int64, now time.Time, note string) error {
	res, err := l.exec(ctx, mailSentSQL, formatTime(now), note, scrubbedBody, id)
	return affectMail(res, err, id, ErrMailNotQueued)
}

// MailFailed records a failed attempt. A permanent failure takes the mail
// out of the queue for good (state failed); a temporary one leaves it
// queued for the next attempt that BeginMailAttempt set.
func (l *Ledger) MailFailed(ctx context.Context, id int64, now time.Time, reason string, permanent bool) error {
	var res sql.Result
	var err error
	if permanent {
		res, err = l.exec(ctx, `UPDATE mail_outbox SET state = 'failed', failed_at = ?, last_error = ?,
			body = CASE WHEN scrub THEN ? ELSE body END
			WHERE id = ? AND state = 'queued'`, formatTime(now), reason, scrubbedBody, id)
	} else {
		res, err = l.exec(ctx, `UPDATE mail_outbox SET last_error = ? WHERE id = ? AND state = 'queued'`, reason, id)
	}
	return affectMail(res, err, id, ErrMailNotQueued)
}

func affectMail(res sql.Result, err error, id int64, none error) error {
	if err != nil {
		return fmt.Errorf("mail %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("mail %d: %w", id, none)
	}
	return nil
}

// MailQueueDepth counts the mails waiting to be sent and those that
// failed for good.
func (l *Ledger) MailQueueDepth(ctx context.Context) (queued, failed int, err error) {
	err = l.db.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(state = 'queued'), 0), COALESCE(SUM(state = 'failed'), 0) FROM mail_outbox`).Scan(&queued, &failed)
	return queued, failed, err
}

// PurgeMail deletes the sent and failed mails that left the queue before
// before, and returns how many it deleted. Queued mails are kept.
func (l *Ledger) PurgeMail(ctx context.Context, before time.Time) (int64, error) {
	res, err := l.exec(ctx, `DELETE FROM mail_outbox
		WHERE state IN ('sent','failed') AND COALESCE(sent_at, failed_at) < ?`, formatTime(before))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Mail returns one mail by id.
func (l *Ledger) Mail(ctx context.Context, id int64) (Mail, error) {
	m, err := scanMail(l.db.QueryRowContext(ctx, `SELECT `+mailColumns+` FROM mail_outbox WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Mail{}, fmt.Errorf("mail %d: %w", id, ErrNotFound)
	}
	return m, err
}

// MailFilter selects mails; empty fields match everything.
type MailFilter struct {
	State string
	Kind  string
}

// Mails lists the outbox, oldest first.
func (l *Ledger) Mails(ctx context.Context, f MailFilter) ([]Mail, error) {
	return l.mails(ctx, `SELECT `+mailColumns+` FROM mail_outbox
		WHERE (? = '' OR state = ?) AND (? = '' OR kind = ?) ORDER BY id`, f.State, f.State, f.Kind, f.Kind)
}

func (l *Ledger) mails(ctx context.Context, query string, args ...any) ([]Mail, error) {
	rows, err := l.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Mail
	for rows.Next() {
		m, err := scanMail(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// MailboxAddresses returns where a mailbox's notices go: its contact
// address, then the addresses of its users, without empty ones or repeats
// (compared without case).
func (l *Ledger) MailboxAddresses(ctx context.Context, code string) ([]string, error) {
	return mailboxAddresses(ctx, l.db, code)
}

// queryer is a *sql.DB or a *sql.Tx.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// mailboxAddresses is MailboxAddresses within a transaction, for a ledger
// method that addresses the notices it enqueues.
func mailboxAddresses(ctx context.Context, q queryer, code string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT email FROM (
		SELECT 0 AS o, 0 AS id, email FROM mailboxes WHERE code = ?
		UNION ALL SELECT 1, id, email FROM users WHERE mailbox = ?) ORDER BY o, id`, code, code)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	seen := map[string]bool{}
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, err
		}
		a = strings.TrimSpace(a)
		if k := strings.ToLower(a); a != "" && !seen[k] {
			seen[k] = true
			out = append(out, a)
		}
	}
	return out, rows.Err()
}
