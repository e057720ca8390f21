package reports

import (
	"context"

	"github.com/s2sd/s2sd/ledger"
)

// cluster is cluster.csv: the CTFs sent between each pair of LAs, by the
// LA numbers of sender and destination, for every pair the LA takes part
// in (to itself too); an admin sees every pair.
func cluster(ctx context.Context, s *Service, scope ledger.ReportScope, p Period) (Table, error) {
	cs, err := s.ledger.ReportCluster(ctx, scope, p.span())
	if err != nil {
		return Table{}, err
	}
	t := Table{Columns: []string{"from_la", "from_la_name", "to_la", "to_la_name", "ctfs", "pupils", "collected", "awaiting"}}
	for _, c := range cs {
		t.Rows = append(t.Rows, []any{c.FromLA, c.FromName, c.ToLA, c.ToName, c.CTFs, c.Pupils, c.Collected, c.Awaiting})
	}
	return t, nil
}
