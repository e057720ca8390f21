package delivery

import (
	"context"
	"sync"
	"time"

	"github.com/s2sd/s2sd/ledger"
)

// heldMailboxes keeps the mailboxes the OPEN pre-check has looked up, each
// for mailboxHold, so that a phase transfer's thousands of OPENs to a few
// destinations do not each read the ledger. Mailboxes change by admin
// commands, usually from another process, which cannot tell this one: an
// OPEN may see a mailbox as it was up to mailboxHold ago. That is no
// more than an upload already open when the change was made sees, and
// routing looks each file's mailboxes up afresh: a file sent to a mailbox
// closed meanwhile is rejected with a notice, never misrouted. A mailbox
// not found is not kept, so that one just added is found at once.
type heldMailboxes struct {
	now func() time.Time // a clock for holding, not the business clock

	mu   sync.Mutex
	held map[string]heldMailbox
}

type heldMailbox struct {
	m     ledger.Mailbox
	until time.Time
}

// mailboxHold is how long a mailbox looked up is kept.
const mailboxHold = 2 * time.Second

// maxHeld is how many mailboxes are kept before the expired ones are
// dropped.
const maxHeld = 4096

func newHeldMailboxes() *heldMailboxes {
	return &heldMailboxes{now: time.Now, held: make(map[string]heldMailbox)}
}

// get returns mailbox code, from memory if it was looked up less than
// mailboxHold ago.
func (h *heldMailboxes) get(ctx context.Context, l *ledger.Ledger, code string) (ledger.Mailbox, error) {
	now := h.now()
	h.mu.Lock()
	e, ok := h.held[code]
	h.mu.Unlock()
	if ok && now.Before(e.until) {
		return e.m, nil
	}
	m, err := l.Mailbox(ctx, code)
	if err != nil {
		return m, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.held) >= maxHeld {
		for c, e := range h.held {
			if !now.Before(e.until) {
				delete(h.held, c)
			}
		}
	}
	h.held[code] = heldMailbox{m, now.Add(mailboxHold)}
	return m, nil
}
