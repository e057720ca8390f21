package ledger

import (
	"strings"
	"testing"
	"time"
)

// TestReportPlans checks that every report statement finds an LA's or a
// school's rows through an index and never scans a whole table: they
// must stay fast on a national ledger (reports' BenchmarkLAReports).
func TestReportPlans(t *testing.T) {
	l := openTest(t)
	p := ReportPeriod{From: time.Date(2025, 8, 31, 23, 0, 0, 0, time.UTC), To: time.Date(2026, 8, 31, 23, 0, 0, 0, time.UTC)}
	la, school := ReportScope{LA: "823"}, ReportScope{Mailbox: "8231234"}
	type stmt func() (string, []any)
	transfers := func(s ReportScope, side string, generic bool) stmt {
		return func() (string, []any) {
			return reportTransfersSQL(ReportTransferQuery{Scope: s, Period: p, Side: side, NotCTF: generic, Downloads: generic})
		}
	}
	cases := map[string]stmt{
		"LA sent":         transfers(la, SideSent, false),
		"LA received":     transfers(la, SideReceived, false),
		"LA schools":      transfers(la, SideEither, false),
		"LA generic":      transfers(la, SideEither, true),
		"LA usage":        func() (string, []any) { return reportUsageSQL(la, p) },
		"LA cluster":      func() (string, []any) { return reportClusterSQL(la, p) },
		"LA monitor":      func() (string, []any) { return reportMonitorSQL(la, p) },
		"LA lost counts":  func() (string, []any) { return reportLostCountsSQL(la, p) },
		"LA lost details": func() (string, []any) { return reportLostDetailsSQL(la, p) },
		"LA leaving age":  func() (string, []any) { return reportLostBornBySQL(la, "2010-08-31") },
		"LA quality":      func() (string, []any) { return reportQualitySQL(la, p) },
		"school sent":     transfers(school, SideSent, false),
		"school received": transfers(school, SideReceived, false),
		"school generic":  transfers(school, SideEither, true),
		"school quality":  func() (string, []any) { return reportQualitySQL(school, p) },
	}
	tables := map[string]bool{"t": true, "u": true, "m": true, "e": true, "transfers": true, "uploads": true,
		"lost_pupils": true, "mailboxes": true, "transfer_events": true}
	for name, st := range cases {
		query, args := st()
		plan := strings.Split(queryPlan(t, l, query, args...), "\n")
		for _, line := range plan {
			if f := strings.Fields(line); len(f) > 1 && f[0] == "SCAN" && tables[f[1]] {
				t.Errorf("%s scans a whole table:\n%s", name, strings.Join(plan, "\n"))
			}
		}
	}
}

// TestReportLeavingAgePlan: an LA's leaving-age report reads its own
// records, not every lost record born before the date.
func TestReportLeavingAgePlan(t *testing.T) {
	l := openTest(t)
	query, args := reportLostBornBySQL(ReportScope{LA: "823"}, "2010-08-31")
	var id, parent, notused int
	var detail string
	if err := l.db.QueryRow("EXPLAIN QUERY PLAN "+query, args...).Scan(&id, &parent, &notused, &detail); err != nil {
		t.Fatal(err)
	}
	if detail != "SEARCH lost_pupils USING INDEX lost_pupils_la (la=?)" {
		t.Errorf("plan: %s", detail)
	}
}
