package ledger

import (
	"context"
	"database/sql"
)

// Writes are ledger writes made in one transaction, for a caller that
// records several things that must stand or fall together, such as a
// routing batch's outcomes and the notices that list them. Get one from
// Write; it is valid only until fn returns.
type Writes struct {
	ctx context.Context
	tx  *sql.Tx
}

// Write runs fn with writes in one transaction, shared with concurrent
// callers' commits as every ledger write is (see groupCommit): if fn
// returns an error, or any write in it fails, none of its writes is
// kept. fn must not call the Ledger's own methods that write.
func (l *Ledger) Write(ctx context.Context, fn func(*Writes) error) error {
	return l.tx(ctx, func(tx *sql.Tx) error { return fn(&Writes{ctx: ctx, tx: tx}) })
}

// EnqueueMail is Ledger.EnqueueMail within w.
func (w *Writes) EnqueueMail(ms ...Mail) error { return insertMails(w.ctx, w.tx, ms) }
