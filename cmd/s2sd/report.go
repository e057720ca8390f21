package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/reports"
	"github.com/s2sd/s2sd/routing"
)

// ReportCmd prints one report of SPEC section 9.
type ReportCmd struct {
	Name    string `arg:"" help:"The report, e.g. sent or usage (\".csv\" may follow): the names of /reports."`
	Mailbox string `placeholder:"CODE" help:"Make the report as this mailbox's users see it (default: everything, as an admin)."`
	From    string `placeholder:"DATE" help:"First day, YYYY-MM-DD (default: 1 September of the current academic year; with only --to, the longest period that ends then)."`
	To      string `placeholder:"DATE" help:"Last day, YYYY-MM-DD (default: 31 August of the current academic year; with only --from, today)."`
	Format  string `enum:"csv,table,json" default:"csv" help:"Output format: csv (the file /reports serves: UTF-8 with a byte-order mark for Excel, CRLF line ends), table or json."`
}

// Run prints the report.
func (c *ReportCmd) Run(ctx context.Context, g *Globals) error {
	name := strings.TrimSuffix(strings.ToLower(c.Name), ".csv")
	if !slices.Contains(reports.ReportNames(), name) {
		return &usageError{err: fmt.Errorf("unknown report %q: use one of %s", c.Name, strings.Join(reports.ReportNames(), ", ")),
			command: "s2sd report"}
	}
	led, _, err := g.openLedger(ctx)
	if err != nil {
		return err
	}
	defer led.Close()
	svc := reports.New(led, time.Now)
	v, err := c.viewer(ctx, led)
	if err != nil {
		return err
	}
	if !slices.Contains(svc.Names(v), name+".csv") {
		return fmt.Errorf("report %s is not available to %s mailbox %s: it may read %s", name, v.Role.MailboxKind(), v.Mailbox,
			strings.Join(svc.Names(v), ", "))
	}
	p, err := c.period(svc)
	if err != nil {
		return err
	}
	t, err := svc.Report(ctx, v, name, p)
	if err != nil {
		return err
	}
	if c.Format == "csv" {
		_, err := g.Stdout.Write(t.CSV())
		return err
	}
	return listing{columns: t.Columns, rows: t.Rows}.write(g.Stdout, c.Format)
}

// viewer is who the report is made for: the users of --mailbox, by its
// kind, or an admin.
func (c *ReportCmd) viewer(ctx context.Context, led *ledger.Ledger) (reports.Viewer, error) {
	if c.Mailbox == "" {
		return reports.Viewer{Role: routing.RoleAdmin}, nil
	}
	m, err := led.Mailbox(ctx, strings.ToUpper(c.Mailbox))
	if errors.Is(err, ledger.ErrNotFound) {
		return reports.Viewer{}, fmt.Errorf("mailbox %s does not exist: see \"s2sd mailbox list\"", c.Mailbox)
	}
	if err != nil {
		return reports.Viewer{}, err
	}
	role := map[string]routing.Role{
		string(routing.KindSchool): routing.RoleSchool, string(routing.KindLA): routing.RoleLAUser,
		string(routing.KindLAPlasc): routing.RoleLAPlasc, string(routing.KindLAAdmissions): routing.RoleLAAdmissions,
	}[m.Kind]
	return reports.Viewer{Role: role, Mailbox: m.Code}, nil
}

// period is the days --from and --to give: the current academic year by
// default.
func (c *ReportCmd) period(svc *reports.Service) (reports.Period, error) {
	const day = time.DateOnly
	switch {
	case c.From == "" && c.To == "":
		return svc.CurrentPeriod(), nil
	case c.To == "":
		return reports.NewPeriod(c.From, reports.Today(time.Now()).Format(day))
	case c.From == "":
		to, err := time.Parse(day, c.To)
		if err != nil {
			return reports.NewPeriod(c.To, c.To) // says what is wrong with the date
		}
		return reports.NewPeriod(to.AddDate(-reports.MaxYears, 0, 1).Format(day), c.To)
	}
	return reports.NewPeriod(c.From, c.To)
}
