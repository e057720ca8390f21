package daemon

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/rs/zerolog"

	"github.com/s2sd/s2sd/delivery"
	"github.com/s2sd/s2sd/jobs"
	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/reports"
	"github.com/s2sd/s2sd/routing"
	"github.com/s2sd/s2sd/sftpd"
)

// hooks adapts the router to the SFTP server's checker and events.
type hooks struct {
	router *delivery.Router
	routes *routeTimer // times routing from acknowledgement; may be nil
	log    zerolog.Logger
}

var (
	_ sftpd.UploadChecker = hooks{}
	_ sftpd.Events        = hooks{}
)

func sender(who sftpd.Identity) delivery.Sender {
	return delivery.Sender{Login: who.Login, Mailbox: who.Mailbox, Role: routing.Role(who.Role), Remote: who.Remote}
}

func (h hooks) CheckUpload(who sftpd.Identity, name string) (int64, error) {
	return h.router.CheckUpload(context.Background(), sender(who), name)
}

func (h hooks) Acknowledging(who sftpd.Identity, box, name string, carried bool) {
	h.router.ExpectStaged(box, name, sender(who), carried)
}

func (h hooks) Acknowledged(who sftpd.Identity, box, name string, ok bool) {
	if !ok {
		h.router.Forget(box, name)
		return
	}
	if h.routes != nil {
		h.routes.acknowledged(box, name)
	}
	h.router.Submit(box, name)
}

func (h hooks) Downloaded(who sftpd.Identity, box, folder, name string, complete bool) {
	if err := h.router.Downloaded(context.Background(), sender(who), box, folder, name, complete); err != nil {
		h.log.Error().Err(err).Str("file", name).Msg("recording a download failed")
	}
}

func (h hooks) Removing(who sftpd.Identity, box, folder, name string) error {
	return h.router.Removing(context.Background(), sender(who), box, folder, name)
}

var _ sftpd.LostPupils = hooks{}

func lostEntries(files []delivery.LostFile) []sftpd.LostEntry {
	out := make([]sftpd.LostEntry, len(files))
	for i, f := range files {
		out[i] = sftpd.LostEntry{ID: f.ID, Name: f.Name, Size: f.Size, Uploaded: f.Record.UploadedAt}
	}
	return out
}

func (h hooks) Search(who sftpd.Identity, query string) ([]sftpd.LostEntry, []byte, error) {
	files, err := h.router.LostSearch(context.Background(), sender(who), query)
	if err != nil {
		return nil, nil, err
	}
	return lostEntries(files), delivery.LostResultsCSV(files), nil
}

func (h hooks) Claimed(who sftpd.Identity) ([]sftpd.LostEntry, error) {
	files, err := h.router.LostClaimed(context.Background(), sender(who))
	return lostEntries(files), err
}

func (h hooks) Claim(who sftpd.Identity, query string, id int64) error {
	return h.router.LostClaim(context.Background(), sender(who), query, id)
}

func (h hooks) Open(who sftpd.Identity, id int64) (*os.File, error) {
	return h.router.LostOpen(context.Background(), sender(who), id)
}

func (h hooks) Forward(who sftpd.Identity, id int64, name string) error {
	return h.router.LostForward(context.Background(), sender(who), id, name)
}

func (h hooks) CheckMatch(who sftpd.Identity, name string) (int64, error) {
	return h.router.CheckMatch(sender(who), name)
}

func (h hooks) Match(who sftpd.Identity, name, staged string) error {
	return h.router.Match(context.Background(), sender(who), name, staged)
}

func (h hooks) MatchFiles(who sftpd.Identity) ([]sftpd.LostEntry, error) {
	files, err := h.router.MatchFiles(sender(who))
	out := make([]sftpd.LostEntry, len(files))
	for i, f := range files {
		out[i] = sftpd.LostEntry{Name: f.Name, Size: f.Size, Uploaded: f.ModTime}
	}
	return out, err
}

func (h hooks) MatchOpen(who sftpd.Identity, name string) (*os.File, error) {
	return h.router.MatchOpen(sender(who), name)
}

func (h hooks) MatchRemove(who sftpd.Identity, name string) error {
	return h.router.MatchRemove(sender(who), name)
}

// reportHooks adapts the report service to the SFTP server's /reports.
type reportHooks struct {
	reports *reports.Service
	log     zerolog.Logger
}

var _ sftpd.Reports = reportHooks{}

// newReportHooks serves the reports of the ledger l, on the wall clock.
func newReportHooks(l *ledger.Ledger, log zerolog.Logger) reportHooks {
	return reportHooks{reports: reports.New(l, nil), log: log.With().Str("component", "reports").Logger()}
}

func viewer(who sftpd.Identity) reports.Viewer {
	return reports.Viewer{Role: routing.Role(who.Role), Mailbox: who.Mailbox}
}

func (h reportHooks) Names(who sftpd.Identity) []string { return h.reports.Names(viewer(who)) }

// Generate makes a report. A refusal (no such report, a bad period) is
// shown to the user as it is; a ledger error is logged and shown as a
// plain failure.
func (h reportHooks) Generate(who sftpd.Identity, name, period string) ([]byte, error) {
	b, err := h.reports.Generate(context.Background(), viewer(who), name, period)
	if err != nil && !errors.Is(err, reports.ErrNoReport) && !errors.Is(err, reports.ErrPeriod) {
		h.log.Error().Err(err).Str("report", name).Str("period", period).Str("user", who.Login).Msg("making a report failed")
		return nil, errors.New("the report could not be made: try again, and contact the service desk if it persists")
	}
	return b, err
}

// withdrawals adapts the jobs' withdrawal to sftpd's /withdraw/.
type withdrawals struct {
	ledger *ledger.Ledger
	jobs   *jobs.Jobs
}

var _ sftpd.Withdrawals = withdrawals{}

func (w withdrawals) Withdrawable(who sftpd.Identity) ([]sftpd.WithdrawEntry, error) {
	ts, err := w.ledger.Withdrawable(context.Background(), who.Mailbox[:3])
	if err != nil {
		return nil, err
	}
	out := make([]sftpd.WithdrawEntry, 0, len(ts))
	for _, t := range ts {
		if t.Dest == routing.CodeLostUnknown || t.Dest == routing.CodeLostLeft {
			continue
		}
		out = append(out, sftpd.WithdrawEntry{ID: t.ID, Name: t.Name, Size: t.Size, Uploaded: t.UploadedAt})
	}
	return out, nil
}

func (w withdrawals) Withdraw(who sftpd.Identity, id int64) error {
	return w.jobs.Withdraw(context.Background(), id, who.Login, who.Mailbox[:3], time.Now())
}
