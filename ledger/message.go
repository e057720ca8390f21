package ledger

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Message kinds: a message a mailbox sent, or one s2sd returned to its
// sender because it could not be delivered.
const (
	MessageSent     = "message"
	MessageReturned = "returned"
)

// Message is a secure message and its recipients.
type Message struct {
	ID         int64
	Kind       string
	Sender     string // the sending mailbox; for a returned message, the mailbox it returns to
	Login      string // who uploaded it
	UploadName string // the file name it was uploaded as
	To         string // the To: line as written
	Subject    string
	Body       string
	SentAt     time.Time
	Recipients []Recipient
}

// Recipient is one mailbox a message went to, and whether it has read it.
type Recipient struct {
	Mailbox string
	LA      string
	ReadAt  time.Time // zero while unread
}

// ErrNoMessage is returned for a message that does not exist for the
// mailbox asking: never sent to it, deleted, or past retention.
var ErrNoMessage = errors.New("no such message")

// SendMessage stores a message for its recipients, with the notices that
// tell them and the audit entry, in one transaction. It returns the
// message's id.
func (l *Ledger) SendMessage(ctx context.Context, m Message, audit Event, mails ...Mail) (int64, error) {
	var id int64
	err := l.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO messages (kind, sender, login, upload_name, to_line, subject, body, sent_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, m.Kind, m.Sender, m.Login, m.UploadName, m.To, m.Subject, m.Body, formatTime(m.SentAt))
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		for _, r := range m.Recipients {
			if _, err := tx.ExecContext(ctx, `INSERT INTO message_recipients (message_id, mailbox, la) VALUES (?, ?, ?)`,
				id, r.Mailbox, r.LA); err != nil {
				return err
			}
		}
		if err := insertMails(ctx, tx, mails); err != nil {
			return err
		}
		audit.Detail = strings.TrimSpace(audit.Detail + " id=" + strconv.FormatInt(id, 10))
		return insertAudit(ctx, tx, audit)
	})
	return id, err
}

const messageColumns = `m.id, m.kind, m.sender, m.login, m.upload_name, m.to_line, m.subject, m.body, m.sent_at`

func scanMessage(row interface{ Scan(...any) error }, extra ...any) (Message, error) {
	var m Message
	var sent string
	err := row.Scan(append([]any{&m.ID, &m.Kind, &m.Sender, &m.Login, &m.UploadName, &m.To, &m.Subject, &m.Body, &sent}, extra...)...)
	m.SentAt = parseTime(sent)
	return m, err
}

// Inbox returns the messages a mailbox has received and not deleted,
// oldest first; each has the mailbox alone as its recipient.
func (l *Ledger) Inbox(ctx context.Context, box string) ([]Message, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT `+messageColumns+`, r.la, r.read_at FROM message_recipients r
		JOIN messages m ON m.id = r.message_id WHERE r.mailbox = ? AND r.deleted = 0 ORDER BY m.id`, box)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		var r Recipient
		var read sql.NullString
		m, err := scanMessage(rows, &r.LA, &read)
		if err != nil {
			return nil, err
		}
		r.Mailbox, r.ReadAt = box, nullTime(read)
		m.Recipients = []Recipient{r}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Sent returns the messages a mailbox has sent, with every recipient and
// whether it has read them, oldest first. Messages the sender has removed
// from its sent folder are left out unless outbox is set, which instead
// returns those sent since since and still listed in its outbox.
func (l *Ledger) Sent(ctx context.Context, box string, outbox bool, since time.Time) ([]Message, error) {
	q := `SELECT ` + messageColumns + ` FROM messages m WHERE m.sender = ? AND m.kind = 'message' AND m.sender_hidden = 0 ORDER BY m.id`
	args := []any{box}
	if outbox {
		q = `SELECT ` + messageColumns + ` FROM messages m WHERE m.sender = ? AND m.kind = 'message' AND m.outbox_hidden = 0
			AND m.sent_at >= ? ORDER BY m.id`
		args = append(args, formatTime(since))
	}
	rows, err := l.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	var out []Message
	byID := make(map[int64]int)
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		byID[m.ID] = len(out)
		out = append(out, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil || outbox || len(out) == 0 {
		return out, err
	}
	rows, err = l.db.QueryContext(ctx, `SELECT r.message_id, r.mailbox, r.la, r.read_at FROM message_recipients r
		JOIN messages m ON m.id = r.message_id WHERE m.sender = ? AND m.kind = 'message' AND m.sender_hidden = 0
		ORDER BY r.message_id, r.mailbox`, box)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var r Recipient
		var read sql.NullString
		if err := rows.Scan(&id, &r.Mailbox, &r.LA, &read); err != nil {
			return nil, err
		}
		r.ReadAt = nullTime(read)
		if i, ok := byID[id]; ok {
			out[i].Recipients = append(out[i].Recipients, r)
		}
	}
	return out, rows.Err()
}

// MarkMessageRead records that box read message id, once.
func (l *Ledger) MarkMessageRead(ctx context.Context, box string, id int64, now time.Time) error {
	_, err := l.exec(ctx, `UPDATE message_recipients SET read_at = ?
		WHERE message_id = ? AND mailbox = ? AND read_at IS NULL`, formatTime(now), id, box)
	return err
}

// DeleteReceived removes message id from box's inbox.
func (l *Ledger) DeleteReceived(ctx context.Context, box string, id int64) error {
	return affectMessage(l.exec(ctx, `UPDATE message_recipients SET deleted = 1
		WHERE message_id = ? AND mailbox = ? AND deleted = 0`, id, box))
}

// HideSent removes message id from its sender's sent folder, or with
// outbox set from its outbox listing; its recipients keep it.
func (l *Ledger) HideSent(ctx context.Context, box string, id int64, outbox bool) error {
	col := "sender_hidden"
	if outbox {
		col = "outbox_hidden"
	}
	return affectMessage(l.exec(ctx, `UPDATE messages SET `+col+` = 1
		WHERE id = ? AND sender = ? AND kind = 'message' AND `+col+` = 0`, id, box))
}

func affectMessage(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return ErrNoMessage
	}
	return nil
}

// PurgeMessages deletes the messages sent at or before cutoff, for every
// sender and recipient, and returns how many.
func (l *Ledger) PurgeMessages(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := l.exec(ctx, `DELETE FROM messages WHERE sent_at <= ?`, formatTime(cutoff))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Message files: a mailbox's message groups and templates.
const (
	MessageGroup    = "group"
	MessageTemplate = "template"
)

// MessageFile is a message group or template.
type MessageFile struct {
	Name      string
	Body      string
	UpdatedAt time.Time
}

// MessageFiles lists a mailbox's groups or templates by name.
func (l *Ledger) MessageFiles(ctx context.Context, box, kind string) ([]MessageFile, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT name, body, updated_at FROM message_files
		WHERE mailbox = ? AND kind = ? ORDER BY name`, box, kind)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []MessageFile
	for rows.Next() {
		var f MessageFile
		var at string
		if err := rows.Scan(&f.Name, &f.Body, &at); err != nil {
			return nil, err
		}
		f.UpdatedAt = parseTime(at)
		out = append(out, f)
	}
	return out, rows.Err()
}

// PutMessageFile stores a group or template, replacing one of the same
// name, with its audit entry.
func (l *Ledger) PutMessageFile(ctx context.Context, box, kind string, f MessageFile, audit Event) error {
	return l.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO message_files (mailbox, kind, name, body, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (mailbox, kind, name) DO UPDATE SET name = excluded.name, body = excluded.body, updated_at = excluded.updated_at`,
			box, kind, f.Name, f.Body, formatTime(f.UpdatedAt)); err != nil {
			return err
		}
		return insertAudit(ctx, tx, audit)
	})
}

// DeleteMessageFile deletes a group or template.
func (l *Ledger) DeleteMessageFile(ctx context.Context, box, kind, name string) error {
	return affectMessage(l.exec(ctx, `DELETE FROM message_files WHERE mailbox = ? AND kind = ? AND name = ?`, box, kind, name))
}
