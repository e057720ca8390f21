package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/s2sd/s2sd/auth"
	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/routing"
)

// MailboxCmd groups the mailbox commands.
type MailboxCmd struct {
	Add    MailboxAddCmd    `cmd:"" help:"Add a school or LA mailbox."`
	Close  MailboxCloseCmd  `cmd:"" help:"Close a mailbox, optionally naming its successor."`
	Import MailboxImportCmd `cmd:"" help:"Add or update school mailboxes from a GIAS establishments CSV."`
	List   MailboxListCmd   `cmd:"" help:"List mailboxes."`
}

// MailboxAddCmd adds one mailbox.
type MailboxAddCmd struct {
	Code     string `arg:"" help:"The mailbox code: a DfE number (8231234) or an LA code (823LLLL, 823PLAS, 823ADMS)."`
	Name     string `required:"" help:"Name of the school or LA team."`
	Email    string `required:"" placeholder:"ADDR" help:"Contact email address (not on a personal domain)."`
	Kind     string `placeholder:"KIND" help:"school, la, la-plasc or la-admissions; must agree with the code."`
	Town     string `placeholder:"T" help:"Town."`
	Postcode string `placeholder:"P" help:"Postcode."`
	NoCopies bool   `help:"For an LA mailbox: do not receive copies of CTFs sent to or from its schools."`
}

// Run adds the mailbox.
func (c *MailboxAddCmd) Run(ctx context.Context, g *Globals) error {
	led, cfg, err := g.openLedger(ctx)
	if err != nil {
		return err
	}
	defer led.Close()

	code, err := parseMailboxCode(c.Code, cfg.LANumberSet())
	if err != nil {
		return err
	}
	if c.Kind != "" {
		kind, err := routing.ParseKind(c.Kind)
		if err != nil {
			return err
		}
		if kind != code.Kind {
			return fmt.Errorf("--kind %s does not agree with code %s, which is a %s mailbox: leave out --kind or fix the code", kind, code, code.Kind)
		}
	}
	if c.NoCopies && !code.Kind.IsLA() {
		return fmt.Errorf("--no-copies is only for LA mailboxes, and %s is a %s mailbox: leave it out", code, code.Kind)
	}
	name := strings.TrimSpace(c.Name)
	if name == "" {
		return fmt.Errorf("--name is empty: give the name of the school or LA team")
	}
	if err := auth.ValidateEmail(c.Email, cfg.PersonalDomains); err != nil {
		return err
	}

	m := ledger.Mailbox{
		Code: code.Value, Name: name, Kind: string(code.Kind), LA: code.LA,
		Status: ledger.StatusOpen, Email: c.Email, Town: c.Town, Postcode: c.Postcode,
		Copies: code.Kind.IsLA() && !c.NoCopies,
	}
	if err := led.AddMailbox(ctx, m, time.Now()); errors.Is(err, ledger.ErrExists) {
		return fmt.Errorf("mailbox %s already exists", code)
	} else if err != nil {
		return err
	}
	if err := audit(ctx, led, code.Value, code.Value, "mailbox add kind="+string(code.Kind)); err != nil {
		return err
	}
	fmt.Fprintf(g.Stdout, "added %s mailbox %s: %s\n", code.Kind, code, name)
	return nil
}

// MailboxCloseCmd closes a mailbox.
type MailboxCloseCmd struct {
	Code      string `arg:"" help:"The mailbox to close."`
	Successor string `placeholder:"CODE" help:"Open mailbox of the same kind that takes over (e.g. the academy a school became)."`
}

// Run closes the mailbox.
func (c *MailboxCloseCmd) Run(ctx context.Context, g *Globals) error {
	led, cfg, err := g.openLedger(ctx)
	if err != nil {
		return err
	}
	defer led.Close()

	las := cfg.LANumberSet()
	code, err := parseMailboxCode(c.Code, las)
	if err != nil {
		return err
	}
	m, err := existingMailbox(ctx, led, code.Value)
	if err != nil {
		return err
	}
	var successor string
	if c.Successor != "" {
		s, err := parseMailboxCode(c.Successor, las)
		if err != nil {
			return fmt.Errorf("--successor: %w", err)
		}
		if s.Value == code.Value {
			return fmt.Errorf("mailbox %s cannot be its own successor: give another mailbox with --successor, or leave it out", code)
		}
		sm, err := led.Mailbox(ctx, s.Value)
		if errors.Is(err, ledger.ErrNotFound) {
			return fmt.Errorf("successor %s does not exist: add it first with \"s2sd mailbox add\" or \"s2sd mailbox import\"", s)
		} else if err != nil {
			return err
		}
		if sm.Status != ledger.StatusOpen {
			return fmt.Errorf("successor %s is closed: name an open mailbox as the successor of %s", s, code)
		}
		if sm.Kind != m.Kind {
			return fmt.Errorf("successor %s is a %s mailbox but %s is a %s mailbox: a successor must be of the same kind", s, sm.Kind, code, m.Kind)
		}
		successor = s.Value
	}
	if err := led.CloseMailbox(ctx, code.Value, successor, time.Now()); err != nil {
		return err
	}
	detail := "mailbox close"
	if successor != "" {
		detail += " successor=" + successor
	}
	if err := audit(ctx, led, code.Value, code.Value, detail); err != nil {
		return err
	}
	if successor != "" {
		fmt.Fprintf(g.Stdout, "closed mailbox %s: files for it now go to %s\n", code, successor)
	} else {
		fmt.Fprintf(g.Stdout, "closed mailbox %s\n", code)
	}
	return nil
}

// MailboxListCmd lists mailboxes.
type MailboxListCmd struct {
	FormatFlag
}

// Run lists the mailboxes.
func (c *MailboxListCmd) Run(ctx context.Context, g *Globals) error {
	led, _, err := g.openLedger(ctx)
	if err != nil {
		return err
	}
	defer led.Close()
	ms, err := led.Mailboxes(ctx)
	if err != nil {
		return err
	}
	l := listing{columns: []string{"code", "name", "kind", "la", "status", "successor", "email", "town", "postcode", "copies", "urn"}}
	for _, m := range ms {
		l.rows = append(l.rows, []any{m.Code, m.Name, m.Kind, m.LA, m.Status, m.Successor, m.Email, m.Town, m.Postcode, m.Copies, m.URN})
	}
	return l.write(g.Stdout, c.Format)
}

// parseMailboxCode parses the code of a mailbox: a school or LA code, not
// one of the Lost Pupil Database's.
func parseMailboxCode(s string, las routing.LANumbers) (routing.Code, error) {
	code, err := routing.ParseCode(s, las)
	if err != nil && len(s) == 7 {
		// Is the LA number the only fault?
		if one, e := routing.NewLANumbers([]string{s[:3]}); e == nil {
			if _, e := routing.ParseCode(s, one); e == nil {
				return routing.Code{}, fmt.Errorf("%w: check the code, or add %s to la_numbers in the config file if it is a new LA", err, s[:3])
			}
		}
	}
	if err != nil {
		return routing.Code{}, err
	}
	if !code.Kind.HasMailbox() {
		return routing.Code{}, fmt.Errorf("%s is the Lost Pupil Database, not a mailbox: give a school's DfE number or an LA code", code)
	}
	return code, nil
}

// existingMailbox returns the mailbox with the given code, with an error
// that says what to do if there is none.
func existingMailbox(ctx context.Context, led *ledger.Ledger, code string) (ledger.Mailbox, error) {
	m, err := led.Mailbox(ctx, code)
	if errors.Is(err, ledger.ErrNotFound) {
		return ledger.Mailbox{}, fmt.Errorf("mailbox %s does not exist: check the code with \"s2sd mailbox list\"", code)
	}
	return m, err
}
