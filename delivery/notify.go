package delivery

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/mailer"
	"github.com/s2sd/s2sd/routing"
)

// party names a code for a notice: its mailbox's name, or the Lost Pupil
// Database.
func (r *Router) party(ctx context.Context, lk *lookups, code string) mailer.Party {
	switch code {
	case routing.CodeLostUnknown:
		return mailer.Party{Code: code, Name: "Lost Pupil Database (destination unknown)"}
	case routing.CodeLostLeft:
		return mailer.Party{Code: code, Name: "Lost Pupil Database (left the maintained sector)"}
	}
	m, err := lk.mailbox(ctx, code)
	if err != nil {
		return mailer.Party{Code: code}
	}
	return mailer.Party{Code: code, Name: m.Name}
}

// addresses are a mailbox's contact and users, and the sending user.
func (r *Router) addresses(ctx context.Context, lk *lookups, code, login string) []string {
	to, err := lk.addresses(ctx, code)
	to = slices.Clone(to)
	if err != nil && !errors.Is(err, ledger.ErrNotFound) {
		r.log.Error().Err(err).Str("mailbox", code).Msg("looking up notice recipients")
	}
	if login != "" && login != LocalLogin {
		if u, err := lk.user(ctx, login); err == nil && u.Email != "" && !slices.Contains(to, u.Email) {
			to = append(to, u.Email)
		}
	}
	return to
}

// mails turns notices into outbox rows, leaving out those with nobody to
// tell (a mailbox imported without a contact, say).
func (r *Router) mails(ms ...mailer.Message) []ledger.Mail {
	var keep []mailer.Message
	for _, m := range ms {
		if len(m.To) > 0 {
			keep = append(keep, m)
		}
	}
	return mailer.Mails(r.cfg.Now(), keep...)
}

// routedNotices tell the destination a file waits and the sender that it
// was accepted, with any warnings. Lost Pupil Database files tell only
// the sender: waiting is nil.
func (r *Router) routedNotices(ctx context.Context, lk *lookups, up ledger.Upload, p plan) (mailer.ConfirmationNotice, *mailer.FileWaitingNotice) {
	sender, dest := r.party(ctx, lk, p.Sender), r.party(ctx, lk, p.Dest)
	var addressed mailer.Party
	if p.Addressed != p.Dest {
		addressed = r.party(ctx, lk, p.Addressed)
	}
	c := mailer.ConfirmationNotice{
		To: r.addresses(ctx, lk, p.Sender, up.Login), Sender: sender, Dest: dest, Addressed: addressed,
		FileName: up.Name, Pupils: p.Pupils, Uploaded: up.ReceivedAt, Warnings: p.Warnings,
	}
	if p.Lost {
		return c, nil
	}
	return c, &mailer.FileWaitingNotice{
		To: r.addresses(ctx, lk, p.Dest, ""), Recipient: dest, Sender: sender, Addressed: addressed,
		FileName: up.Name, Uploaded: up.ReceivedAt, Expires: up.ReceivedAt.AddDate(0, 2, 0),
	}
}

// notices gathers the routed notices of a batch per recipient: one
// confirmation per sender and set of addresses, one "files waiting" per
// destination, sender, closed mailbox addressed and set of addresses (see
// mailer.FilesWaiting). A file routed alone gets its own notices.
type notices struct {
	confirmations []mailer.ConfirmationNotice
	waiting       []mailer.FileWaitingNotice
}

func (n *notices) add(c mailer.ConfirmationNotice, w *mailer.FileWaitingNotice) {
	n.confirmations = append(n.confirmations, c)
	if w != nil {
		n.waiting = append(n.waiting, *w)
	}
}

// messages returns the gathered notices, the confirmations first, each
// group in the order of its first file.
func (n *notices) messages() []mailer.Message {
	var out []mailer.Message
	for _, g := range groupBy(n.confirmations, func(c mailer.ConfirmationNotice) string {
		return strings.Join([]string{c.Sender.Code, strings.Join(c.To, ",")}, "\x00")
	}) {
		out = append(out, mailer.Confirmations(g))
	}
	for _, g := range groupBy(n.waiting, func(w mailer.FileWaitingNotice) string {
		return strings.Join([]string{w.Recipient.Code, w.Sender.Code, w.Addressed.Code, strings.Join(w.To, ",")}, "\x00")
	}) {
		out = append(out, mailer.FilesWaiting(g))
	}
	return out
}

// groupBy splits items into groups of equal key, in the order each key
// first appears.
func groupBy[T any](items []T, key func(T) string) [][]T {
	var groups [][]T
	at := map[string]int{}
	for _, it := range items {
		k := key(it)
		i, ok := at[k]
		if !ok {
			i = len(groups)
			at[k] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], it)
	}
	return groups
}

// rejectedNotices tell the sender every reason its file was refused.
func (r *Router) rejectedNotices(ctx context.Context, lk *lookups, up ledger.Upload, p plan) []ledger.Mail {
	sender := mailer.Party{Code: up.Box}
	if up.Box != "admin" {
		sender = r.party(ctx, lk, up.Box)
	}
	return r.mails(mailer.ValidationFailed(mailer.ValidationFailedNotice{
		To: r.addresses(ctx, lk, up.Box, up.Login), Sender: sender, FileName: up.Name,
		Received: up.ReceivedAt, Reasons: p.Reasons,
	}))
}

// collectedNotices tell a transfer's sender it was collected.
func (r *Router) collectedNotices(ctx context.Context, t ledger.Transfer) []ledger.Mail {
	lk := newLookups(r.ledger)
	return r.mails(mailer.Collected(mailer.CollectedNotice{
		To: r.addresses(ctx, lk, t.Sender, t.SenderLogin), Sender: r.party(ctx, lk, t.Sender),
		Dest: r.party(ctx, lk, t.Dest), FileName: t.Name, Collected: r.cfg.Now(),
	}))
}

// rejectedByRecipientNotices tell a transfer's sender the recipient
// deleted it uncollected.
func (r *Router) rejectedByRecipientNotices(ctx context.Context, t ledger.Transfer) []ledger.Mail {
	lk := newLookups(r.ledger)
	return r.mails(mailer.RejectedByRecipient(mailer.RejectedNotice{
		To: r.addresses(ctx, lk, t.Sender, t.SenderLogin), Sender: r.party(ctx, lk, t.Sender),
		Dest: r.party(ctx, lk, t.Dest), FileName: t.Name, Rejected: r.cfg.Now(),
	}))
}

// kick wakes the mail worker after notices were enqueued.
func (r *Router) kick() {
	if r.cfg.Kick != nil {
		r.cfg.Kick()
	}
}
