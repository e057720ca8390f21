package delivery

import (
	"context"
	"errors"

	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/spool"
)

// Downloaded records a read of a file in a mailbox folder. A complete read
// of a file in /inbox collects its transfer the first time.
func (r *Router) Downloaded(ctx context.Context, who Sender, box, folder, name string, complete bool) error {
	if folder != spool.Inbox || !complete {
		return nil
	}
	t, err := r.ledger.TransferAt(ctx, spoolRel(box, folder, name))
	if errors.Is(err, ledger.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	collected, err := r.ledger.Downloaded(ctx, t.ID, who.Login, who.Remote, r.collectedNotices(ctx, t), r.cfg.Now())
	if err == nil && collected {
		r.kick()
		r.log.Info().Int64("transfer", t.ID).Str("user", who.Login).Msg("transfer collected")
	}
	return err
}

// Removing records, before the file goes, that a user deletes a file from
// a mailbox folder: an uncollected transfer in /inbox becomes rejected,
// and an LA's copy is marked removed.
func (r *Router) Removing(ctx context.Context, who Sender, box, folder, name string) error {
	rel := spoolRel(box, folder, name)
	switch folder {
	case spool.Inbox:
		t, err := r.ledger.TransferAt(ctx, rel)
		if errors.Is(err, ledger.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		var notices []ledger.Mail
		if t.State == ledger.StateAwaiting {
			notices = r.rejectedByRecipientNotices(ctx, t)
		}
		rejected, err := r.ledger.Removed(ctx, t.ID, who.Login, who.Remote, notices, r.cfg.Now())
		if err == nil && rejected {
			r.kick()
			r.log.Info().Int64("transfer", t.ID).Str("user", who.Login).Msg("transfer rejected by the recipient")
		}
		return err
	case spool.Copies:
		return r.ledger.CopyRemoved(ctx, rel, r.cfg.Now())
	}
	return nil
}
