package reports

import (
	"context"

	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/routing"
)

// report is one report of the catalogue.
type report struct {
	name    string // file name without ".csv"
	schools bool   // schools may read it; LA roles and admins read every report
	build   func(ctx context.Context, s *Service, scope ledger.ReportScope, p Period) (Table, error)
}

// catalogue lists the reports in the order of SPEC section 9.
var catalogue = []report{
	{name: "sent", schools: true, build: sent},
	{name: "received", schools: true, build: received},
	{name: "usage", build: usage},
	{name: "schools", build: schools},
	{name: "cluster", build: cluster},
	{name: "monitor", build: monitor},
	{name: "lost-numbers", build: lostNumbers},
	{name: "lost-details", build: lostDetails},
	{name: "leaving-age", build: leavingAge},
	{name: "generic", schools: true, build: generic},
	{name: "messages", build: messages},
	{name: "quality", schools: true, build: quality},
}

// ReportNames lists every report's name, without ".csv".
func ReportNames() []string {
	out := make([]string, len(catalogue))
	for i, r := range catalogue {
		out[i] = r.name
	}
	return out
}

func lookup(name string) (report, bool) {
	for _, r := range catalogue {
		if r.name == name {
			return r, true
		}
	}
	return report{}, false
}

// mayRead reports whether a role may read the report: schools their own
// transfers' reports, every LA role and admins all of them.
func (r report) mayRead(role routing.Role) bool {
	switch {
	case role == routing.RoleAdmin, role.MailboxKind().IsLA():
		return true
	case role == routing.RoleSchool:
		return r.schools
	}
	return false
}
