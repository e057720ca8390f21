package ledger

import "context"

// ReportUsage is one mailbox's CTF counts over a period: what it sent,
// and what it was sent and what became of that.
type ReportUsage struct {
	Code, Name, Kind, Status string
	Uploaded                 int // CTFs it sent
	UploadedPupils           int // pupil records in them
	Received                 int // CTFs sent to it: Downloaded + Awaiting + Rejected + Withdrawn + Expired
	ReceivedPupils           int
	Downloaded               int // collected
	Awaiting                 int
	Rejected                 int
	Withdrawn                int
	Expired                  int
}

// ReportUsage counts, for every mailbox in scope, the CTFs uploaded in
// the period that it sent and that were sent to it, ordered by code.
func (l *Ledger) ReportUsage(ctx context.Context, s ReportScope, p ReportPeriod) ([]ReportUsage, error) {
	query, args := reportUsageSQL(s, p)
	rows, err := l.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ReportUsage
	for rows.Next() {
		var u ReportUsage
		if err := rows.Scan(&u.Code, &u.Name, &u.Kind, &u.Status, &u.Uploaded, &u.UploadedPupils, &u.Received,
			&u.ReceivedPupils, &u.Downloaded, &u.Awaiting, &u.Rejected, &u.Withdrawn, &u.Expired); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// ReportCluster is the CTFs sent from one LA's parties to another's.
type ReportCluster struct {
	FromLA, FromName string
	ToLA, ToName     string // ToLA may equal FromLA: transfers within an LA
	CTFs, Pupils     int
	Collected        int
	Awaiting         int
}

// ReportCluster counts the CTFs uploaded in the period between each pair
// of LAs, by the LA numbers of sender and destination, for the pairs the
// scope takes part in. Lost Pupil Database files are not counted.
func (l *Ledger) ReportCluster(ctx context.Context, s ReportScope, p ReportPeriod) ([]ReportCluster, error) {
	query, args := reportClusterSQL(s, p)
	rows, err := l.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ReportCluster
	for rows.Next() {
		var c ReportCluster
		if err := rows.Scan(&c.FromLA, &c.FromName, &c.ToLA, &c.ToName, &c.CTFs, &c.Pupils, &c.Collected, &c.Awaiting); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Directions of a file relative to an LA, in the monitor report.
const (
	DirectionWithin   = "within"   // sent by one of its parties to another
	DirectionIncoming = "incoming" // sent to one of its parties from another LA's
	DirectionOutgoing = "outgoing" // sent by one of its parties to another LA's
)

// ReportMonitor counts an LA's files in one direction, by state.
type ReportMonitor struct {
	LA, LAName string
	Direction  string
	Files      int
	Pupils     int
	Collected  int
	Awaiting   int
	Rejected   int
	Withdrawn  int
	Expired    int
}

// ReportMonitor counts the files uploaded in the period within each LA in
// scope, coming into it and leaving it, ordered by LA and direction
// (within, incoming, outgoing); directions with no files are left out.
// Lost Pupil Database files are not counted.
func (l *Ledger) ReportMonitor(ctx context.Context, s ReportScope, p ReportPeriod) ([]ReportMonitor, error) {
	query, args := reportMonitorSQL(s, p)
	rows, err := l.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var res []ReportMonitor
	for rows.Next() {
		var m ReportMonitor
		if err := rows.Scan(&m.LA, &m.LAName, &m.Direction, &m.Files, &m.Pupils, &m.Collected, &m.Awaiting,
			&m.Rejected, &m.Withdrawn, &m.Expired); err != nil {
			return nil, err
		}
		res = append(res, m)
	}
	return res, rows.Err()
}

// reportUsageSQL is ReportUsage's statement and its arguments.
func reportUsageSQL(s ReportScope, p ReportPeriod) (string, []any) {
	var sent, recv, boxes reportWhere
	sent.scopeTransfers(s, SideSent, p)
	recv.scopeTransfers(s, SideReceived, p)
	switch {
	case s.Mailbox != "":
		boxes.add(`m.code = ?`, s.Mailbox)
	case s.LA != "":
		boxes.add(`m.la = ?`, s.LA)
	}
	args := append(append(append([]any{}, sent.args...), recv.args...), boxes.args...)
	return `WITH
		sent AS (SELECT t.sender AS code, COUNT(*) AS n, SUM(t.pupils) AS pupils
			FROM transfers t WHERE t.kind = 'ctf' AND ` + sent.String() + ` GROUP BY t.sender),
		recv AS (SELECT t.dest AS code, COUNT(*) AS n, SUM(t.pupils) AS pupils,
			SUM(t.state = 'collected') AS collected, SUM(t.state = 'awaiting') AS awaiting,
			SUM(t.state = 'rejected') AS rejected, SUM(t.state = 'withdrawn') AS withdrawn,
			SUM(t.state = 'expired') AS expired
			FROM transfers t WHERE t.kind = 'ctf' AND ` + recv.String() + ` GROUP BY t.dest)
		SELECT m.code, m.name, m.kind, m.status, COALESCE(sent.n, 0), COALESCE(sent.pupils, 0),
			COALESCE(recv.n, 0), COALESCE(recv.pupils, 0), COALESCE(recv.collected, 0), COALESCE(recv.awaiting, 0),
			COALESCE(recv.rejected, 0), COALESCE(recv.withdrawn, 0), COALESCE(recv.expired, 0)
		FROM mailboxes m LEFT JOIN sent ON sent.code = m.code LEFT JOIN recv ON recv.code = m.code
		WHERE ` + boxes.String() + ` ORDER BY m.code`, args
}

// reportClusterSQL is ReportCluster's statement and its arguments.
func reportClusterSQL(s ReportScope, p ReportPeriod) (string, []any) {
	var w reportWhere
	w.scopeTransfers(s, SideEither, p)
	return `SELECT c.sender_la, COALESCE(a.name, ''), c.dest_la, COALESCE(b.name, ''),
			c.n, c.pupils, c.collected, c.awaiting
		FROM (SELECT t.sender_la, t.dest_la, COUNT(*) AS n, SUM(t.pupils) AS pupils,
				SUM(t.state = 'collected') AS collected, SUM(t.state = 'awaiting') AS awaiting
			FROM transfers t WHERE t.kind = 'ctf' AND t.dest_la <> '' AND ` + w.String() + `
			GROUP BY t.sender_la, t.dest_la) c
		LEFT JOIN mailboxes a ON a.code = c.sender_la || 'LLLL'
		LEFT JOIN mailboxes b ON b.code = c.dest_la || 'LLLL'
		ORDER BY c.sender_la, c.dest_la`, w.args
}

// reportMonitorSQL is ReportMonitor's statement and its arguments.
func reportMonitorSQL(s ReportScope, p ReportPeriod) (string, []any) {
	var out, in reportWhere
	out.scopeTransfers(s, SideSent, p)
	in.scopeTransfers(s, SideReceived, p)
	return `SELECT x.la, COALESCE(m.name, ''), x.direction, x.n, x.pupils,
			x.collected, x.awaiting, x.rejected, x.withdrawn, x.expired
		FROM (SELECT la, direction, COUNT(*) AS n, SUM(pupils) AS pupils,
				SUM(state = 'collected') AS collected, SUM(state = 'awaiting') AS awaiting,
				SUM(state = 'rejected') AS rejected, SUM(state = 'withdrawn') AS withdrawn,
				SUM(state = 'expired') AS expired
			FROM (SELECT t.sender_la AS la, CASE WHEN t.dest_la = t.sender_la THEN 'within' ELSE 'outgoing' END AS direction, t.pupils, t.state
				FROM transfers t WHERE t.dest_la <> '' AND ` + out.String() + `
				UNION ALL
				SELECT t.dest_la, 'incoming', t.pupils, t.state
				FROM transfers t WHERE t.dest_la <> '' AND t.dest_la <> t.sender_la AND ` + in.String() + `)
			GROUP BY la, direction) x
		LEFT JOIN mailboxes m ON m.code = x.la || 'LLLL'
		ORDER BY x.la, CASE x.direction WHEN 'within' THEN 1 WHEN 'incoming' THEN 2 ELSE 3 END`, append(append([]any{}, out.args...), in.args...)
}
