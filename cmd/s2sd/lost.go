package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/s2sd/s2sd/delivery"
	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/routing"
)

// LostCmd groups the Lost Pupil Database commands.
type LostCmd struct {
	Search LostSearchCmd `cmd:"" help:"Search the Lost Pupil Database for records still lost, as the /lost-pupils/search/ folders do."`
}

// LostSearchCmd searches the Lost Pupil Database. Its flags are the terms
// of a search folder's name, and go through the same parser.
type LostSearchCmd struct {
	UPN      string `name:"upn" placeholder:"UPN" help:"Unique Pupil Number, exactly."`
	Surname  string `placeholder:"PREFIX" help:"Surname, or its beginning, in any case."`
	Like     string `placeholder:"NAME" help:"A surname that sounds alike (American Soundex)."`
	Forename string `placeholder:"PREFIX" help:"Forename, or its beginning, in any case."`
	DOB      string `name:"dob" placeholder:"YYYY-MM-DD" help:"Date of birth."`
	Gender   string `placeholder:"M|F|U|X" help:"Gender."`
	Town     string `placeholder:"TOWN" help:"Town, in any case."`
	Sort     string `placeholder:"FIELD" help:"Order by surname (default), forename, dob, uploaded or town."`
	FormatFlag
}

// query writes the flags as a search folder's name, e.g.
// "surname=jones,dob=2012-03-04".
func (c *LostSearchCmd) query() (string, error) {
	if c.UPN == "" && c.Surname == "" && c.Like == "" {
		return "", fmt.Errorf("a search needs --upn, --surname or --like: add one of them, e.g. --surname jones --dob 2012-03-04")
	}
	var terms []string
	for _, t := range []struct{ field, value string }{
		{"upn", c.UPN}, {"surname", c.Surname}, {"like", c.Like}, {"forename", c.Forename},
		{"dob", c.DOB}, {"gender", c.Gender}, {"town", c.Town}, {"sort", c.Sort},
	} {
		if t.value == "" {
			continue
		}
		if strings.ContainsAny(t.value, ",=") {
			return "", fmt.Errorf("--%s %q may not contain a comma or an equals sign", t.field, t.value)
		}
		terms = append(terms, t.field+"="+t.value)
	}
	return strings.Join(terms, ","), nil
}

// Run searches the ledger and prints at most delivery.LostResultCap
// records, audited as a search by "cli".
func (c *LostSearchCmd) Run(ctx context.Context, g *Globals) error {
	query, err := c.query()
	if err != nil {
		return err
	}
	q, err := routing.ParseLostQuery(query)
	if err != nil {
		return err
	}
	led, _, err := g.openLedger(ctx)
	if err != nil {
		return err
	}
	defer led.Close()
	ps, err := led.SearchLost(ctx, q, delivery.LostResultCap+1)
	if err != nil {
		return err
	}
	capped := len(ps) > delivery.LostResultCap
	if capped {
		ps = ps[:delivery.LostResultCap]
	}
	if err := led.Audit(ctx, ledger.Event{At: time.Now(), Event: ledger.EventSearch, Login: "cli", Object: query,
		Detail: fmt.Sprintf("results=%d", len(ps))}); err != nil {
		return fmt.Errorf("the search could not be written to the audit log: %w", err)
	}
	l := listing{columns: []string{"id", "upn", "former_upn", "surname", "former_surname", "forename", "middle_names",
		"dob", "gender", "town", "postcode", "la", "school", "school_name", "uploaded", "destination"}}
	for _, p := range ps {
		l.rows = append(l.rows, []any{p.ID, p.UPN, p.FormerUPN, p.Surname, p.FormerSurname, p.Forename, p.MiddleNames,
			p.DOB, p.Gender, p.Town, p.Postcode, p.LA, p.School, p.SchoolName, p.UploadedAt, p.Via})
	}
	if err := l.write(g.Stdout, c.Format); err != nil {
		return err
	}
	if capped {
		fmt.Fprintf(g.Stderr, "s2sd: only the first %d records are shown: narrow the search\n", delivery.LostResultCap)
	}
	return nil
}
