package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/s2sd/s2sd/gias"
	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/routing"
)

// maxListedSkips caps the skipped rows listed one by one.
const maxListedSkips = 20

// MailboxImportCmd adds or updates school mailboxes from GIAS.
type MailboxImportCmd struct {
	File  string `arg:"" help:"GIAS all-establishments CSV (edubasealldata*.csv)."`
	Links string `placeholder:"FILE" help:"GIAS links CSV (links_edubasealldata*.csv): gives closed establishments their successors."`
}

// Run imports the file. Re-importing a newer extract updates mailboxes in
// place and keeps their contact email.
func (c *MailboxImportCmd) Run(ctx context.Context, g *Globals) error {
	led, cfg, err := g.openLedger(ctx)
	if err != nil {
		return err
	}
	defer led.Close()

	ests, err := parseFile(c.File, gias.ParseEstablishments)
	if err != nil {
		return err
	}
	var links []gias.Link
	if c.Links != "" {
		if links, err = parseFile(c.Links, gias.ParseLinks); err != nil {
			return err
		}
	}
	existing, err := led.Mailboxes(ctx)
	if err != nil {
		return err
	}
	plan := planImport(ests, links, existing, cfg.LANumberSet())

	var added, updated int
	now := time.Now()
	for _, ch := range plan.changes {
		inserted, err := led.UpsertMailbox(ctx, ch.mailbox, now)
		if err != nil {
			return fmt.Errorf("import stopped at mailbox %s (line %d of %s): %w; %d added and %d updated before it: fix the cause and import again, which is safe",
				ch.mailbox.Code, ch.line, c.File, err, added, updated)
		}
		switch {
		case ch.renumbered:
		case inserted:
			added++
		default:
			updated++
		}
	}
	imported := added + updated + plan.unchanged
	if err := audit(ctx, led, "", filepath.Base(c.File), fmt.Sprintf("mailbox import added=%d updated=%d unchanged=%d skipped=%d",
		added, updated, plan.unchanged, len(plan.skipped))); err != nil {
		return err
	}
	plan.report(g.Stderr, c.File, c.Links)
	fmt.Fprintf(g.Stdout, "imported %d establishments: %d added, %d updated, %d unchanged, %d skipped\n",
		imported, added, updated, plan.unchanged, len(plan.skipped))
	return nil
}

// parseFile opens path and parses it with parse.
func parseFile[T any](path string, parse func(io.Reader) ([]T, error)) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: give the path of a GIAS CSV file", err)
	}
	defer f.Close()
	rows, err := parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rows, nil
}

// skip is a row of the extract that is not imported, and why.
type skip struct {
	line   int
	urn    string
	reason string
}

// importPlan is what an import will write.
type importPlan struct {
	changes   []change // new or changed mailboxes, in file order
	unchanged int      // mailboxes already as the extract has them
	skipped   []skip
	notes     []note
}

// change is a mailbox to write, and the line of the extract it comes from.
type change struct {
	mailbox ledger.Mailbox
	line    int
	// renumbered marks the old mailbox of an establishment that GIAS gave
	// a new DfE number: it is not one of the establishments imported.
	renumbered bool
}

// note is something the import did, or could not do, that the operator
// should know.
type note struct {
	skip
	inLinks bool // the line is one of the links file's
}

// candidate is an establishment that will become a mailbox.
type candidate struct {
	est    gias.Establishment
	code   string
	closed bool
}

// planImport decides, without writing anything, what importing ests (and
// links) into a ledger holding existing means.
func planImport(ests []gias.Establishment, links []gias.Link, existing []ledger.Mailbox, las routing.LANumbers) importPlan {
	var p importPlan
	var cands []*candidate
	byCode := map[string]*candidate{}
	byURN := map[string]*candidate{}
	for _, e := range ests {
		code, err := e.Code()
		if err != nil {
			p.skip(e, err.Error())
			continue
		}
		if !las.Valid(e.LA) {
			p.skip(e, fmt.Sprintf("LA %s is not one of the configured la_numbers", e.LA))
			continue
		}
		closed, err := e.Closed()
		if err != nil {
			p.skip(e, err.Error())
			continue
		}
		if e.URN != "" && byURN[e.URN] != nil {
			p.skip(e, fmt.Sprintf("URN %s appears again (first on line %d)", e.URN, byURN[e.URN].est.Line))
			continue
		}
		c := &candidate{est: e, code: code, closed: closed}
		if prev := byCode[code]; prev != nil {
			// Two establishments share a DfE number: the open one wins.
			if !prev.closed || closed {
				p.skip(e, fmt.Sprintf("DfE number %s is also that of URN %s on line %d", code, prev.est.URN, prev.est.Line))
				continue
			}
			p.skip(prev.est, fmt.Sprintf("DfE number %s is also that of open URN %s on line %d", code, e.URN, e.Line))
			delete(byURN, prev.est.URN)
			*prev = *c
			if e.URN != "" {
				byURN[e.URN] = prev
			}
			continue
		}
		cands = append(cands, c)
		byCode[code] = c
		if e.URN != "" {
			byURN[e.URN] = c
		}
	}

	old := map[string]ledger.Mailbox{}
	oldByURN := map[string]ledger.Mailbox{}
	for _, m := range existing {
		old[m.Code] = m
		if m.URN != "" {
			oldByURN[m.URN] = m
		}
	}
	// codeOf finds the mailbox an establishment became: in this import, or
	// in an earlier one.
	codeOf := func(urn string) (code string, open bool) {
		if c := byURN[urn]; c != nil {
			return c.code, !c.closed
		}
		if m, ok := oldByURN[urn]; ok {
			return m.Code, m.Status == ledger.StatusOpen
		}
		return "", false
	}
	successors := map[string][]gias.Link{}
	for _, l := range links {
		if l.IsSuccessor() {
			successors[l.URN] = append(successors[l.URN], l)
		}
	}

	for _, c := range cands {
		if owner, ok := oldByURN[c.est.URN]; ok && owner.Code != c.code {
			p.renumber(c, owner, byCode[owner.Code] != nil)
		}
		m := ledger.Mailbox{
			Code: c.code, Name: c.est.Name, Kind: string(routing.KindSchool), LA: c.est.LA,
			Status: ledger.StatusOpen, Town: c.est.Town, Postcode: c.est.Postcode, URN: c.est.URN,
		}
		prev, had := old[c.code]
		if c.closed {
			m.Status = ledger.StatusClosed
			m.Successor = p.successor(c, successors[c.est.URN], codeOf)
			if m.Successor == "" && had {
				m.Successor = prev.Successor // set by hand, or by an earlier links file
			}
		}
		if had && sameImported(prev, m) {
			p.unchanged++
			continue
		}
		p.changes = append(p.changes, change{mailbox: m, line: c.est.Line})
	}
	return p
}

// successor picks the successor of a closed establishment from its links:
// the first whose establishment is an open mailbox, else the first that is
// a mailbox at all.
func (p *importPlan) successor(c *candidate, links []gias.Link, codeOf func(string) (string, bool)) string {
	var first string
	for _, l := range links {
		code, open := codeOf(l.LinkURN)
		switch {
		case code == "":
			p.notes = append(p.notes, note{inLinks: true, skip: skip{line: l.Line, urn: l.URN,
				reason: fmt.Sprintf("successor URN %s of %s is not a mailbox, so it was not set", l.LinkURN, c.code)}})
		case code == c.code:
		case open:
			return code
		case first == "":
			first = code
		}
	}
	return first
}

// renumber moves the URN of establishment c from the mailbox that held it
// under its old DfE number (after an LA reorganisation, say). Unless the
// old number is still in the extract, its mailbox closes with the new
// number as its successor, so files sent to it are not stranded.
func (p *importPlan) renumber(c *candidate, owner ledger.Mailbox, stillListed bool) {
	moved := owner
	moved.URN = ""
	reason := fmt.Sprintf("URN %s moved from mailbox %s to %s", c.est.URN, owner.Code, c.code)
	if !stillListed {
		moved.Status = ledger.StatusClosed
		moved.Successor = c.code
		reason += fmt.Sprintf(", so %s is closed with %s as its successor", owner.Code, c.code)
	}
	p.changes = append(p.changes, change{mailbox: moved, line: c.est.Line, renumbered: true})
	p.notes = append(p.notes, note{skip: skip{line: c.est.Line, urn: c.est.URN, reason: reason}})
}

func (p *importPlan) skip(e gias.Establishment, reason string) {
	p.skipped = append(p.skipped, skip{line: e.Line, urn: e.URN, reason: reason})
}

// sameImported reports whether the fields an import sets are equal.
func sameImported(a, b ledger.Mailbox) bool {
	return a.Name == b.Name && a.Kind == b.Kind && a.LA == b.LA && a.Status == b.Status &&
		a.Successor == b.Successor && a.Town == b.Town && a.Postcode == b.Postcode && a.URN == b.URN
}

// report prints the skipped rows and the notes on w.
func (p *importPlan) report(w io.Writer, file, links string) {
	sort.SliceStable(p.skipped, func(i, j int) bool { return p.skipped[i].line < p.skipped[j].line })
	if n := len(p.skipped); n > 0 {
		fmt.Fprintf(w, "skipped %d row(s) of %s:\n", n, file)
		for i, s := range p.skipped {
			if i == maxListedSkips {
				fmt.Fprintf(w, "  … and %d more\n", n-maxListedSkips)
				break
			}
			fmt.Fprintf(w, "  line %d (URN %s): %s\n", s.line, s.urn, s.reason)
		}
	}
	for _, n := range p.notes {
		where := file
		if n.inLinks {
			where = links
		}
		fmt.Fprintf(w, "note: line %d of %s (URN %s): %s\n", n.line, where, n.urn, n.reason)
	}
}
