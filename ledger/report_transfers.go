package ledger

import (
	"context"
	"database/sql"
	"time"
)

// ReportTransfer is one transfer as the detailed reports show it: codes
// with their mailbox names, and no file path, checksum or login.
type ReportTransfer struct {
	ID          int64
	Name        string
	Kind        string
	Sender      string
	SenderName  string // "" if the code has no mailbox
	Addressed   string
	Dest        string
	DestName    string
	Size        int64
	Pupils      int
	UploadedAt  time.Time
	State       string
	StateAt     time.Time
	CollectedAt time.Time
	// Downloads and LastDownload count complete reads by the destination
	// (the collection and every re-download); set only when asked for.
	Downloads    int
	LastDownload time.Time
}

// ReportTransferQuery selects transfers for a detailed report.
type ReportTransferQuery struct {
	Scope  ReportScope
	Period ReportPeriod // by upload time
	Side   string       // SideSent, SideReceived or SideEither
	// NotCTF selects only files other than CTFs: generic zips, CML and
	// CMJ files.
	NotCTF bool
	// Downloads fills Downloads and LastDownload from the transfer events.
	Downloads bool
}

// ReportTransfers lists the transfers q selects, oldest first.
func (l *Ledger) ReportTransfers(ctx context.Context, q ReportTransferQuery) ([]ReportTransfer, error) {
	query, args := reportTransfersSQL(q)
	rows, err := l.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ReportTransfer
	for rows.Next() {
		var r ReportTransfer
		var uploaded, stateAt string
		var collected, last sql.NullString
		if err := rows.Scan(&r.ID, &r.Name, &r.Kind, &r.Sender, &r.SenderName, &r.Addressed, &r.Dest, &r.DestName,
			&r.Size, &r.Pupils, &uploaded, &r.State, &stateAt, &collected, &r.Downloads, &last); err != nil {
			return nil, err
		}
		r.UploadedAt, r.StateAt = parseTime(uploaded), parseTime(stateAt)
		r.CollectedAt, r.LastDownload = nullTime(collected), nullTime(last)
		out = append(out, r)
	}
	return out, rows.Err()
}

// reportTransfersSQL is ReportTransfers's statement and its arguments.
func reportTransfersSQL(q ReportTransferQuery) (string, []any) {
	var w reportWhere
	w.scopeTransfers(q.Scope, q.Side, q.Period)
	if q.NotCTF {
		w.add(`t.kind <> 'ctf'`)
	}
	downloads := `0, NULL`
	if q.Downloads {
		downloads = `(SELECT COUNT(*) FROM transfer_events e WHERE e.transfer_id = t.id AND e.event IN ('collected', 're-downloaded')),
			(SELECT MAX(e.at) FROM transfer_events e WHERE e.transfer_id = t.id AND e.event IN ('collected', 're-downloaded'))`
	}
	return `SELECT t.id, t.name, t.kind, t.sender, COALESCE(s.name, ''), t.addressed,
		t.dest, COALESCE(d.name, ''), t.size, t.pupils, t.uploaded_at, t.state, t.state_at, t.collected_at, ` + downloads + `
		FROM transfers t
		LEFT JOIN mailboxes s ON s.code = t.sender
		LEFT JOIN mailboxes d ON d.code = t.dest
		WHERE ` + w.String() + ` ORDER BY t.uploaded_at, t.id`, w.args
}
