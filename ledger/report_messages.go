package ledger

import (
	"context"
	"time"
)

// ReportMessages counts the secure messages one mailbox received over a
// period, read and unread.
type ReportMessages struct {
	LA, LAName   string
	Code, Name   string
	Received     int
	Read, Unread int
	OldestUnread time.Time // when the oldest unread one was sent; zero if none
}

// ReportMessages counts, for every mailbox in scope that received secure
// messages sent in the period, how many it has read, ordered by LA and
// code. Messages s2sd returned to their senders are not counted.
func (l *Ledger) ReportMessages(ctx context.Context, s ReportScope, p ReportPeriod) ([]ReportMessages, error) {
	var w reportWhere
	w.add(`m.kind = 'message'`)
	w.period("m.sent_at", p)
	switch {
	case s.Mailbox != "":
		w.add(`r.mailbox = ?`, s.Mailbox)
	case s.LA != "":
		w.add(`r.la = ?`, s.LA)
	}
	rows, err := l.db.QueryContext(ctx, `SELECT r.la, COALESCE(la.name, ''), r.mailbox, COALESCE(mb.name, ''),
		count(*), count(r.read_at), COALESCE(min(CASE WHEN r.read_at IS NULL THEN m.sent_at END), '')
		FROM message_recipients r JOIN messages m ON m.id = r.message_id
		LEFT JOIN mailboxes mb ON mb.code = r.mailbox
		LEFT JOIN mailboxes la ON la.code = r.la || 'LLLL'
		WHERE `+w.String()+` GROUP BY r.mailbox ORDER BY r.la, r.mailbox`, w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ReportMessages
	for rows.Next() {
		var m ReportMessages
		var oldest string
		if err := rows.Scan(&m.LA, &m.LAName, &m.Code, &m.Name, &m.Received, &m.Read, &oldest); err != nil {
			return nil, err
		}
		m.OldestUnread = parseTime(oldest)
		m.Unread = m.Received - m.Read
		out = append(out, m)
	}
	return out, rows.Err()
}
