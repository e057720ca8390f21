package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/s2sd/s2sd/delivery"
	"github.com/s2sd/s2sd/jobs"
	"github.com/s2sd/s2sd/ledger"
)

// TransfersCmd groups the transfer commands.
type TransfersCmd struct {
	List     TransfersListCmd     `cmd:"" help:"List transfers, newest first."`
	Withdraw TransfersWithdrawCmd `cmd:"" help:"Withdraw an uncollected transfer from its destination and tell the sender."`
}

// TransfersWithdrawCmd withdraws a transfer.
type TransfersWithdrawCmd struct {
	ID int64  `arg:"" help:"The transfer's id, from \"s2sd transfers list\"."`
	LA string `placeholder:"NNN" help:"Withdraw on behalf of this LA: the transfer must be from or to one of its schools."`
}

// Run withdraws the transfer.
func (c *TransfersWithdrawCmd) Run(ctx context.Context, g *Globals) error {
	led, cfg, err := g.openLedger(ctx)
	if err != nil {
		return err
	}
	defer led.Close()
	j := jobs.New(cfg.Retention, cfg.Data, led, zerolog.Nop(), nil)
	if err := j.Withdraw(ctx, c.ID, "admin", c.LA, time.Now()); err != nil {
		if errors.Is(err, ledger.ErrNotFound) {
			return fmt.Errorf("transfer %d does not exist: see \"s2sd transfers list\"", c.ID)
		}
		return err
	}
	if err := audit(ctx, led, "", fmt.Sprint(c.ID), "transfer withdrawn"); err != nil {
		return err
	}
	fmt.Fprintf(g.Stdout, "withdrew transfer %d; its sender is told\n", c.ID)
	return nil
}

// TransfersListCmd lists transfers.
type TransfersListCmd struct {
	Mailbox string `placeholder:"CODE" help:"Only transfers sent from or to this mailbox."`
	State   string `enum:",awaiting,collected,rejected,withdrawn,expired" default:"" help:"Only transfers in this state: awaiting, collected, rejected, withdrawn or expired."`
	FormatFlag
}

// Run lists the transfers.
func (c *TransfersListCmd) Run(ctx context.Context, g *Globals) error {
	led, _, err := g.openLedger(ctx)
	if err != nil {
		return err
	}
	defer led.Close()
	ts, err := led.Transfers(ctx, ledger.TransferFilter{Mailbox: strings.ToUpper(c.Mailbox), State: c.State})
	if err != nil {
		return err
	}
	l := listing{columns: []string{"id", "name", "kind", "sender", "sender_user", "addressed_to", "destination",
		"size", "sha256", "pupils", "uploaded", "state", "state_changed", "state_by", "warnings"}}
	for _, t := range ts {
		l.rows = append(l.rows, []any{t.ID, t.Name, t.Kind, t.Sender, t.SenderLogin, t.Addressed, t.Dest,
			t.Size, t.SHA256, t.Pupils, t.UploadedAt, t.State, t.StateAt, t.StateBy, len(t.Warnings)})
	}
	return l.write(g.Stdout, c.Format)
}

// VerifyCmd compares the ledger with the files on disk.
type VerifyCmd struct{}

// Run prints every difference and fails if there is any.
func (c *VerifyCmd) Run(ctx context.Context, g *Globals) error {
	led, cfg, err := g.openLedger(ctx)
	if err != nil {
		return err
	}
	defer led.Close()
	diffs, err := delivery.Verify(ctx, cfg.Data, led, cfg.SFTP.TempSuffixes)
	if err != nil {
		return err
	}
	for _, d := range diffs {
		fmt.Fprintln(g.Stdout, d)
	}
	if len(diffs) > 0 {
		return fmt.Errorf("verify: %d difference(s) between the ledger and the files on disk", len(diffs))
	}
	fmt.Fprintln(g.Stdout, "verify: the ledger and the files on disk agree")
	return nil
}
