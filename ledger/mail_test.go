package ledger

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func testMail(kind, subject string, at time.Time, to ...string) Mail {
	return Mail{Kind: kind, To: to, Subject: subject, Body: "body of " + subject, CreatedAt: at}
}

func TestMailOutboxLifecycle(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 24, 10, 15, 0, 0, time.UTC)

	if _, ok, err := l.NextMailDue(ctx); err != nil || ok {
		t.Fatalf("NextMailDue on an empty outbox: ok %v, %v", ok, err)
	}
	err := l.EnqueueMail(ctx,
		testMail("file-waiting", "one", t0, "office@a.sch.uk", "head@a.sch.uk"),
		testMail("confirmation", "two", t0.Add(time.Second), "office@b.sch.uk"),
	)
	if err != nil {
		t.Fatal(err)
	}
	later := testMail("collected", "three", t0, "office@c.sch.uk")
	later.NextAttemptAt = t0.Add(time.Hour)
	if err := l.EnqueueMail(ctx, later); err != nil {
		t.Fatal(err)
	}

	next, ok, err := l.NextMailDue(ctx)
	if err != nil || !ok || !next.Equal(t0) {
		t.Fatalf("NextMailDue = %s, %v, %v; want %s", next, ok, err, t0)
	}
	due, err := l.DueMail(ctx, t0.Add(time.Minute), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 2 || due[0].Subject != "one" || due[1].Subject != "two" {
		t.Fatalf("due = %+v; want one, two", due)
	}
	m := due[0]
	if !reflect.DeepEqual(m.To, []string{"office@a.sch.uk", "head@a.sch.uk"}) || m.Kind != "file-waiting" ||
		m.Body != "body of one" || m.State != MailStateQueued || m.Attempts != 0 || !m.CreatedAt.Equal(t0) {
		t.Fatalf("stored mail %+v", m)
	}
	if due, _ := l.DueMail(ctx, t0.Add(time.Minute), 1); len(due) != 1 || due[0].ID != m.ID {
		t.Fatalf("limit 1: %+v", due)
	}

	// The attempt is recorded before delivery, and only once.
	now := t0.Add(time.Minute)
	if err := l.BeginMailAttempt(ctx, m.ID, now, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := l.BeginMailAttempt(ctx, m.ID, now, now.Add(time.Minute)); !errors.Is(err, ErrMailNotDue) {
		t.Fatalf("second BeginMailAttempt: %v; want ErrMailNotDue", err)
	}
	got, _ := l.Mail(ctx, m.ID)
	if got.Attempts != 1 || !got.LastAttemptAt.Equal(now) || !got.NextAttemptAt.Equal(now.Add(time.Minute)) {
		t.Fatalf("after BeginMailAttempt: %+v", got)
	}
	if due, _ := l.DueMail(ctx, now, 10); len(due) != 1 || due[0].Subject != "two" {
		t.Fatalf("a mail being attempted is not due: %+v", due)
	}

	// A temporary failure keeps it queued with the reason.
	if err := l.MailFailed(ctx, m.ID, now, "dial tcp: connection refused", false); err != nil {
		t.Fatal(err)
	}
	got, _ = l.Mail(ctx, m.ID)
	if got.State != MailStateQueued || got.LastError != "dial tcp: connection refused" || !got.FailedAt.IsZero() {
		t.Fatalf("after a temporary failure: %+v", got)
	}

	// The next attempt succeeds.
	now = now.Add(time.Minute)
	if err := l.BeginMailAttempt(ctx, m.ID, now, now.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := l.MailSent(ctx, m.ID, now); err != nil {
		t.Fatal(err)
	}
	if err := l.MailSent(ctx, m.ID, now); !errors.Is(err, ErrMailNotQueued) {
		t.Fatalf("MailSent twice: %v; want ErrMailNotQueued", err)
	}
	if err := l.BeginMailAttempt(ctx, m.ID, now.Add(time.Hour), now.Add(2*time.Hour)); !errors.Is(err, ErrMailNotDue) {
		t.Fatalf("BeginMailAttempt of a sent mail: %v; want ErrMailNotDue", err)
	}
	got, _ = l.Mail(ctx, m.ID)
	if got.State != MailStateSent || !got.SentAt.Equal(now) || got.Attempts != 2 || got.LastError != "" || got.Body != "body of one" {
		t.Fatalf("after MailSent: %+v", got)
	}

	// A permanent failure is kept apart.
	two := due[1]
	if err := l.BeginMailAttempt(ctx, two.ID, now, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := l.MailFailed(ctx, two.ID, now, "550 5.1.1 no such user", true); err != nil {
		t.Fatal(err)
	}
	got, _ = l.Mail(ctx, two.ID)
	if got.State != MailStateFailed || !got.FailedAt.Equal(now) || got.LastError != "550 5.1.1 no such user" {
		t.Fatalf("after a permanent failure: %+v", got)
	}
	if err := l.MailFailed(ctx, two.ID, now, "again", false); !errors.Is(err, ErrMailNotQueued) {
		t.Fatalf("MailFailed of a failed mail: %v", err)
	}
	queued, failed, err := l.MailQueueDepth(ctx)
	if err != nil || queued != 1 || failed != 1 {
		t.Fatalf("MailQueueDepth = %d, %d, %v; want 1, 1", queued, failed, err)
	}
	next, ok, _ = l.NextMailDue(ctx)
	if !ok || !next.Equal(t0.Add(time.Hour)) {
		t.Fatalf("NextMailDue = %s, %v; want %s", next, ok, t0.Add(time.Hour))
	}

	for _, tc := range []struct {
		f    MailFilter
		want []string
	}{
		{MailFilter{}, []string{"one", "two", "three"}},
		{MailFilter{State: MailStateQueued}, []string{"three"}},
		{MailFilter{State: MailStateFailed}, []string{"two"}},
		{MailFilter{Kind: "file-waiting"}, []string{"one"}},
		{MailFilter{State: MailStateSent, Kind: "collected"}, nil},
	} {
		ms, err := l.Mails(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		var subjects []string
		for _, m := range ms {
			subjects = append(subjects, m.Subject)
		}
		if !reflect.DeepEqual(subjects, tc.want) {
			t.Errorf("Mails(%+v) = %v; want %v", tc.f, subjects, tc.want)
		}
	}

	// Retired rows are purged; queued ones never.
	if n, err := l.PurgeMail(ctx, now); err != nil || n != 0 {
		t.Fatalf("PurgeMail before anything retired: %d, %v", n, err)
	}
	if n, err := l.PurgeMail(ctx, now.Add(time.Second)); err != nil || n != 2 {
		t.Fatalf("PurgeMail: %d, %v; want 2", n, err)
	}
	if ms, _ := l.Mails(ctx, MailFilter{}); len(ms) != 1 || ms[0].Subject != "three" {
		t.Fatalf("after PurgeMail: %+v", ms)
	}
}

func TestMailDedupe(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC)
	weekly := testMail("weekly", "S2S: 2 files awaiting collection", t0, "office@a.sch.uk")
	weekly.Dedupe = "weekly:2026-11-23:8231234"
	other := testMail("file-waiting", "a", t0, "office@a.sch.uk")
	if err := l.EnqueueMail(ctx, weekly, other, other); err != nil {
		t.Fatal(err)
	}
	// The weekly job runs again after a crash: its notice is not added twice.
	weekly.CreatedAt = t0.Add(time.Minute)
	if err := l.EnqueueMail(ctx, weekly); err != nil {
		t.Fatal(err)
	}
	ms, err := l.Mails(ctx, MailFilter{Kind: "weekly"})
	if err != nil || len(ms) != 1 || ms[0].Dedupe != "weekly:2026-11-23:8231234" || !ms[0].CreatedAt.Equal(t0) {
		t.Fatalf("weekly mails %+v, %v; want exactly the first", ms, err)
	}
	// Mails without a key are never merged.
	if ms, _ := l.Mails(ctx, MailFilter{Kind: "file-waiting"}); len(ms) != 2 {
		t.Fatalf("%d file-waiting mails; want 2", len(ms))
	}
}

func TestMailScrub(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	a := testMail("new-user-password", "S2S: your temporary password", t0, "a@a.sch.uk")
	a.Body, a.Scrub = "Your temporary password is: correct-horse-battery", true
	b := a
	b.To = []string{"b@a.sch.uk"}
	if err := l.EnqueueMail(ctx, a, b); err != nil {
		t.Fatal(err)
	}
	ms, _ := l.Mails(ctx, MailFilter{})
	if ms[0].Body != a.Body || !ms[0].Scrub {
		t.Fatalf("a queued mail keeps its body until delivered: %+v", ms[0])
	}
	for _, m := range ms {
		if err := l.BeginMailAttempt(ctx, m.ID, t0, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.MailSent(ctx, ms[0].ID, t0); err != nil {
		t.Fatal(err)
	}
	if err := l.MailFailed(ctx, ms[1].ID, t0, "550 no such user", true); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		got, _ := l.Mail(ctx, m.ID)
		if got.Body != scrubbedBody {
			t.Errorf("mail %d (%s) body %q; want it scrubbed", got.ID, got.State, got.Body)
		}
	}
}

func TestMailRefused(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		m    Mail
	}{
		{"no kind", Mail{To: []string{"a@b"}, Subject: "s", CreatedAt: t0}},
		{"no subject", Mail{Kind: "k", To: []string{"a@b"}, CreatedAt: t0}},
		{"no time", Mail{Kind: "k", To: []string{"a@b"}, Subject: "s"}},
		{"no recipient", Mail{Kind: "k", Subject: "s", CreatedAt: t0}},
		{"empty recipient", Mail{Kind: "k", To: []string{""}, Subject: "s", CreatedAt: t0}},
		{"comma", Mail{Kind: "k", To: []string{"a@b,c@d"}, Subject: "s", CreatedAt: t0}},
		{"line break", Mail{Kind: "k", To: []string{"a@b\r\nBcc: c@d"}, Subject: "s", CreatedAt: t0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok := testMail("k", "fine", t0, "a@b")
			if err := l.EnqueueMail(ctx, ok, tc.m); err == nil {
				t.Fatal("enqueued")
			}
			// All or nothing: the good mail before it was rolled back.
			if ms, _ := l.Mails(ctx, MailFilter{}); len(ms) != 0 {
				t.Fatalf("%d mails stored", len(ms))
			}
		})
	}
}

// insertMails shares its caller's transaction: a rolled-back event
// enqueues nothing, a committed one its mail.
func TestInsertMailsInEventTransaction(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	boom := errors.New("the event failed")
	err := l.tx(ctx, func(tx *sql.Tx) error {
		if err := insertMails(ctx, tx, []Mail{testMail("k", "rolled back", t0, "a@b")}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	err = l.tx(ctx, func(tx *sql.Tx) error {
		return insertMails(ctx, tx, []Mail{testMail("k", "committed", t0, "a@b")})
	})
	if err != nil {
		t.Fatal(err)
	}
	ms, _ := l.Mails(ctx, MailFilter{})
	if len(ms) != 1 || ms[0].Subject != "committed" {
		t.Fatalf("mails %+v; want only the committed one", ms)
	}
}

// The outbox survives closing and reopening the ledger file.
func TestMailSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	t0 := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	l, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.EnqueueMail(ctx, testMail("k", "kept", t0, "a@b")); err != nil {
		t.Fatal(err)
	}
	if err := l.BeginMailAttempt(ctx, 1, t0, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	l.Close()
	l, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	due, err := l.DueMail(ctx, t0.Add(time.Minute), 10)
	if err != nil || len(due) != 1 || due[0].Attempts != 1 || due[0].Subject != "kept" {
		t.Fatalf("after reopen: %+v, %v", due, err)
	}
}

func TestMailboxAddresses(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	if err := l.AddMailbox(ctx, Mailbox{Code: "8231234", Name: "Ampthill", Kind: "school", LA: "823", Email: "office@a.sch.uk"}, t0); err != nil {
		t.Fatal(err)
	}
	if err := l.AddMailbox(ctx, Mailbox{Code: "8239999", Name: "Redborne", Kind: "school", LA: "823"}, t0); err != nil {
		t.Fatal(err)
	}
	for _, u := range []User{
		{Login: "head", Mailbox: "8231234", Role: "school", Email: "head@a.sch.uk"},
		{Login: "office2", Mailbox: "8231234", Role: "school", Email: "Office@A.sch.uk"},
		{Login: "other", Mailbox: "8239999", Role: "school", Email: "x@r.sch.uk"},
		{Login: "admin", Role: "admin", Email: "admin@la.gov.uk"},
	} {
		if _, err := l.AddUser(ctx, u, t0); err != nil {
			t.Fatal(err)
		}
	}
	for code, want := range map[string][]string{
		"8231234": {"office@a.sch.uk", "head@a.sch.uk"},
		"8239999": {"x@r.sch.uk"},
		"8230000": nil,
	} {
		got, err := l.MailboxAddresses(ctx, code)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("MailboxAddresses(%s) = %q, %v; want %q", code, got, err, want)
		}
	}
}

// A batch of attempts is recorded in one commit, each judged on its own:
// a mail not due, one already sent and an unknown id are refused without
// holding back the others.
func TestBeginMailAttempts(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 24, 10, 15, 0, 0, time.UTC)
	later := testMail("collected", "later", t0, "office@c.sch.uk")
	later.NextAttemptAt = t0.Add(time.Hour)
	if err := l.EnqueueMail(ctx, testMail("file-waiting", "one", t0, "a@a.sch.uk"), later,
		testMail("confirmation", "sent", t0, "b@b.sch.uk"), testMail("confirmation", "two", t0, "d@d.sch.uk")); err != nil {
		t.Fatal(err)
	}
	if err := l.BeginMailAttempt(ctx, 3, t0, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := l.MailSent(ctx, 3, t0); err != nil {
		t.Fatal(err)
	}
	commits := l.commits.commits.Load()
	now := t0.Add(time.Second)
	errs, err := l.BeginMailAttempts(ctx, []MailAttempt{
		{ID: 1, Next: now.Add(time.Minute)},
		{ID: 2, Next: now.Add(2 * time.Minute)},
		{ID: 3, Next: now.Add(3 * time.Minute)},
		{ID: 99, Next: now.Add(4 * time.Minute)},
		{ID: 4, Next: now.Add(5 * time.Minute)},
	}, now)
	if err != nil || len(errs) != 5 {
		t.Fatalf("BeginMailAttempts = %v, %v", errs, err)
	}
	if n := l.commits.commits.Load() - commits; n != 1 {
		t.Errorf("%d commits for the batch; want 1", n)
	}
	for i, want := range []bool{false, true, true, true, false} {
		if got := errors.Is(errs[i], ErrMailNotDue); got != want {
			t.Errorf("attempt %d: %v; want ErrMailNotDue %v", i, errs[i], want)
		}
	}
	for id, next := range map[int64]time.Time{1: now.Add(time.Minute), 2: t0.Add(time.Hour), 4: now.Add(5 * time.Minute)} {
		m, err := l.Mail(ctx, id)
		attempts := 1
		if id == 2 {
			attempts = 0
		}
		if err != nil || !m.NextAttemptAt.Equal(next) || m.Attempts != attempts {
			t.Errorf("mail %d: next %s after %d attempts, %v; want %s after %d", id, m.NextAttemptAt, m.Attempts, err, next, attempts)
		}
	}
}

// A batch of deliveries is recorded in one commit, each judged on its
// own: a mail no longer queued is refused without holding back the others.
func TestMailsSent(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 24, 10, 15, 0, 0, time.UTC)
	if err := l.EnqueueMail(ctx, testMail("file-waiting", "one", t0, "a@a.sch.uk"),
		testMail("confirmation", "sent", t0, "b@b.sch.uk"), testMail("confirmation", "two", t0, "d@d.sch.uk")); err != nil {
		t.Fatal(err)
	}
	if err := l.MailSent(ctx, 2, t0); err != nil {
		t.Fatal(err)
	}
	commits := l.commits.commits.Load()
	now := t0.Add(time.Second)
	errs, err := l.MailsSent(ctx, []int64{1, 2, 99, 3}, now)
	if err != nil || len(errs) != 4 {
		t.Fatalf("MailsSent = %v, %v", errs, err)
	}
	if n := l.commits.commits.Load() - commits; n != 1 {
		t.Errorf("%d commits for the batch; want 1", n)
	}
	for i, want := range []bool{false, true, true, false} {
		if got := errors.Is(errs[i], ErrMailNotQueued); got != want {
			t.Errorf("mail %d: %v; want ErrMailNotQueued %v", i, errs[i], want)
		}
	}
	for id, at := range map[int64]time.Time{1: now, 2: t0, 3: now} {
		if m, err := l.Mail(ctx, id); err != nil || m.State != MailStateSent || !m.SentAt.Equal(at) {
			t.Errorf("mail %d: %s at %s, %v; want sent at %s", id, m.State, m.SentAt, err, at)
		}
	}
}
