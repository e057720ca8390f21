package delivery

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/routing"
)

// finishAll records a batch's carried-out plans in one transaction,
// with their notices gathered per recipient (notices). If that fails,
// each is recorded alone with its own notices, so that one file's
// failure holds back no other.
func (r *Router) finishAll(ctx context.Context, lk *lookups, jobs []*job) {
	var todo []*job
	for _, j := range jobs {
		if j.err == nil && !j.done {
			todo = append(todo, j)
		}
	}
	if len(todo) == 0 {
		return
	}
	err := r.finish(ctx, lk, todo)
	if err == nil {
		return
	}
	if len(todo) == 1 {
		todo[0].err = err
		return
	}
	r.log.Warn().Err(err).Int("files", len(todo)).Msg("recording a routing batch's outcomes failed; recording each alone")
	for _, j := range todo {
		if err := r.finish(ctx, lk, []*job{j}); err != nil {
			j.err = err
		}
	}
}

// outcome is what finish records for one job.
type outcome struct {
	j       *job
	t       ledger.Transfer
	lost    *ledger.LostPupil
	event   ledger.Event
	notices []ledger.Mail // a rejection's
}

// finish records the outcomes of jobs, whose plans are carried out, in
// one transaction. A job whose outcome cannot be made gets its err and is
// left out; the error returned is the transaction's.
func (r *Router) finish(ctx context.Context, lk *lookups, jobs []*job) error {
	now := r.cfg.Now()
	var outs []outcome
	var n notices
	for _, j := range jobs {
		up, p := j.up, j.p
		if p.Reject {
			outs = append(outs, outcome{j: j, event: r.event(up, ledger.EventRejected, strings.Join(p.Reasons, "; ")),
				notices: r.rejectedNotices(ctx, lk, up, p)})
			continue
		}
		o := outcome{j: j, t: ledger.Transfer{
			Name: up.Name, Kind: p.Kind, Sender: p.Sender, SenderLA: p.SenderLA, SenderLogin: up.Login,
			Addressed: p.Addressed, Dest: p.Dest, DestLA: p.DestLA, Size: up.Size, SHA256: up.SHA256,
			Pupils: p.Pupils, Warnings: p.Warnings, UploadedAt: up.ReceivedAt, Path: p.DestPath,
		}}
		if p.Lost {
			lp, err := r.lostRecord(ctx, lk, up, p)
			if err != nil {
				j.err = err
				continue
			}
			o.lost = &lp
		}
		detail := "transfer={transfer} dest=" + p.Dest
		if p.Dest != p.Addressed {
			detail += " redirected-from=" + p.Addressed
		}
		o.event = r.event(up, ledger.EventRouted, detail)
		n.add(r.routedNotices(ctx, lk, up, p))
		outs = append(outs, o)
	}
	if len(outs) == 0 {
		return nil
	}
	ids := make([]int64, len(outs))
	var routed []ledger.Transfer
	for _, o := range outs {
		if !o.j.p.Reject {
			routed = append(routed, o.t)
		}
	}
	mails := r.mails(n.messages()...)
	err := r.waits.record(routed, func() error { return r.recordOutcomes(ctx, outs, ids, mails, now) })
	if err != nil {
		return err
	}
	if err := r.waits.refresh(ctx, r.ledger); err != nil {
		r.log.Error().Err(err).Msg("reading the transfers still waiting again")
	}
	r.kick()
	for i, o := range outs {
		up, p := o.j.up, o.j.p
		if p.Reject {
			r.routed(up.Box, up.Name, OutcomeRejected)
			r.log.Info().Str("mailbox", up.Box).Str("file", up.Name).Int("reasons", len(p.Reasons)).Msg("upload rejected")
			continue
		}
		r.routed(up.Box, up.Name, OutcomeRouted)
		r.log.Info().Str("mailbox", up.Box).Str("file", up.Name).Int64("transfer", ids[i]).Str("dest", p.Dest).
			Dur("latency", now.Sub(up.ReceivedAt)).Msg("upload routed")
	}
	return nil
}

// recordOutcomes records outs and the batch's notices in one
// transaction, and each routed file's transfer id in ids.
func (r *Router) recordOutcomes(ctx context.Context, outs []outcome, ids []int64, mails []ledger.Mail, now time.Time) error {
	return r.ledger.Write(ctx, func(w *ledger.Writes) error {
		for i, o := range outs {
			var err error
			if o.j.p.Reject {
				err = w.FinishRejected(o.j.up.ID, o.event, o.notices, now)
			} else {
				ids[i], err = w.FinishRouted(o.j.up.ID, o.t, o.j.p.Copies, o.lost, o.event, nil, now)
			}
			if err != nil {
				return fmt.Errorf("%s/%s: %w", o.j.up.Box, o.j.up.Name, err)
			}
		}
		return w.EnqueueMail(mails...)
	})
}

// lostRecord reads the pupil fields for the Lost Pupil Database from the
// stored file, which validation has already accepted.
func (r *Router) lostRecord(ctx context.Context, lk *lookups, up ledger.Upload, p plan) (ledger.LostPupil, error) {
	f, err := os.Open(r.cfg.abs(p.DestPath))
	if err != nil {
		return ledger.LostPupil{}, err
	}
	defer f.Close()
	info, err := routing.ReadCTF(f, routing.CTFOptions{MaxSize: r.cfg.Limits.CTFMax})
	if err != nil || len(info.Pupils) != 1 {
		return ledger.LostPupil{}, fmt.Errorf("lost pupil file %s no longer reads as one pupil: %v", p.DestPath, err)
	}
	pu := info.Pupils[0]
	gender := pu.Gender
	if gender == "" {
		gender = pu.Sex
	}
	school := ""
	if m, err := lk.mailbox(ctx, p.Sender); err == nil {
		school = m.Name
	}
	t := strings.TrimSpace
	return ledger.LostPupil{
		UPN: t(pu.UPN), FormerUPN: t(pu.FormerUPN), Surname: t(pu.Surname), FormerSurname: t(pu.FormerSurname),
		Forename: t(pu.Forename), MiddleNames: t(pu.MiddleNames), DOB: t(pu.DOB), Gender: strings.ToUpper(t(gender)),
		Town: t(pu.Town), Postcode: t(pu.Postcode), LA: p.SenderLA, School: p.Sender, SchoolName: school,
		UploadedAt: up.ReceivedAt, Via: p.Addressed, State: "lost", Path: p.DestPath,
	}, nil
}

// event is the audit record of a routing decision.
func (r *Router) event(up ledger.Upload, event, detail string) ledger.Event {
	return ledger.Event{At: r.cfg.Now(), Event: event, Login: up.Login, Mailbox: up.Box,
		Remote: up.Remote, Object: up.Name, Detail: detail}
}
