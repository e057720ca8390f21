package reports

import (
	"context"

	"github.com/s2sd/s2sd/ledger"
)

// quality is quality.csv: one row per finding on the files the scope
// sent: the data-quality warnings of files accepted all the same, and the
// reasons files were rejected by validation. Findings name pupils by
// their position in the file, never by their data.
func quality(ctx context.Context, s *Service, scope ledger.ReportScope, p Period) (Table, error) {
	qs, err := s.ledger.ReportQuality(ctx, scope, p.span())
	if err != nil {
		return Table{}, err
	}
	t := Table{Columns: []string{"uploaded", "file", "from", "from_name", "to", "to_name", "outcome", "finding"}}
	for _, q := range qs {
		for _, f := range q.Findings {
			t.Rows = append(t.Rows, []any{stamp(q.At), q.Name, q.Sender, q.SenderName, q.Dest, partyName(q.Dest, q.DestName),
				q.Outcome, f})
		}
	}
	return t, nil
}
