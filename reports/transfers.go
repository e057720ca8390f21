package reports

import (
	"context"

	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/routing"
)

// partyName is the name shown beside a code: its mailbox's, or what the
// Lost Pupil Database codes stand for.
func partyName(code, name string) string {
	switch code {
	case routing.CodeLostUnknown:
		return "Lost Pupil Database: destination unknown"
	case routing.CodeLostLeft:
		return "Lost Pupil Database: left the maintained sector"
	}
	return name
}

// redirected is the code a file was addressed to if it went elsewhere (to
// a closed school's successor), else "".
func redirected(t ledger.ReportTransfer) string {
	if t.Addressed == t.Dest {
		return ""
	}
	return t.Addressed
}

var ownColumns = []string{"id", "uploaded", "file", "kind", "from", "from_name", "to", "to_name", "addressed_to",
	"size", "pupils", "state", "state_changed", "collected"}

// own lists the transfers the scope sent or received, with their states.
func own(ctx context.Context, s *Service, scope ledger.ReportScope, p Period, side string) (Table, error) {
	ts, err := s.ledger.ReportTransfers(ctx, ledger.ReportTransferQuery{Scope: scope, Period: p.span(), Side: side})
	if err != nil {
		return Table{}, err
	}
	t := Table{Columns: ownColumns}
	for _, r := range ts {
		t.Rows = append(t.Rows, []any{r.ID, stamp(r.UploadedAt), r.Name, r.Kind, r.Sender, partyName(r.Sender, r.SenderName),
			r.Dest, partyName(r.Dest, r.DestName), redirected(r), r.Size, r.Pupils, r.State, stamp(r.StateAt), stamp(r.CollectedAt)})
	}
	return t, nil
}

// sent is sent.csv: the files the scope sent and their states.
func sent(ctx context.Context, s *Service, scope ledger.ReportScope, p Period) (Table, error) {
	return own(ctx, s, scope, p, ledger.SideSent)
}

// received is received.csv: the files sent to the scope and their states.
func received(ctx context.Context, s *Service, scope ledger.ReportScope, p Period) (Table, error) {
	return own(ctx, s, scope, p, ledger.SideReceived)
}

// schools is schools.csv: every transfer from or to the LA's schools (and
// its own mailboxes): date, from, to, state.
func schools(ctx context.Context, s *Service, scope ledger.ReportScope, p Period) (Table, error) {
	ts, err := s.ledger.ReportTransfers(ctx, ledger.ReportTransferQuery{Scope: scope, Period: p.span(), Side: ledger.SideEither})
	if err != nil {
		return Table{}, err
	}
	t := Table{Columns: []string{"id", "uploaded", "file", "kind", "from", "from_name", "to", "to_name", "state", "state_changed"}}
	for _, r := range ts {
		t.Rows = append(t.Rows, []any{r.ID, stamp(r.UploadedAt), r.Name, r.Kind, r.Sender, partyName(r.Sender, r.SenderName),
			r.Dest, partyName(r.Dest, r.DestName), r.State, stamp(r.StateAt)})
	}
	return t, nil
}

// generic is generic.csv: generic zips and the other files that are not
// CTFs (CML, CMJ), sent or received, with their upload and download
// dates and how often the destination downloaded them.
func generic(ctx context.Context, s *Service, scope ledger.ReportScope, p Period) (Table, error) {
	ts, err := s.ledger.ReportTransfers(ctx, ledger.ReportTransferQuery{Scope: scope, Period: p.span(), Side: ledger.SideEither,
		NotCTF: true, Downloads: true})
	if err != nil {
		return Table{}, err
	}
	t := Table{Columns: []string{"id", "uploaded", "file", "kind", "from", "from_name", "to", "to_name", "size", "state",
		"first_downloaded", "last_downloaded", "downloads"}}
	for _, r := range ts {
		t.Rows = append(t.Rows, []any{r.ID, stamp(r.UploadedAt), r.Name, r.Kind, r.Sender, partyName(r.Sender, r.SenderName),
			r.Dest, partyName(r.Dest, r.DestName), r.Size, r.State, stamp(r.CollectedAt), stamp(r.LastDownload), r.Downloads})
	}
	return t, nil
}
