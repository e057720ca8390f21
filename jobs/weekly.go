package jobs

import (
	"context"
	"sort"
	"time"

	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/mailer"
	"github.com/s2sd/s2sd/routing"
)

// WeeklyReminders sends each mailbox the list of files awaiting collection
// in its inbox, and each LA the list for its schools. A second run in the
// same week sends nothing again: the notices carry a dedupe key.
func (j *Jobs) WeeklyReminders(ctx context.Context, now time.Time) (int, error) {
	ts, err := j.ledger.TransfersBefore(ctx, ledger.StateAwaiting, now)
	if err != nil {
		return 0, err
	}
	byDest := make(map[string][]mailer.WaitingFile)
	byLA := make(map[string][]mailer.WaitingFile)
	for _, t := range ts {
		if t.Dest == routing.CodeLostUnknown || t.Dest == routing.CodeLostLeft {
			continue
		}
		f := mailer.WaitingFile{Name: t.Name, From: j.party(ctx, t.Sender), To: j.party(ctx, t.Dest), Uploaded: t.UploadedAt}
		byDest[t.Dest] = append(byDest[t.Dest], f)
		if la := routing.LACode(t.DestLA); t.DestLA != "" && la != t.Dest {
			byLA[la] = append(byLA[la], f)
		}
	}
	var out []mailer.Message
	for _, code := range sortedKeys(byDest) {
		out = append(out, mailer.WeeklyReminder(mailer.WeeklyReminderNotice{
			To: j.addresses(ctx, code), Mailbox: j.party(ctx, code), Week: now, Files: byDest[code],
		}))
	}
	for _, code := range sortedKeys(byLA) {
		out = append(out, mailer.WeeklyLAReminder(mailer.WeeklyLAReminderNotice{
			To: j.addresses(ctx, code), LA: j.party(ctx, code), Week: now, Files: byLA[code],
		}))
	}
	ms := mails(now, out...)
	if len(ms) == 0 {
		return 0, nil
	}
	if err := j.ledger.EnqueueMail(ctx, ms...); err != nil {
		return 0, err
	}
	j.kick()
	return len(ms), nil
}

func sortedKeys(m map[string][]mailer.WaitingFile) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
