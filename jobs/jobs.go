// Package jobs runs s2sd's scheduled work: the weekly reminders and every
// retention rule of SPEC section 5, and the withdrawal of transfers. Each
// job is a function of the time it is given, so tests run months of
// schedule against an injected clock without sleeping; the Scheduler only
// decides when to call them.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/rs/zerolog"

	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/mailer"
	"github.com/s2sd/s2sd/routing"
)

// Rules are the retention periods.
type Rules struct {
	// UncollectedMonths: an uncollected transfer expires this many
	// calendar months after upload, and its file is deleted.
	UncollectedMonths int `toml:"uncollected_months"`
	// CollectedDays: a collected transfer's file is purged this many days
	// after collection.
	CollectedDays int `toml:"collected_days"`
	// RejectedDays: a rejected upload and its note are deleted this many
	// days after rejection.
	RejectedDays int `toml:"rejected_days"`
	// LostNoticeDays: the uploading LA is told this many days before its
	// Lost Pupil Database records pass compulsory school age.
	LostNoticeDays int `toml:"lost_notice_days"`
	// MetadataYears: ledger rows without pupil data are kept for reports
	// this many years.
	MetadataYears int `toml:"metadata_years"`
	// MessageDays: secure messages are deleted, for sender and
	// recipients alike, this many days after they were sent.
	MessageDays int `toml:"message_days"`
}

// DefaultRules are SPEC section 5's.
func DefaultRules() Rules {
	return Rules{UncollectedMonths: 2, CollectedDays: 14, RejectedDays: 14, LostNoticeDays: 30, MetadataYears: 6, MessageDays: 31}
}

// Validate names the rule that is wrong.
func (r Rules) Validate() error {
	for _, f := range []struct {
		key string
		v   int
	}{{"uncollected_months", r.UncollectedMonths}, {"collected_days", r.CollectedDays},
		{"rejected_days", r.RejectedDays}, {"lost_notice_days", r.LostNoticeDays}, {"metadata_years", r.MetadataYears},
		{"message_days", r.MessageDays}} {
		if f.v <= 0 {
			return fmt.Errorf("config: retention.%s: must be greater than zero", f.key)
		}
	}
	return nil
}

// Jobs does the scheduled work on one data directory.
type Jobs struct {
	rules  Rules
	data   string
	ledger *ledger.Ledger
	log    zerolog.Logger
	kick   func() // wakes the mail worker; may be nil

	metrics Metrics // may be nil
}

// New returns the jobs for a data directory.
func New(rules Rules, data string, l *ledger.Ledger, log zerolog.Logger, kick func()) *Jobs {
	if kick == nil {
		kick = func() {}
	}
	return &Jobs{rules: rules, data: data, ledger: l, log: log, kick: kick}
}

// remove deletes a data-relative file; one already gone is fine.
func (j *Jobs) remove(rel string) error {
	err := os.Remove(filepath.Join(j.data, rel))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// party names a mailbox code for a notice.
func (j *Jobs) party(ctx context.Context, code string) mailer.Party {
	switch code {
	case routing.CodeLostUnknown, routing.CodeLostLeft:
		return mailer.Party{Code: code, Name: "Lost Pupil Database"}
	}
	if m, err := j.ledger.Mailbox(ctx, code); err == nil {
		return mailer.Party{Code: code, Name: m.Name}
	}
	return mailer.Party{Code: code}
}

// addresses are the contacts and users of the given mailboxes.
func (j *Jobs) addresses(ctx context.Context, codes ...string) []string {
	var out []string
	for _, c := range codes {
		to, _ := j.ledger.MailboxAddresses(ctx, c)
		for _, a := range to {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out
}

// mails keeps the notices that have someone to tell.
func mails(now time.Time, ms ...mailer.Message) []ledger.Mail {
	var keep []mailer.Message
	for _, m := range ms {
		if len(m.To) > 0 {
			keep = append(keep, m)
		}
	}
	return mailer.Mails(now, keep...)
}
