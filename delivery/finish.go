package delivery

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/routing"
)

// finish records a carried-out plan in the ledger.
func (r *Router) finish(ctx context.Context, lk *lookups, up ledger.Upload, p plan) error {
	now := r.cfg.Now()
	if p.Reject {
		if err := r.ledger.FinishRejected(ctx, up.ID, r.event(up, ledger.EventRejected, strings.Join(p.Reasons, "; ")),
			r.rejectedNotices(ctx, lk, up, p), now); err != nil {
			return err
		}
		r.kick()
		r.routed(up.Box, up.Name, OutcomeRejected)
		r.log.Info().Str("mailbox", up.Box).Str("file", up.Name).Int("reasons", len(p.Reasons)).Msg("upload rejected")
		return nil
	}
	t := ledger.Transfer{
		Name: up.Name, Kind: p.Kind, Sender: p.Sender, SenderLA: p.SenderLA, SenderLogin: up.Login,
		Addressed: p.Addressed, Dest: p.Dest, DestLA: p.DestLA, Size: up.Size, SHA256: up.SHA256,
		Pupils: p.Pupils, Warnings: p.Warnings, UploadedAt: up.ReceivedAt, Path: p.DestPath,
	}
	var lost *ledger.LostPupil
	if p.Lost {
		lp, err := r.lostRecord(ctx, lk, up, p)
		if err != nil {
			return err
		}
		lost = &lp
	}
	detail := "transfer={transfer} dest=" + p.Dest
	if p.Dest != p.Addressed {
		detail += " redirected-from=" + p.Addressed
	}
	id, err := r.ledger.FinishRouted(ctx, up.ID, t, p.Copies, lost, r.event(up, ledger.EventRouted, detail),
		r.routedNotices(ctx, lk, up, p), now)
	if err != nil {
		return err
	}
	r.kick()
	r.routed(up.Box, up.Name, OutcomeRouted)
	r.log.Info().Str("mailbox", up.Box).Str("file", up.Name).Int64("transfer", id).Str("dest", p.Dest).
		Dur("latency", now.Sub(up.ReceivedAt)).Msg("upload routed")
	return nil
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
