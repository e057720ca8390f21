package mailer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/s2sd/s2sd/ledger"
)

// enqueueN adds n mails numbered from 1, created at at.
func enqueueN(t testing.TB, l *ledger.Ledger, n int, at time.Time) []string {
	t.Helper()
	var ms []ledger.Mail
	var subjects []string
	for i := 1; i <= n; i++ {
		s := fmt.Sprintf("S2S: test notice %03d", i)
		subjects = append(subjects, s)
		ms = append(ms, ledger.Mail{CreatedAt: at, Kind: "test", To: []string{fmt.Sprintf("office%d@a.sch.uk", i)},
			Subject: s, Body: "notice " + s + "\n"})
	}
	if err := l.EnqueueMail(context.Background(), ms...); err != nil {
		t.Fatal(err)
	}
	return subjects
}

// recorder is a transport that records what it sends, and fails as told.
type recorder struct {
	clock func() time.Time
	mu    sync.Mutex
	sent  []Message
	at    []time.Time
	fail  func(Message) error
}

func (r *recorder) Send(ctx context.Context, m Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.clock != nil {
		r.at = append(r.at, r.clock())
	}
	if r.fail != nil {
		if err := r.fail(m); err != nil {
			return err
		}
	}
	r.sent = append(r.sent, m)
	return nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sent)
}

// The mail server is down for a while: every mail fails once with
// connection refused, is not retried before its backoff, and once the
// server is back and the backoff passed, each is delivered exactly once.
func TestWorkerServerDownThenBack(t *testing.T) {
	srv := newTestServer(t) // not started: connection refused
	l := openLedger(t, "")
	subjects := enqueueN(t, l, 20, t0)
	clock := newClock(t0)
	w := New(testConfig(), l, newSMTP(t, srv.config()), testLog(t), clock.Now)
	w.Start(context.Background())
	defer w.Close()
	w.Kick()

	waitFor(t, "every mail to be tried once", func() bool {
		for _, m := range mustMails(t, l, ledger.MailFilter{}) {
			if m.Attempts != 1 || m.LastError == "" {
				return false
			}
		}
		return true
	})
	for _, m := range mustMails(t, l, ledger.MailFilter{}) {
		if m.State != ledger.MailStateQueued || !strings.Contains(m.LastError, "connection refused") ||
			!m.NextAttemptAt.Equal(t0.Add(time.Minute)) {
			t.Fatalf("after the outage: %s, next %s, %q", m.State, m.NextAttemptAt, m.LastError)
		}
	}
	// Kicked again before the backoff has passed, it tries nothing: no
	// retry storm.
	w.Kick()
	if n, err := w.DeliverDue(context.Background()); err != nil || n != 0 {
		t.Fatalf("DeliverDue before the backoff = %d, %v; want 0", n, err)
	}

	srv.Start()
	clock.Advance(time.Minute)
	w.Kick()
	waitFor(t, "the queue to drain", func() bool { q, _ := depth(t, l); return q == 0 })
	w.Close()

	counts := srv.bySubject(t)
	for _, s := range subjects {
		if counts[s] != 1 {
			t.Errorf("%q received %d times, want once", s, counts[s])
		}
	}
	if len(srv.received()) != 20 {
		t.Errorf("%d messages received, want 20", len(srv.received()))
	}
	for _, m := range mustMails(t, l, ledger.MailFilter{}) {
		if m.State != ledger.MailStateSent || m.Attempts != 2 || m.LastError != "" {
			t.Errorf("mail %d: %s after %d attempts, %q", m.ID, m.State, m.Attempts, m.LastError)
		}
	}
}

// The worker is stopped mid-queue and a new one started on the same
// ledger file: nothing is lost and nothing is sent twice.
func TestWorkerRestartMidQueue(t *testing.T) {
	srv := startTestServer(t)
	srv.SetDelay(20 * time.Millisecond)
	path := filepath.Join(t.TempDir(), "ledger.db")
	l, err := ledger.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	subjects := enqueueN(t, l, 40, t0)
	cfg := testConfig()
	cfg.Concurrency = 2
	clock := newClock(t0)

	w := New(cfg, l, newSMTP(t, srv.config()), testLog(t), clock.Now)
	w.Start(context.Background())
	waitFor(t, "some mail to be delivered", func() bool { return len(srv.received()) >= 5 })
	w.Close()
	first := len(srv.received())
	if first >= 40 {
		t.Fatalf("all %d delivered before Close: the test stopped nothing", first)
	}
	sent, queued := 0, 0
	for _, m := range mustMails(t, l, ledger.MailFilter{}) {
		switch {
		case m.State == ledger.MailStateSent && m.Attempts == 1:
			sent++
		case m.State == ledger.MailStateQueued && m.Attempts == 0:
			queued++
		default:
			t.Fatalf("after Close, mail %d is %s after %d attempts", m.ID, m.State, m.Attempts)
		}
	}
	if sent != first || queued != 40-first {
		t.Fatalf("after Close: %d sent and %d queued, but %d received", sent, queued, first)
	}
	l.Close()

	l2 := openLedger(t, path)
	w2 := New(cfg, l2, newSMTP(t, srv.config()), testLog(t), clock.Now)
	w2.Start(context.Background())
	defer w2.Close()
	waitFor(t, "the queue to drain", func() bool { q, _ := depth(t, l2); return q == 0 })
	w2.Close()

	counts := srv.bySubject(t)
	for _, s := range subjects {
		if counts[s] != 1 {
			t.Errorf("%q received %d times, want once", s, counts[s])
		}
	}
	if n := len(srv.received()); n != 40 {
		t.Errorf("%d received, want 40", n)
	}
}

// A worker that died after recording an attempt but before sending leaves
// the mail queued for its next attempt: not retried at once by the next
// worker, and not lost.
func TestWorkerCrashBeforeSend(t *testing.T) {
	l := openLedger(t, "")
	ctx := context.Background()
	enqueueN(t, l, 1, t0)
	if err := l.BeginMailAttempt(ctx, 1, t0, t0.Add(time.Minute)); err != nil {
		t.Fatal(err) // the dead worker's last act
	}
	clock := newClock(t0.Add(30 * time.Second))
	rec := &recorder{}
	w := New(testConfig(), l, rec, testLog(t), clock.Now)
	if n, err := w.DeliverDue(ctx); err != nil || n != 0 || rec.count() != 0 {
		t.Fatalf("before the next attempt: DeliverDue = %d, %v, %d sent; want nothing", n, err, rec.count())
	}
	clock.Set(t0.Add(time.Minute))
	if n, err := w.DeliverDue(ctx); err != nil || n != 1 || rec.count() != 1 {
		t.Fatalf("at the next attempt: DeliverDue = %d, %v, %d sent; want 1", n, err, rec.count())
	}
	m, _ := l.Mail(ctx, 1)
	if m.State != ledger.MailStateSent || m.Attempts != 2 {
		t.Fatalf("mail %s after %d attempts", m.State, m.Attempts)
	}
}

// lostSent is a store whose MailSent is lost, as if the process died
// between the delivery and its record.
type lostSent struct{ Store }

func (lostSent) MailSent(context.Context, int64, time.Time) error { return errors.New("killed") }

func (lostSent) MailsSent(context.Context, []int64, time.Time) ([]error, error) {
	return nil, errors.New("killed")
}

// The one crash window: delivered, but MailSent not committed. The mail
// goes again at its next attempt. The .eml transport writes the same file
// again, so there is still one; over SMTP the two copies share one
// Message-ID.
func TestWorkerCrashAfterSend(t *testing.T) {
	ctx := context.Background()
	t.Run("eml", func(t *testing.T) {
		l := openLedger(t, "")
		enqueueN(t, l, 3, t0)
		dir := filepath.Join(t.TempDir(), "mail")
		tr, err := NewEML(dir, testFrom)
		if err != nil {
			t.Fatal(err)
		}
		clock := newClock(t0)
		if n, err := New(testConfig(), lostSent{l}, tr, testLog(t), clock.Now).DeliverDue(ctx); err != nil || n != 3 {
			t.Fatalf("DeliverDue = %d, %v", n, err)
		}
		before := map[string][]byte{}
		for _, name := range emlFiles(t, dir) {
			before[name], _ = os.ReadFile(filepath.Join(dir, name))
		}
		if q, _ := depth(t, l); q != 3 || len(before) != 3 {
			t.Fatalf("after the crash: %d queued, %d files; want 3, 3", q, len(before))
		}
		clock.Advance(time.Minute)
		if n, err := New(testConfig(), l, tr, testLog(t), clock.Now).DeliverDue(ctx); err != nil || n != 3 {
			t.Fatalf("DeliverDue after restart = %d, %v", n, err)
		}
		after := emlFiles(t, dir)
		if len(after) != 3 {
			t.Fatalf("%d files after the re-send, want 3: %v", len(after), after)
		}
		for _, name := range after {
			data, _ := os.ReadFile(filepath.Join(dir, name))
			if string(data) != string(before[name]) {
				t.Errorf("%s changed on re-send", name)
			}
		}
		if q, f := depth(t, l); q != 0 || f != 0 {
			t.Fatalf("queue %d, %d", q, f)
		}
	})
	t.Run("smtp", func(t *testing.T) {
		srv := startTestServer(t)
		l := openLedger(t, "")
		enqueueN(t, l, 1, t0)
		clock := newClock(t0)
		New(testConfig(), lostSent{l}, newSMTP(t, srv.config()), testLog(t), clock.Now).DeliverDue(ctx)
		clock.Advance(time.Minute)
		New(testConfig(), l, newSMTP(t, srv.config()), testLog(t), clock.Now).DeliverDue(ctx)
		got := srv.received()
		if len(got) != 2 {
			t.Fatalf("%d received; want the documented 2", len(got))
		}
		a, _ := got[0].parse(t)
		b, _ := got[1].parse(t)
		if id := a.Header.Get("Message-ID"); id == "" || id != b.Header.Get("Message-ID") {
			t.Fatalf("Message-IDs %q and %q; want one, shared", id, b.Header.Get("Message-ID"))
		}
	})
}

// After 3 days of temporary failures, a mail fails for good. The attempts
// follow the schedule exactly: 1m, 2m, 4m … 32m apart, then hourly.
func TestWorkerMaxAge(t *testing.T) {
	l := openLedger(t, "")
	ctx := context.Background()
	enqueueN(t, l, 1, t0)
	clock := newClock(t0)
	rec := &recorder{clock: clock.Now, fail: func(Message) error { return errTemporary }}
	w := New(testConfig(), l, rec, testLog(t), clock.Now)
	for i := 0; ; i++ {
		if i > 1000 {
			t.Fatal("the mail is still queued after 1000 attempts")
		}
		if _, err := w.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		next, ok, err := l.NextMailDue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		clock.Set(next)
	}
	// Attempt k (from 1) is made at 0, 1, 3, 7, 15, 31, 63 minutes, then
	// every hour: the first at or after 72h (4320m) is the last.
	var want []time.Time
	at := t0
	for k := 1; ; k++ {
		want = append(want, at)
		if at.Sub(t0) >= 72*time.Hour {
			break
		}
		at = at.Add(Backoff(k, time.Minute, time.Hour))
	}
	if len(want) != 78 || !want[77].Equal(t0.Add(4323*time.Minute)) {
		t.Fatalf("expected schedule: %d attempts, last at %s", len(want), want[len(want)-1].Sub(t0))
	}
	if len(rec.at) != len(want) {
		t.Fatalf("%d attempts, want %d", len(rec.at), len(want))
	}
	for i := range want {
		if !rec.at[i].Equal(want[i]) {
			t.Fatalf("attempt %d at +%s, want +%s", i+1, rec.at[i].Sub(t0), want[i].Sub(t0))
		}
	}
	m, _ := l.Mail(ctx, 1)
	if m.State != ledger.MailStateFailed || m.Attempts != 78 || !m.FailedAt.Equal(t0.Add(4323*time.Minute)) ||
		m.LastError != "gave up after 72h0m0s of temporary failures: 451 4.3.0 try again later" {
		t.Fatalf("after 3 days: %s, %d attempts, failed at +%s, %q", m.State, m.Attempts, m.FailedAt.Sub(t0), m.LastError)
	}
	if q, f := depth(t, l); q != 0 || f != 1 {
		t.Fatalf("queue depth %d, %d; want 0, 1", q, f)
	}
}

// A permanent failure is not retried.
func TestWorkerPermanentFailure(t *testing.T) {
	l := openLedger(t, "")
	ctx := context.Background()
	enqueueN(t, l, 2, t0)
	clock := newClock(t0)
	rec := &recorder{fail: func(m Message) error {
		if m.ID == 1 {
			return &DeliveryError{Code: 554, Permanent: true, Err: errors.New("554 5.6.0 content refused")}
		}
		return nil
	}}
	w := New(testConfig(), l, rec, testLog(t), clock.Now)
	if n, err := w.DeliverDue(ctx); err != nil || n != 2 {
		t.Fatalf("DeliverDue = %d, %v", n, err)
	}
	clock.Advance(72 * time.Hour)
	if n, _ := w.DeliverDue(ctx); n != 0 {
		t.Fatalf("%d retried", n)
	}
	m1, _ := l.Mail(ctx, 1)
	m2, _ := l.Mail(ctx, 2)
	if m1.State != ledger.MailStateFailed || m1.Attempts != 1 || m1.LastError != "554 5.6.0 content refused" || m2.State != ledger.MailStateSent {
		t.Fatalf("mail 1 %s after %d, %q; mail 2 %s", m1.State, m1.Attempts, m1.LastError, m2.State)
	}
}

// Two workers on one ledger (the daemon and a flush from the CLI, say)
// never send one mail twice: BeginMailAttempt lets only one take it.
func TestWorkersShareOutbox(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	l := openLedger(t, path)
	l2 := openLedger(t, path)
	enqueueN(t, l, 100, t0)
	clock := newClock(t0)
	a, b := &recorder{}, &recorder{}
	var wg sync.WaitGroup
	for _, p := range []struct {
		s Store
		r *recorder
	}{{l, a}, {l2, b}} {
		wg.Go(func() {
			if _, err := New(testConfig(), p.s, p.r, testLog(t), clock.Now).DeliverDue(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	seen := map[int64]int{}
	for _, r := range []*recorder{a, b} {
		for _, m := range r.sent {
			seen[m.ID]++
		}
	}
	if len(seen) != 100 {
		t.Fatalf("%d mails sent, want 100", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("mail %d sent %d times", id, n)
		}
	}
	t.Logf("worker A sent %d, worker B %d", a.count(), b.count())
}

// Kick wakes an idle worker at once, and its timer wakes it when the next
// mail falls due.
func TestWorkerKickAndTimer(t *testing.T) {
	l := openLedger(t, "")
	ctx := context.Background()
	rec := &recorder{}
	w := New(testConfig(), l, rec, testLog(t), time.Now)
	w.Start(ctx)
	defer w.Close()
	time.Sleep(50 * time.Millisecond) // idle: with nothing queued it waits 10 minutes

	now := time.Now()
	if err := l.EnqueueMail(ctx, ledger.Mail{CreatedAt: now, Kind: "test", To: []string{"a@b.sch.uk"}, Subject: "now", Body: "b"}); err != nil {
		t.Fatal(err)
	}
	w.Kick()
	waitFor(t, "the kicked mail", func() bool { return rec.count() == 1 })

	due := time.Now().Add(300 * time.Millisecond)
	later := ledger.Mail{CreatedAt: time.Now(), Kind: "test", To: []string{"a@b.sch.uk"}, Subject: "later", Body: "b", NextAttemptAt: due}
	if err := l.EnqueueMail(ctx, later); err != nil {
		t.Fatal(err)
	}
	w.Kick() // the worker sees it is not due, and sets its timer
	waitFor(t, "the timed mail", func() bool { return rec.count() == 2 })
	if time.Now().Before(due) {
		t.Fatalf("sent before it was due")
	}
	w.Close()
	w.Kick() // harmless after Close
}

// Shutdown's deadline aborts a delivery in flight; the mail stays queued.
func TestWorkerShutdownAborts(t *testing.T) {
	l := openLedger(t, "")
	enqueueN(t, l, 1, t0)
	started := make(chan struct{})
	blocking := transportFunc(func(ctx context.Context, m Message) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	})
	w := New(testConfig(), l, blocking, testLog(t), newClock(t0).Now)
	w.Start(context.Background())
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := w.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v", err)
	}
	m, _ := l.Mail(context.Background(), 1)
	if m.State != ledger.MailStateQueued || m.Attempts != 1 || !strings.Contains(m.LastError, "context canceled") {
		t.Fatalf("aborted mail: %s after %d, %q", m.State, m.Attempts, m.LastError)
	}
}

type transportFunc func(context.Context, Message) error

func (f transportFunc) Send(ctx context.Context, m Message) error { return f(ctx, m) }

// The daemon is killed (SIGKILL) in the middle of delivering, then
// restarted: no notice is lost, and the only repeats are the deliveries
// that were in flight at the kill (at most Concurrency), each with the
// same Message-ID as its first copy.
func TestWorkerKilledMidDelivery(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	srv := startTestServer(t)
	srv.SetDelay(20 * time.Millisecond)
	path := filepath.Join(t.TempDir(), "ledger.db")
	l, err := ledger.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().UTC().Truncate(time.Second)
	subjects := enqueueN(t, l, 60, start)
	l.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWorkerProcess$", "-test.v")
	cmd.Env = append(os.Environ(), "S2SD_MAILER_HELPER="+path, "S2SD_MAILER_SMTP="+srv.Addr, "S2SD_MAILER_CA="+srv.CAFile)
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the helper to deliver some mail", func() bool { return len(srv.received()) >= 10 })
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	atKill := len(srv.received())
	if atKill >= 60 {
		t.Fatalf("all delivered before the kill: the test killed nothing\n%s", out)
	}

	l2 := openLedger(t, path)
	clock := newClock(time.Now().Add(2 * time.Hour)) // past any backoff the killed worker set
	w := New(testConfig(), l2, newSMTP(t, srv.config()), testLog(t), clock.Now)
	w.Start(context.Background())
	defer w.Close()
	waitFor(t, "the queue to drain", func() bool { q, _ := depth(t, l2); return q == 0 })
	w.Close()

	ids := map[string][]string{}
	for _, r := range srv.received() {
		msg, _ := r.parse(t)
		s := r.subject(t)
		ids[s] = append(ids[s], msg.Header.Get("Message-ID"))
	}
	repeats := 0
	for _, s := range subjects {
		switch n := len(ids[s]); {
		case n == 0:
			t.Errorf("%q lost", s)
		case n > 1:
			repeats += n - 1
			for _, id := range ids[s][1:] {
				if id != ids[s][0] {
					t.Errorf("%q repeated with another Message-ID: %q", s, ids[s])
				}
			}
		}
	}
	if repeats > testConfig().Concurrency {
		t.Errorf("%d repeats; at most the %d deliveries in flight at the kill may repeat", repeats, testConfig().Concurrency)
	}
	t.Logf("%d delivered before the kill, %d repeated after it", atKill, repeats)
}

// TestHelperWorkerProcess is the daemon TestWorkerKilledMidDelivery kills.
func TestHelperWorkerProcess(t *testing.T) {
	path := os.Getenv("S2SD_MAILER_HELPER")
	if path == "" {
		t.Skip("run by TestWorkerKilledMidDelivery")
	}
	l, err := ledger.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	relay := relayConfig(os.Getenv("S2SD_MAILER_SMTP"), os.Getenv("S2SD_MAILER_CA"), false)
	w := New(cfg, l, newSMTP(t, relay), testLog(t), time.Now)
	w.Start(context.Background())
	select {} // until killed
}
