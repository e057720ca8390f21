package jobs

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/s2sd/s2sd/delivery"
	"github.com/s2sd/s2sd/internal/ctftest"
	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/routing"
)

// site is a data directory with a real ledger and router, and a clock
// the test moves.
type site struct {
	t      *testing.T
	data   string
	ledger *ledger.Ledger
	router *delivery.Router
	jobs   *Jobs
	now    time.Time
}

func newSite(t *testing.T, start time.Time) *site {
	t.Helper()
	data := t.TempDir()
	l, err := ledger.Open(context.Background(), filepath.Join(data, "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	s := &site{t: t, data: data, ledger: l, now: start}
	las, _ := routing.NewLANumbers(routing.DefaultLANumbers())
	s.router = delivery.New(delivery.Config{Data: data, LANumbers: las, Limits: routing.DefaultLimits(),
		Now: func() time.Time { return s.now }}, l, zerolog.Nop())
	s.jobs = New(DefaultRules(), data, l, zerolog.Nop(), nil)
	for _, m := range []ledger.Mailbox{
		{Code: "823LLLL", Name: "Central Beds", Kind: "la", LA: "823", Copies: true, Email: "la@cbc.example.gov.uk"},
		{Code: "8231234", Name: "Ampthill", Kind: "school", LA: "823", Email: "office@ampthill.example.sch.uk"},
		{Code: "8232345", Name: "Biggleswade", Kind: "school", LA: "823", Email: "office@biggleswade.example.sch.uk"},
	} {
		if err := l.AddMailbox(context.Background(), m, start); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// send routes a file from 8231234 at the site's current time.
func (s *site) send(name, content string) {
	s.t.Helper()
	outbox := filepath.Join(s.data, "spool", "8231234", "outbox")
	os.MkdirAll(outbox, 0o700)
	os.WriteFile(filepath.Join(outbox, name), []byte(content), 0o600)
	s.router.Start(context.Background())
	s.router.Expect("8231234", name, delivery.Sender{Login: "ampthill", Mailbox: "8231234", Role: routing.RoleSchool})
	s.router.Submit("8231234", name)
	s.router.Wait()
	s.router.Close()
}

func (s *site) exists(rel ...string) bool {
	_, err := os.Lstat(filepath.Join(append([]string{s.data}, rel...)...))
	return err == nil
}

func (s *site) transfer(name string) ledger.Transfer {
	s.t.Helper()
	ts, _ := s.ledger.Transfers(context.Background(), ledger.TransferFilter{})
	for _, t := range ts {
		if t.Name == name {
			return t
		}
	}
	s.t.Fatalf("no transfer %s", name)
	return ledger.Transfer{}
}

func (s *site) mailKinds() []string {
	ms, _ := s.ledger.Mails(context.Background(), ledger.MailFilter{})
	var out []string
	for _, m := range ms {
		if m.Kind != "confirmation" && m.Kind != "file-waiting" && m.Kind != "collected" && m.Kind != "validation-failed" {
			out = append(out, m.Kind+" "+strings.Join(m.To, ","))
		}
	}
	return out
}

// TestRetentionOverMonths runs the retention job daily from September to
// the next July against an injected clock, and checks that each rule acts
// on the day it should, once, and touches nothing else.
func TestRetentionOverMonths(t *testing.T) {
	t0 := time.Date(2026, 9, 1, 10, 0, 0, 0, time.UTC)
	s := newSite(t, t0)
	ctx := context.Background()
	ctf := func(seq int) (string, string) {
		return "8231234_CTF_8232345_00" + string(rune('0'+seq)) + ".XML",
			ctftest.CTF(ctftest.Options{SourceLEA: "823", SourceEstab: "1234", DestLEA: "823", DestEstab: "2345", Serial: seq})
	}
	uncollected, a := ctf(1)
	s.send(uncollected, a)
	collected, b := ctf(2)
	s.send(collected, b)
	rejected := "8231234_CTF_8232345_003.XML"
	s.send(rejected, "<CTfile/>")
	lost := "8231234_CTF_XXXXXXX_001.XML"
	s.send(lost, strings.Replace(ctftest.Between("8231234", "XXXXXXX"), "<DOB>2015-01-10</DOB>", "<DOB>2010-09-05</DOB>", 1))

	s.now = t0.AddDate(0, 0, 1) // collected the next day
	who := delivery.Sender{Login: "biggleswade", Mailbox: "8232345", Role: routing.RoleSchool}
	s.router.Downloaded(ctx, who, "8232345", "inbox", collected, true)

	s.now = t0.AddDate(0, 0, 20) // a later file, still within its time at the end
	later, c := ctf(4)
	s.send(later, c)

	events := map[string]time.Time{}
	mark := func(what string, day time.Time) {
		if _, ok := events[what]; !ok {
			events[what] = day
		}
	}
	for day := t0.AddDate(0, 0, 1); day.Before(time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC)); day = day.AddDate(0, 0, 1) {
		s.now = day
		r, err := s.jobs.Retention(ctx, day)
		if err != nil {
			t.Fatalf("%s: %v", day.Format(time.DateOnly), err)
		}
		if r.Expired > 0 {
			mark("expired", day)
		}
		if r.Purged > 0 {
			mark("purged", day)
		}
		if r.RejectedDeleted > 0 {
			mark("rejected deleted", day)
		}
		if r.LostNotices > 0 {
			mark("lost notice", day)
		}
		if r.LostRemoved > 0 {
			mark("lost removed", day)
		}
		if day.Equal(t0.AddDate(0, 2, 0).Add(-24 * time.Hour)) {
			if s.transfer(uncollected).State != ledger.StateAwaiting || !s.exists("spool", "8232345", "inbox", uncollected) {
				t.Fatal("the uncollected file expired a day early")
			}
		}
	}
	want := map[string]string{
		"purged":           "2026-09-17", // collected 09-02 10:00; more than 14 days on at the 10:00 run
		"rejected deleted": "2026-09-16", // rejected 09-01, 14 days on, at 10:00 next day's run
		"expired":          "2026-11-02", // uploaded 09-01 10:00: 2 months on, at the next daily run
		"lost notice":      "2027-05-26", // compulsory school age ends Fri 2027-06-25; 30 days ahead
		"lost removed":     "2027-06-25",
	}
	for what, w := range want {
		if got := events[what].Format(time.DateOnly); got != w {
			t.Errorf("%s on %s, want %s", what, got, w)
		}
	}
	if tr := s.transfer(uncollected); tr.State != ledger.StateExpired || tr.RemovedAt.IsZero() ||
		s.exists("spool", "8232345", "inbox", uncollected) || s.exists("spool", "823LLLL", "copies", uncollected) {
		t.Errorf("expired transfer %+v, files left behind", tr)
	}
	if tr := s.transfer(collected); tr.State != ledger.StateCollected || tr.RemovedAt.IsZero() || s.exists("spool", "8232345", "inbox", collected) {
		t.Errorf("purged transfer %+v", tr)
	}
	if s.exists("spool", "8231234", "rejected", rejected) || s.exists("spool", "8231234", "rejected", rejected+".txt") {
		t.Error("rejected upload or its note left behind")
	}
	if tr := s.transfer(later); tr.State != ledger.StateExpired {
		t.Errorf("the later transfer is %s by July, want expired", tr.State)
	}
	lp, _ := s.ledger.LostPupils(ctx)
	if len(lp) != 1 || lp[0].State != "removed" || s.exists(lp[0].Path) {
		t.Errorf("lost pupil record %v", lp)
	}
	gotMail := s.mailKinds()
	wantMail := []string{
		"expired office@ampthill.example.sch.uk,la@cbc.example.gov.uk",
		"expired office@ampthill.example.sch.uk,la@cbc.example.gov.uk",
		"lost-pupils-leaving la@cbc.example.gov.uk",
	}
	if !slices.Equal(gotMail, wantMail) {
		t.Errorf("notices:\n%s\nwant:\n%s", strings.Join(gotMail, "\n"), strings.Join(wantMail, "\n"))
	}
	if diffs, _ := delivery.Verify(ctx, s.data, s.ledger, nil); len(diffs) != 0 {
		t.Errorf("verify after retention: %v", diffs)
	}

	// Six years on, the metadata goes too: the three transfers of
	// 1 September, not the later one.
	r, err := s.jobs.Retention(ctx, t0.AddDate(6, 0, 1))
	if err != nil || r.MetadataPurged != 3 {
		t.Fatalf("metadata purge: %+v, %v", r, err)
	}
	if ts, _ := s.ledger.Transfers(ctx, ledger.TransferFilter{}); len(ts) != 1 || ts[0].Name != later {
		t.Fatalf("transfers left after 6 years: %+v", ts)
	}
}

func TestWeeklyRemindersOncePerWeek(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	s := newSite(t, t0)
	ctx := context.Background()
	s.send("8231234_CTF_8232345_001.XML", ctftest.Between("8231234", "8232345"))
	monday := time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC)
	for range 2 { // a rerun the same Monday sends nothing more
		if _, err := s.jobs.WeeklyReminders(ctx, monday); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"weekly office@biggleswade.example.sch.uk", "weekly-la la@cbc.example.gov.uk"}
	if got := s.mailKinds(); !slices.Equal(got, want) {
		t.Fatalf("reminders %q, want %q", got, want)
	}
	s.jobs.WeeklyReminders(ctx, monday.AddDate(0, 0, 7))
	if got := s.mailKinds(); len(got) != 4 {
		t.Fatalf("second week: %q", got)
	}
}

func TestWithdraw(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	s := newSite(t, t0)
	ctx := context.Background()
	name := "8231234_CTF_8232345_001.XML"
	s.send(name, ctftest.Between("8231234", "8232345"))
	id := s.transfer(name).ID
	if err := s.jobs.Withdraw(ctx, id, "officer", "660", t0); err == nil ||
		err.Error() != "transfer 1 was neither sent by nor to a school of LA 660" {
		t.Fatalf("another LA: %v", err)
	}
	if err := s.jobs.Withdraw(ctx, id, "officer", "823", t0); err != nil {
		t.Fatal(err)
	}
	if tr := s.transfer(name); tr.State != ledger.StateWithdrawn || tr.StateBy != "officer" || s.exists("spool", "8232345", "inbox", name) {
		t.Fatalf("withdrawn %+v", tr)
	}
	if got := s.mailKinds(); !slices.Equal(got, []string{"withdrawn office@ampthill.example.sch.uk"}) {
		t.Fatalf("notices %q", got)
	}
	if err := s.jobs.Withdraw(ctx, id, "officer", "823", t0); err == nil ||
		err.Error() != "transfer 1 is withdrawn, not awaiting collection: only an uncollected transfer can be withdrawn" {
		t.Fatalf("second withdrawal: %v", err)
	}
}

func TestMatchFilesDeleted(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	s := newSite(t, now)
	dir := filepath.Join(s.data, "spool", "823LLLL", "lostmatch")
	os.MkdirAll(dir, 0o700)
	for name, age := range map[string]time.Duration{"old.csv": 15 * 24 * time.Hour, "old.results.csv": 15 * 24 * time.Hour, "new.csv": 13 * 24 * time.Hour} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte("upn,surname\n"), 0o600)
		os.Chtimes(p, now.Add(-age), now.Add(-age))
	}
	r, err := s.jobs.Retention(context.Background(), now)
	if err != nil || r.MatchFilesDeleted != 2 {
		t.Fatalf("retention: %+v, %v", r, err)
	}
	if got, _ := os.ReadDir(dir); len(got) != 1 || got[0].Name() != "new.csv" {
		t.Fatalf("left %v", got)
	}
}

// TestMessagesDeletedAfter31Days: a secure message goes, read or not,
// for its sender and every recipient, 31 days after it was sent.
func TestMessagesDeletedAfter31Days(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	s := newSite(t, start)
	send := func(at time.Time, to ...string) {
		m := ledger.Message{Kind: ledger.MessageSent, Sender: "823LLLL", Login: "cbc", UploadName: "m.txt", To: "x",
			Subject: "s", Body: "b", SentAt: at}
		for _, c := range to {
			m.Recipients = append(m.Recipients, ledger.Recipient{Mailbox: c, LA: "823"})
		}
		if _, err := s.ledger.SendMessage(ctx, m, ledger.Event{At: at, Event: ledger.EventMessageSent}); err != nil {
			t.Fatal(err)
		}
	}
	send(start, "8231234", "8232345")
	send(start.Add(24*time.Hour), "8231234")
	if err := s.ledger.MarkMessageRead(ctx, "8231234", 1, start.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	count := func() (inbox, sent int) {
		in, err := s.ledger.Inbox(ctx, "8231234")
		if err != nil {
			t.Fatal(err)
		}
		out, err := s.ledger.Sent(ctx, "823LLLL", false, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		return len(in), len(out)
	}
	for _, step := range []struct {
		at            time.Time
		deleted       int64
		inbox, sentTo int
	}{
		{start.AddDate(0, 0, 31).Add(-time.Second), 0, 2, 2},
		{start.AddDate(0, 0, 31), 1, 1, 1},
		{start.AddDate(0, 0, 32), 1, 0, 0},
	} {
		r, err := s.jobs.Retention(ctx, step.at)
		if err != nil || r.MessagesDeleted != step.deleted {
			t.Fatalf("retention at %s: %+v, %v; want %d messages deleted", step.at, r, err, step.deleted)
		}
		if in, sent := count(); in != step.inbox || sent != step.sentTo {
			t.Fatalf("after retention at %s: inbox %d, sent %d; want %d, %d", step.at, in, sent, step.inbox, step.sentTo)
		}
	}
}
