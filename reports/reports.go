// Package reports builds the CSV reports of SPEC section 9 from the
// ledger: what a school, an LA or an admin may read, for the current
// academic year or any date range. It is pure report building: the
// ledger aggregates in SQL, this package scopes, names and formats, and
// the SFTP server and the CLI are adapters around it.
package reports

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/routing"
)

// Sentinel errors. Errors wrapping them are meant for the user; any other
// error Generate returns is the ledger's.
var (
	ErrNoReport = errors.New("no such report")
	ErrPeriod   = errors.New("invalid report period")
)

// Viewer is who reads a report: a user's role and mailbox. An admin has
// no mailbox.
type Viewer struct {
	Role    routing.Role
	Mailbox string
}

// Service makes reports from a ledger. Its clock sets the current
// academic year and the day the leaving-age report counts from.
type Service struct {
	ledger *ledger.Ledger
	now    func() time.Time
}

// New returns a report service over l.
func New(l *ledger.Ledger, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{ledger: l, now: now}
}

// Names lists the file names of the reports v may read, in the order of
// SPEC section 9, e.g. "sent.csv".
func (s *Service) Names(v Viewer) []string {
	var out []string
	for _, r := range catalogue {
		if r.mayRead(v.Role) {
			out = append(out, r.name+".csv")
		}
	}
	return out
}

// CurrentPeriod is the academic year the service's clock is in.
func (s *Service) CurrentPeriod() Period { return AcademicYear(s.now()) }

// Generate makes the report file name (e.g. "sent.csv") for v over
// period, a folder name such as "2025-09-01_2026-08-31", or "" for the
// current academic year. With name "", it only checks the period. A
// report v may not read does not exist for v.
func (s *Service) Generate(ctx context.Context, v Viewer, name, period string) ([]byte, error) {
	base, isCSV := strings.CutSuffix(name, ".csv")
	if r, ok := lookup(base); name != "" && (!isCSV || !ok || !r.mayRead(v.Role)) {
		return nil, noReport(name)
	}
	p := s.CurrentPeriod()
	if period != "" {
		if name == "" && strings.HasSuffix(strings.ToLower(period), ".csv") {
			return nil, noReport(period) // a report's name typed as a folder
		}
		var err error
		if p, err = ParsePeriod(period); err != nil {
			return nil, err
		}
	}
	if name == "" {
		return nil, nil
	}
	t, err := s.Report(ctx, v, base, p)
	if err != nil {
		return nil, err
	}
	return t.CSV(), nil
}

// Report makes report name (without ".csv") for v over p.
func (s *Service) Report(ctx context.Context, v Viewer, name string, p Period) (Table, error) {
	r, ok := lookup(name)
	if !ok || !r.mayRead(v.Role) {
		return Table{}, noReport(name + ".csv")
	}
	scope, err := scopeOf(v)
	if err != nil {
		return Table{}, err
	}
	t, err := r.build(ctx, s, scope, p)
	if err != nil {
		return Table{}, fmt.Errorf("report %s for %s: %w", name, p, err)
	}
	return t, nil
}

func noReport(name string) error {
	return fmt.Errorf("%s: %w: list /reports for the reports you may read", name, ErrNoReport)
}

// scopeOf is what v may see: a school its own transfers, an LA role its
// LA's schools and its own mailboxes, an admin everything.
func scopeOf(v Viewer) (ledger.ReportScope, error) {
	switch kind := v.Role.MailboxKind(); {
	case v.Role == routing.RoleAdmin:
		return ledger.ReportScope{}, nil
	case kind == routing.KindSchool && v.Mailbox != "":
		return ledger.ReportScope{Mailbox: v.Mailbox}, nil
	case kind.IsLA() && len(v.Mailbox) == 7:
		return ledger.ReportScope{LA: v.Mailbox[:3]}, nil
	}
	return ledger.ReportScope{}, fmt.Errorf("role %q in mailbox %q: %w", v.Role, v.Mailbox, ErrNoReport)
}
