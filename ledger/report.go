package ledger

import (
	"strings"
	"time"
)

// ReportScope limits the rows a report reads to what one party may see.
// The zero value sees everything: an admin's scope.
type ReportScope struct {
	// Mailbox, if set, is a school's code: only its own transfers.
	Mailbox string
	// LA, if set, is an LA number: the transfers of its schools and of
	// its own mailboxes (LLLLLLL, LLLPLAS, LLLADMS), which are the
	// parties whose code starts with the number.
	LA string
}

// ReportPeriod is the half-open interval of instants [From, To) that a
// report covers.
type ReportPeriod struct {
	From, To time.Time
}

// reportWhere collects a statement's conditions and their arguments. The
// conditions are constant text; every value goes in as an argument.
type reportWhere struct {
	conds []string
	args  []any
}

func (w *reportWhere) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// period adds column >= From AND column < To.
func (w *reportWhere) period(column string, p ReportPeriod) {
	w.add(column+` >= ? AND `+column+` < ?`, formatTime(p.From), formatTime(p.To))
}

func (w *reportWhere) String() string {
	if len(w.conds) == 0 {
		return "1"
	}
	return strings.Join(w.conds, " AND ")
}

// Report sides: which of a transfer's parties must be in scope.
const (
	SideSent     = "sent"     // the sender
	SideReceived = "received" // the destination
	SideEither   = ""         // either
)

// scopeTransfers adds the scope's condition on transfers aliased t, and
// the period by upload time. The LA conditions use the sender_la and
// dest_la indexes; for either side the period is repeated in each branch
// of the OR, so that SQLite looks up each branch by LA and time.
func (w *reportWhere) scopeTransfers(s ReportScope, side string, p ReportPeriod) {
	w.period("t.uploaded_at", p)
	from, to := formatTime(p.From), formatTime(p.To)
	switch {
	case s.Mailbox != "" && side == SideSent:
		w.add(`t.sender = ?`, s.Mailbox)
	case s.Mailbox != "" && side == SideReceived:
		w.add(`t.dest = ?`, s.Mailbox)
	case s.Mailbox != "":
		w.add(`(t.sender = ? OR t.dest = ?)`, s.Mailbox, s.Mailbox)
	case s.LA != "" && side == SideSent:
		w.add(`t.sender_la = ?`, s.LA)
	case s.LA != "" && side == SideReceived:
		w.add(`t.dest_la = ?`, s.LA)
	case s.LA != "":
		w.add(`((t.sender_la = ? AND t.uploaded_at >= ? AND t.uploaded_at < ?) OR
			(t.dest_la = ? AND t.uploaded_at >= ? AND t.uploaded_at < ?))`, s.LA, from, to, s.LA, from, to)
	}
}
