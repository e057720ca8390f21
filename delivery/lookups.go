package delivery

import (
	"context"
	"errors"

	"github.com/s2sd/s2sd/ledger"
)

// lookups answers the questions about mailboxes and users that routing
// asks of the ledger, each once for as long as the lookups lives: one
// routing batch, or one call from outside it. A phase transfer's files
// share a sender and mostly a destination and LA, and each file asks
// about them several times (its check, its LA copies, its notices), so a
// batch of 64 files asked the same few questions some 500 times.
//
// Answering from the batch's first look is what the batch would see had
// it read them all at its start. A failure other than "not found" is not
// kept, so that the next file asks again.
//
// The OPEN pre-check's lookups also answer from what the router keeps
// between calls (held and waits): mailboxes looked up lately, and the
// names that may still wait. Routing's lookups ask the ledger.
type lookups struct {
	l         *ledger.Ledger
	held      *heldMailboxes // nil: ask the ledger
	waits     *waitingSet    // nil: ask the ledger
	mailboxes memo[ledger.Mailbox]
	addrs     memo[[]string]
	users     memo[ledger.User]
}

func newLookups(l *ledger.Ledger) *lookups { return &lookups{l: l} }

func (lk *lookups) mailbox(ctx context.Context, code string) (ledger.Mailbox, error) {
	return lk.mailboxes.get(code, func() (ledger.Mailbox, error) {
		if lk.held != nil {
			return lk.held.get(ctx, lk.l, code)
		}
		return lk.l.Mailbox(ctx, code)
	})
}

// waiting reports whether a transfer named name still waits at dest
// (ledger.Waiting).
func (lk *lookups) waiting(ctx context.Context, dest, name string) (bool, error) {
	if lk.waits != nil && !lk.waits.mayWait(dest, name) {
		return false, nil
	}
	return lk.l.Waiting(ctx, dest, name)
}

// addresses are a mailbox's contact and its users' addresses. The caller
// must not change the slice.
func (lk *lookups) addresses(ctx context.Context, code string) ([]string, error) {
	return lk.addrs.get(code, func() ([]string, error) { return lk.l.MailboxAddresses(ctx, code) })
}

// mailboxWaiting is mailbox, and whether name still waits there
// (ledger.Waiting): in one query when the mailbox is not known yet, as at
// an OPEN's pre-check.
func (lk *lookups) mailboxWaiting(ctx context.Context, code, name string) (ledger.Mailbox, bool, error) {
	if lk.held != nil {
		m, err := lk.mailbox(ctx, code)
		if err != nil {
			return m, false, err
		}
		waiting, err := lk.waiting(ctx, code, name)
		return m, waiting, err
	}
	var waiting, asked bool
	m, err := lk.mailboxes.get(code, func() (ledger.Mailbox, error) {
		m, w, err := lk.l.MailboxWaiting(ctx, code, name)
		waiting, asked = w, true
		return m, err
	})
	if err != nil || asked {
		return m, waiting, err
	}
	waiting, err = lk.waiting(ctx, code, name)
	return m, waiting, err
}

func (lk *lookups) user(ctx context.Context, login string) (ledger.User, error) {
	return lk.users.get(login, func() (ledger.User, error) { return lk.l.User(ctx, login) })
}

// memo keeps one answer per key. A lookups serves one goroutine: the
// router prepares and finishes a batch's files one after another.
type memo[V any] map[string]answer[V]

type answer[V any] struct {
	v   V
	err error
}

func (m *memo[V]) get(key string, look func() (V, error)) (V, error) {
	if a, ok := (*m)[key]; ok {
		return a.v, a.err
	}
	v, err := look()
	if err == nil || errors.Is(err, ledger.ErrNotFound) {
		if *m == nil {
			*m = memo[V]{}
		}
		(*m)[key] = answer[V]{v, err}
	}
	return v, err
}
