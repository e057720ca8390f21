package reports

import (
	"context"
	"errors"

	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/routing"
)

// directions are the monitor report's rows for each LA, in order.
var directions = []string{ledger.DirectionWithin, ledger.DirectionIncoming, ledger.DirectionOutgoing}

// monitor is monitor.csv: for each LA, the files sent within it, coming
// into it and leaving it, by state. Every LA shown has all three rows; an
// LA always sees its own.
func monitor(ctx context.Context, s *Service, scope ledger.ReportScope, p Period) (Table, error) {
	ms, err := s.ledger.ReportMonitor(ctx, scope, p.span())
	if err != nil {
		return Table{}, err
	}
	t := Table{Columns: []string{"la", "la_name", "direction", "files", "pupils", "collected", "awaiting", "rejected",
		"withdrawn", "expired"}}
	if scope.LA != "" && len(ms) == 0 {
		name := ""
		m, err := s.ledger.Mailbox(ctx, routing.LACode(scope.LA))
		switch {
		case err == nil:
			name = m.Name
		case !errors.Is(err, ledger.ErrNotFound):
			return Table{}, err
		}
		ms = []ledger.ReportMonitor{{LA: scope.LA, LAName: name, Direction: ledger.DirectionWithin}}
	}
	for i := 0; i < len(ms); {
		la, start := ms[i], i
		for _, dir := range directions {
			row := ledger.ReportMonitor{LA: la.LA, LAName: la.LAName, Direction: dir}
			if i < len(ms) && ms[i].LA == la.LA && ms[i].Direction == dir {
				row, i = ms[i], i+1
			}
			t.Rows = append(t.Rows, []any{row.LA, row.LAName, row.Direction, row.Files, row.Pupils, row.Collected,
				row.Awaiting, row.Rejected, row.Withdrawn, row.Expired})
		}
		if i == start { // not one of the directions: never from the ledger
			i++
		}
	}
	return t, nil
}
