package mailer

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/s2sd/s2sd/ledger"
)

// syncRecorder is a Syncer: it records sends, and at each Sync how many
// mails the ledger already held as sent, failing as told.
type syncRecorder struct {
	recorder
	l       *ledger.Ledger
	t       *testing.T
	mu      sync.Mutex
	syncs   int
	sentAt  []int // mails recorded sent when each Sync began
	syncErr error
}

func (r *syncRecorder) Sync(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.syncs++
	r.sentAt = append(r.sentAt, len(mustMails(r.t, r.l, ledger.MailFilter{State: "sent"})))
	return r.syncErr
}

// Over a Syncer, a batch is synced once, and no mail of it is recorded as
// sent before that Sync: a crash before it leaves them queued, and the
// .eml transport writes the same files again.
func TestWorkerSyncsBeforeRecordingSent(t *testing.T) {
	l := openLedger(t, "")
	enqueueN(t, l, 20, t0)
	tr := &syncRecorder{l: l, t: t}
	store := &countingStore{Store: l}
	w := New(testConfig(), store, tr, testLog(t), newClock(t0).Now)
	n, err := w.DeliverDue(context.Background())
	if err != nil || n != 20 {
		t.Fatalf("DeliverDue = %d, %v; want 20 attempts", n, err)
	}
	if store.begins != 1 || store.attempts != 20 {
		t.Fatalf("attempts recorded in %d calls, %d in all; want the batch's 20 in one", store.begins, store.attempts)
	}
	if store.sents != 1 || store.sent != 20 {
		t.Fatalf("deliveries recorded in %d calls, %d in all; want the batch's 20 in one", store.sents, store.sent)
	}
	if tr.count() != 20 || tr.syncs != 1 || tr.sentAt[0] != 0 {
		t.Fatalf("sent %d, synced %d times with %v recorded sent at each; want 20 sent, one Sync with 0 recorded before it", tr.count(), tr.syncs, tr.sentAt)
	}
	if got := len(mustMails(t, l, ledger.MailFilter{State: "sent"})); got != 20 {
		t.Fatalf("%d mails recorded sent after the Sync; want 20", got)
	}
}

// A Sync that fails turns the batch into temporary failures: every mail
// stays queued, with the reason, for its next attempt.
func TestWorkerSyncFailureKeepsBatchQueued(t *testing.T) {
	l := openLedger(t, "")
	enqueueN(t, l, 5, t0)
	tr := &syncRecorder{l: l, t: t, syncErr: temporary("sync mail folder", errors.New("input/output error"))}
	w := New(testConfig(), l, tr, testLog(t), newClock(t0).Now)
	if _, err := w.DeliverDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	ms := mustMails(t, l, ledger.MailFilter{})
	for _, m := range ms {
		if m.State != "queued" || m.Attempts != 1 || m.LastError != "sync mail folder: input/output error" {
			t.Fatalf("mail %d: state %q, attempts %d, last error %q; want queued after 1 attempt with the sync error", m.ID, m.State, m.Attempts, m.LastError)
		}
	}
	if len(ms) != 5 {
		t.Fatalf("%d mails; want 5", len(ms))
	}
}

// countingStore counts the calls that record attempts and deliveries.
type countingStore struct {
	Store
	mu               sync.Mutex
	begins, attempts int
	sents, sent      int
}

func (s *countingStore) MailsSent(ctx context.Context, ids []int64, now time.Time) ([]error, error) {
	s.mu.Lock()
	s.sents++
	s.sent += len(ids)
	s.mu.Unlock()
	return s.Store.MailsSent(ctx, ids, now)
}

func (s *countingStore) BeginMailAttempts(ctx context.Context, as []ledger.MailAttempt, now time.Time) ([]error, error) {
	s.mu.Lock()
	s.begins++
	s.attempts += len(as)
	s.mu.Unlock()
	return s.Store.BeginMailAttempts(ctx, as, now)
}
