package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/mailer"
	"github.com/s2sd/s2sd/routing"
)

// Withdraw removes an uncollected transfer from its destination, e.g. so
// that its sender's LA can send it elsewhere, and tells the sender. la,
// if not empty, is the LA number of the withdrawing LA user: the transfer
// must have been sent by or to one of its schools.
func (j *Jobs) Withdraw(ctx context.Context, id int64, by, la string, now time.Time) error {
	t, err := j.ledger.Transfer(ctx, id)
	if err != nil {
		return err
	}
	if la != "" && t.SenderLA != la && t.DestLA != la {
		return fmt.Errorf("transfer %d was neither sent by nor to a school of LA %s", id, la)
	}
	if t.State != ledger.StateAwaiting || !t.RemovedAt.IsZero() {
		return fmt.Errorf("transfer %d is %s, not awaiting collection: only an uncollected transfer can be withdrawn", id, t.State)
	}
	if err := j.removeFiles(ctx, t); err != nil {
		return err
	}
	byParty := mailer.Party{Code: by}
	if la != "" {
		byParty = j.party(ctx, routing.LACode(la))
	}
	notice := mailer.Withdrawn(mailer.WithdrawnNotice{
		To: j.addresses(ctx, t.Sender), Sender: j.party(ctx, t.Sender), Dest: j.party(ctx, t.Dest),
		By: byParty, FileName: t.Name, At: now,
	})
	live, err := j.ledger.Retire(ctx, id, ledger.StateWithdrawn, ledger.StateWithdrawn, by, mails(now, notice), now)
	if err != nil {
		return err
	}
	if !live {
		return fmt.Errorf("transfer %d was collected or removed meanwhile", id)
	}
	j.kick()
	return nil
}
