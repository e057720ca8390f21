package ledger

import (
	"context"
	"strings"
	"time"
)

// Outcomes of a file in the quality report.
const (
	QualityAccepted = "accepted" // routed, with data-quality warnings
	QualityRejected = "rejected" // refused by validation, with its reasons
)

// ReportQuality is one file sent with findings: an accepted transfer's
// data-quality warnings, or the reasons an upload was rejected. Findings
// never hold pupil data.
type ReportQuality struct {
	At         time.Time // upload time
	Name       string
	Sender     string // the mailbox it was sent from
	SenderName string
	Dest       string // "" for a rejected upload
	DestName   string
	Outcome    string // QualityAccepted or QualityRejected
	Findings   []string
}

// ReportQuality lists the files the scope's parties sent in the period
// that were accepted with warnings or rejected by validation, oldest
// first.
func (l *Ledger) ReportQuality(ctx context.Context, s ReportScope, p ReportPeriod) ([]ReportQuality, error) {
	query, args := reportQualitySQL(s, p)
	rows, err := l.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ReportQuality
	for rows.Next() {
		var q ReportQuality
		var at, findings string
		if err := rows.Scan(&at, &q.Name, &q.Sender, &q.SenderName, &q.Dest, &q.DestName, &q.Outcome, &findings); err != nil {
			return nil, err
		}
		q.At = parseTime(at)
		if findings != "" {
			q.Findings = strings.Split(findings, "\n")
		}
		out = append(out, q)
	}
	return out, rows.Err()
}

// reportQualitySQL is ReportQuality's statement and its arguments.
func reportQualitySQL(s ReportScope, p ReportPeriod) (string, []any) {
	var sent, rejected reportWhere
	sent.scopeTransfers(s, SideSent, p)
	rejected.period("u.received_at", p)
	switch {
	case s.Mailbox != "":
		rejected.add(`u.box = ?`, s.Mailbox)
	case s.LA != "":
		rejected.add(`u.box IN (SELECT code FROM mailboxes WHERE la = ?)`, s.LA)
	}
	return `SELECT t.uploaded_at AS at, t.name AS name, t.sender, COALESCE(s.name, ''),
			t.dest, COALESCE(d.name, ''), 'accepted', t.warnings
		FROM transfers t
		LEFT JOIN mailboxes s ON s.code = t.sender
		LEFT JOIN mailboxes d ON d.code = t.dest
		WHERE t.warnings <> '' AND ` + sent.String() + `
		UNION ALL
		SELECT u.received_at, u.name, u.box, COALESCE(s.name, ''), '', '', 'rejected', u.reasons
		FROM uploads u LEFT JOIN mailboxes s ON s.code = u.box
		WHERE u.outcome = 'rejected' AND ` + rejected.String() + `
		ORDER BY at, name`, append(append([]any{}, sent.args...), rejected.args...)
}
