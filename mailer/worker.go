package mailer

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/s2sd/s2sd/ledger"
)

// Store is the mail outbox the Worker delivers from: the ledger.
type Store interface {
	DueMail(ctx context.Context, now time.Time, limit int) ([]ledger.Mail, error)
	NextMailDue(ctx context.Context) (time.Time, bool, error)
	BeginMailAttempts(ctx context.Context, as []ledger.MailAttempt, now time.Time) ([]error, error)
	MailSent(ctx context.Context, id int64, now time.Time) error
	MailsSent(ctx context.Context, ids []int64, now time.Time) ([]error, error)
	MailPartlySent(ctx context.Context, id int64, now time.Time, note string) error
	MailFailed(ctx context.Context, id int64, now time.Time, reason string, permanent bool) error
}

var _ Store = (*ledger.Ledger)(nil)

// Log field keys.
const (
	logMailID   = "mail_id"
	logKind     = "kind"
	logAttempts = "attempts"
	logNext     = "next_attempt"
)

// batchSize is how many due mails one pass reads.
const batchSize = 64

// errorWait is how long the worker waits after the outbox itself failed.
const errorWait = 10 * time.Second

// gatherWait is how long the worker lets notices gather after a Kick
// before it delivers them, so that a burst is delivered as one batch.
const gatherWait = 500 * time.Millisecond

// maxWait bounds a wait for the next due mail, in case the clock jumps.
const maxWait = time.Minute

// Worker delivers the mail outbox, as mox's queue does: the outbox is a
// table, not a goroutine. Each delivery is recorded before it is tried
// (BeginMailAttempts counts the attempt and moves the next one on by the
// backoff), so a crash at any moment causes neither a retry storm nor a
// lost mail: a restart reads the table and carries on.
//
// The crash window: a mail whose delivery succeeded but whose MailSent did
// not commit (the process died between the two, or the ledger write
// failed) is still queued, and is delivered again at its next attempt.
// That one window is the only way a notice goes twice, and at most
// Mail.Concurrency notices can be in it at once over SMTP, where the
// second copy has the same Message-ID as the first. A Syncer (the .eml
// transport) has a batch in it, but writes the same file name again, so
// there it is still one file.
//
// The worker wakes on Kick, on a timer set to the next due mail, and at
// Start. It delivers up to Mail.Concurrency mails at once.
type Worker struct {
	cfg       Mail
	store     Store
	transport Transport
	log       zerolog.Logger
	now       func() time.Time
	rand      func() float64
	metrics   Metrics // may be nil

	kick chan struct{}

	mu       sync.Mutex
	started  bool
	cancel   context.CancelFunc // stops taking mail
	abort    context.CancelFunc // aborts deliveries in flight
	abortCtx context.Context
	done     chan struct{}
}

// New returns a worker delivering store's outbox through t. now is the
// clock (time.Now in production). Zero fields of cfg take the defaults.
func New(cfg Mail, store Store, t Transport, log zerolog.Logger, now func() time.Time) *Worker {
	def := Default()
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = def.MaxAge
	}
	if cfg.BackoffBase <= 0 {
		cfg.BackoffBase = def.BackoffBase
	}
	if cfg.BackoffMax < cfg.BackoffBase {
		cfg.BackoffMax = max(def.BackoffMax, cfg.BackoffBase)
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = def.Concurrency
	}
	if cfg.Jitter < 0 || cfg.Jitter >= 1 {
		cfg.Jitter = def.Jitter
	}
	if now == nil {
		now = time.Now
	}
	abortCtx, abort := context.WithCancel(context.Background())
	return &Worker{
		cfg: cfg, store: store, transport: t, log: log, now: now, rand: rand.Float64,
		kick: make(chan struct{}, 1), abortCtx: abortCtx, abort: abort,
	}
}

// Kick wakes the worker to look for due mail. Call it after enqueueing.
// It never blocks.
func (w *Worker) Kick() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Start starts the worker's goroutine, which runs until Close or until ctx
// is done. Mail already due is delivered at once. A worker runs once:
// Start after Close does nothing.
func (w *Worker) Start(ctx context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started {
		return
	}
	w.started = true
	ctx, w.cancel = context.WithCancel(ctx)
	w.done = make(chan struct{})
	go w.run(ctx)
}

// Close stops the worker and waits for it. Deliveries in flight finish
// first; each is bounded by the transport's timeout.
func (w *Worker) Close() {
	w.Shutdown(context.Background())
}

// Shutdown stops the worker taking mail and waits for deliveries in
// flight until ctx is done, then aborts them and waits for them to
// return. An aborted delivery stays queued for its next attempt.
func (w *Worker) Shutdown(ctx context.Context) error {
	w.mu.Lock()
	started, done := w.started, w.done
	if started {
		w.cancel()
	}
	w.mu.Unlock()
	if !started {
		w.abort()
		return nil
	}
	select {
	case <-done:
		w.abort()
		return nil
	case <-ctx.Done():
		w.abort()
		<-done
		return ctx.Err()
	}
}

func (w *Worker) run(ctx context.Context) {
	defer close(w.done)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		n, err := w.DeliverDue(ctx)
		if ctx.Err() != nil {
			return
		}
		var wait time.Duration
		switch {
		case err != nil:
			w.log.Error().Err(err).Msg("mail outbox")
			wait = errorWait
		case n > 0:
			wait = 0 // more may have fallen due meanwhile
		default:
			wait = w.untilNext(ctx)
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-w.kick: // Reset above discards a pending tick (Go 1.23 timers)
			// Notices come in bursts (a phase transfer queues one or two
			// a file): let the burst gather into one batch.
			timer.Reset(gatherWait)
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
		case <-timer.C:
		}
	}
}

// untilNext returns how long until the next queued mail falls due.
func (w *Worker) untilNext(ctx context.Context) time.Duration {
	next, ok, err := w.store.NextMailDue(ctx)
	switch {
	case err != nil:
		w.log.Error().Err(err).Msg("mail outbox")
		return errorWait
	case !ok:
		return maxWait
	}
	// A mail due now that the last pass did not take belongs to another
	// worker; do not spin on it.
	return min(max(next.Sub(w.now()), time.Second), maxWait)
}

// DeliverDue delivers every mail due now, in batches, and returns how many
// it attempted. Mails that fall due while it runs wait for the next call.
// The worker calls it; so may a command that flushes the outbox once, with
// no worker running.
func (w *Worker) DeliverDue(ctx context.Context) (int, error) {
	now := w.now()
	total := 0
	seen := map[int64]bool{}
	for ctx.Err() == nil {
		due, err := w.store.DueMail(ctx, now, batchSize)
		if err != nil {
			return total, err
		}
		var batch []ledger.Mail
		for _, m := range due {
			if !seen[m.ID] { // a mail whose attempt failed to start
				seen[m.ID] = true
				batch = append(batch, m)
			}
		}
		if len(batch) == 0 {
			break
		}
		total += w.deliverBatch(ctx, batch)
		if len(due) < batchSize {
			break
		}
	}
	return total, nil
}

// deliverBatch delivers ms, Concurrency at a time, and returns how many
// attempts it started.
//
// Over SMTP each mail's attempt is recorded just before it is made, so
// that a Close mid-batch leaves the rest due at once. A Syncer's
// deliveries are local writes made durable by one Sync: there the whole
// batch's attempts are recorded first, in one ledger commit, the batch is
// written out even if ctx ends meanwhile, and the outcomes are recorded
// only after the Sync.
func (w *Worker) deliverBatch(ctx context.Context, ms []ledger.Mail) int {
	if syncer, ok := w.transport.(Syncer); ok {
		made := w.begin(ctx, ms)
		w.each(len(made), nil, func(i int) {
			made[i].err = w.transport.Send(w.abortCtx, fromMail(made[i].m))
		})
		return w.recordAll(ctx, syncer, made)
	}
	var n atomic.Int64
	w.each(len(ms), ctx.Done(), func(i int) {
		made := w.begin(ctx, ms[i:i+1])
		if len(made) == 0 {
			return
		}
		n.Add(1)
		// The delivery and its record survive Close, which waits for them;
		// only Shutdown's deadline aborts a delivery.
		made[0].err = w.transport.Send(w.abortCtx, fromMail(made[0].m))
		w.record(ctx, made[0])
	})
	return int(n.Load())
}

// each calls fn for 0 to n-1, Concurrency at a time, starting none once
// stop is closed, and waits for the calls it started.
func (w *Worker) each(n int, stop <-chan struct{}, fn func(i int)) {
	sem := make(chan struct{}, w.cfg.Concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	for i := range n {
		select {
		case sem <- struct{}{}:
		case <-stop:
			return
		}
		wg.Go(func() {
			defer func() { <-sem }()
			fn(i)
		})
	}
}

// begin records an attempt at each of ms before any is made, and returns
// those recorded, to be made.
func (w *Worker) begin(ctx context.Context, ms []ledger.Mail) []attempt {
	now := w.now()
	as := make([]attempt, len(ms))
	recs := make([]ledger.MailAttempt, len(ms))
	for i, m := range ms {
		as[i] = attempt{m: m, next: now.Add(w.backoff(m.Attempts + 1))}
		recs[i] = ledger.MailAttempt{ID: m.ID, Next: as[i].next}
	}
	errs, err := w.store.BeginMailAttempts(ctx, recs, now)
	if err != nil {
		if ctx.Err() == nil {
			w.log.Error().Err(err).Int("mails", len(ms)).Msg("mail not attempted: the outbox could not record the attempts")
		}
		return nil
	}
	made := as[:0]
	for i, a := range as {
		switch {
		case errs[i] == nil:
			made = append(made, a)
		case !errors.Is(errs[i], ledger.ErrMailNotDue):
			w.mailLog(a.m).Error().Err(errs[i]).Msg("mail not attempted: the outbox could not record the attempt")
		}
	}
	return made
}

// attempt is one delivery attempt made, with its outcome.
type attempt struct {
	m    ledger.Mail
	next time.Time // when it is tried again if it failed for now
	err  error
}

// recordAll syncs a Syncer and then records the outcomes of made: those
// delivered in one ledger commit, the others each on its own. It returns
// how many attempts were made.
func (w *Worker) recordAll(ctx context.Context, syncer Syncer, made []attempt) int {
	if len(made) == 0 {
		return 0
	}
	if err := syncer.Sync(w.abortCtx); err != nil {
		for i := range made {
			if made[i].err == nil {
				made[i].err = err
			}
		}
	}
	var sent []attempt
	var ids []int64
	for _, a := range made {
		if a.err != nil {
			w.record(ctx, a)
			continue
		}
		sent, ids = append(sent, a), append(ids, a.m.ID)
	}
	if len(sent) == 0 {
		return len(made)
	}
	errs, err := w.store.MailsSent(context.WithoutCancel(ctx), ids, w.now())
	for i, a := range sent {
		log := w.mailLog(a.m)
		log.Info().Msg("mail sent")
		switch {
		case err != nil:
			log.Error().Err(err).Msg("mail outcome not recorded")
		case errs[i] != nil:
			log.Error().Err(errs[i]).Msg("mail outcome not recorded")
		}
	}
	return len(made)
}

func (w *Worker) mailLog(m ledger.Mail) *zerolog.Logger {
	log := w.log.With().Int64(logMailID, m.ID).Str(logKind, m.Kind).Int(logAttempts, m.Attempts+1).Logger()
	return &log
}

// record records the outcome of an attempt.
func (w *Worker) record(ctx context.Context, a attempt) {
	m, sendErr := a.m, a.err
	log := w.mailLog(m)
	rec := context.WithoutCancel(ctx)
	done := w.now()
	refused, partly := sendErr.(*RefusedError)
	var err error
	switch {
	case sendErr == nil:
		err = w.store.MailSent(rec, m.ID, done)
		log.Info().Msg("mail sent")
	case partly:
		w.failed(FailPartial)
		err = w.store.MailPartlySent(rec, m.ID, done, "delivered to the other recipients; "+refused.Error())
		log.Warn().Err(sendErr).Msg("mail sent, but refused for some recipients")
	case Permanent(sendErr):
		w.failed(FailPermanent)
		err = w.store.MailFailed(rec, m.ID, done, sendErr.Error(), true)
		log.Error().Err(sendErr).Msg("mail failed permanently")
	case done.Sub(m.CreatedAt) >= w.cfg.MaxAge:
		w.failed(FailPermanent)
		reason := fmt.Sprintf("gave up after %s of temporary failures: %v", w.cfg.MaxAge, sendErr)
		err = w.store.MailFailed(rec, m.ID, done, reason, true)
		log.Error().Err(sendErr).Msg("mail failed: gave up retrying")
	default:
		w.failed(FailTemporary)
		err = w.store.MailFailed(rec, m.ID, done, sendErr.Error(), false)
		log.Warn().Err(sendErr).Time(logNext, a.next).Msg("mail delivery failed; will retry")
	}
	if err != nil {
		// The attempt stands; if the mail went out it may go again at its
		// next attempt. See the crash window above.
		log.Error().Err(err).Msg("mail outcome not recorded")
	}
}

// backoff returns the jittered wait after the attempt-th attempt.
func (w *Worker) backoff(attempt int) time.Duration {
	return Jitter(Backoff(attempt, w.cfg.BackoffBase, w.cfg.BackoffMax), w.cfg.Jitter, w.rand())
}
