package delivery

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/spool"
)

// Router routes acknowledged files. Open it with New, start its workers
// with Start, and stop it with Close.
type Router struct {
	cfg    Config
	ledger *ledger.Ledger
	log    zerolog.Logger

	queue chan key

	gather     sync.Mutex // held by the worker gathering the next batch
	forwarding sync.Mutex // held while a Lost Pupil Database record is forwarded

	mu       sync.Mutex
	queued   map[key]state  // waiting or being routed
	expected map[key]Sender // who sent a file sftpd is about to acknowledge
	idle     *sync.Cond     // signalled when queued empties

	bufs sync.Pool // *bytes.Buffer: decide's copies of small files, reused

	held  *heldMailboxes // the OPEN pre-check's mailboxes
	waits *waitingSet    // the names that may still wait, for the OPEN pre-check

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// state is where a submitted file is in the router.
type state uint8

const (
	waiting      state = iota + 1 // in the queue
	inRoute                       // a worker is routing it
	inRouteAgain                  // and it was submitted again meanwhile
)

// key names a file in an outbox.
type key struct {
	box  string
	name string
}

// New returns a router.
func New(cfg Config, l *ledger.Ledger, log zerolog.Logger) *Router {
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	r := &Router{
		cfg: cfg, ledger: l, log: log,
		queue:    make(chan key, 1<<16),
		queued:   make(map[key]state),
		expected: make(map[key]Sender),
		held:     newHeldMailboxes(),
		waits:    newWaitingSet(),
	}
	r.idle = sync.NewCond(&r.mu)
	return r
}

// Expect tells the router who is sending box/name before the file becomes
// visible in the outbox, so that the watcher, if it sees the file first,
// still records the right sender.
func (r *Router) Expect(box, name string, who Sender) {
	r.expect(box, name, who, false)
}

// ExpectStaged is Expect for a file about to be moved from staging into
// the outbox. If the file carries who as its sender (spool.WriteSender
// succeeded), that is as durable as the file and the ledger is not
// written: acknowledging the upload then costs no commit.
func (r *Router) ExpectStaged(box, name string, who Sender, carried bool) {
	r.expect(box, name, who, carried)
}

func (r *Router) expect(box, name string, who Sender, carried bool) {
	r.mu.Lock()
	r.expected[key{box, name}] = who
	r.mu.Unlock()
	if who.Forward || carried {
		return // a forward is linked and submitted at once; a carried sender is on disk
	}
	// Durably too: after a crash, the start-up scan finds the file with no
	// one in memory to say who sent it.
	err := r.ledger.SetUploadSender(context.Background(), box, name,
		ledger.UploadSender{Login: who.Login, Role: string(who.Role), Remote: who.Remote}, r.cfg.Now())
	if err != nil {
		r.log.Error().Err(err).Str("file", name).Msg("recording the sender of an upload")
	}
}

// Forget drops an expectation for an upload that was not acknowledged.
// If the file reached the outbox all the same (its move was made but not
// fsynced), it is submitted, as the watcher, which leaves expected files
// to sftpd (owns), would have done.
func (r *Router) Forget(box, name string) {
	r.mu.Lock()
	delete(r.expected, key{box, name})
	r.mu.Unlock()
	if err := r.ledger.ClearUploadSender(context.Background(), box, name); err != nil {
		r.log.Error().Err(err).Str("file", name).Msg("forgetting the sender of an upload")
	}
	if fi, err := os.Lstat(r.cfg.abs(spoolRel(box, spool.Outbox, name))); err == nil && fi.Mode().IsRegular() {
		r.Submit(box, name)
	}
}

// owns reports whether the router will look at box/name in its outbox
// without being told again: sftpd is about to submit it (Expect), or it
// is queued and no worker has taken it yet, so that the worker will find
// the file as it is then. The watcher need not submit such a file.
func (r *Router) owns(box, name string) bool {
	k := key{box, name}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, expected := r.expected[k]
	return expected || r.queued[k] == waiting
}

// Submit queues box/name for routing, once however often it is submitted.
func (r *Router) Submit(box, name string) {
	k := key{box, name}
	r.mu.Lock()
	switch r.queued[k] {
	case waiting, inRouteAgain:
		r.mu.Unlock()
		return
	case inRoute:
		// A new file under the same name arrived while the last one was
		// being routed: route again once that is done.
		r.queued[k] = inRouteAgain
		r.mu.Unlock()
		return
	}
	r.queued[k] = waiting
	r.mu.Unlock()
	r.queue <- k
}

// Start runs the workers, once it has read which transfers still wait
// for the OPEN pre-check. If that read fails, the pre-check asks the
// ledger about every name instead.
func (r *Router) Start(ctx context.Context) {
	if err := r.waits.load(ctx, r.ledger); err != nil {
		r.log.Error().Err(err).Msg("reading the transfers still waiting; the pre-check at OPEN will ask the ledger each time")
	}
	ctx, r.cancel = context.WithCancel(ctx)
	for range r.cfg.Workers {
		r.wg.Add(1)
		go r.work(ctx)
	}
}

// maxBatch is the most files a worker routes together.
const maxBatch = 64

// A worker gathers files into a batch after the first arrives, for as
// long as they keep coming at least every gatherQuiet, up to gatherWait.
// Routing a batch costs two ledger commits and an fsync of each folder
// it touches, however many files it holds; a phase transfer sends a file
// every few milliseconds, so gathering turns a commit per file into one
// per batch, and leaves the disk and CPUs to the acknowledgements
// meanwhile. A file sent alone is routed gatherQuiet later.
const (
	gatherQuiet = 20 * time.Millisecond
	gatherWait  = 200 * time.Millisecond
)

// work routes what is queued in batches of up to maxBatch files. One
// worker at a time gathers a batch while the others route theirs.
func (r *Router) work(ctx context.Context) {
	defer r.wg.Done()
	for {
		ks := r.gatherBatch(ctx)
		if ks == nil {
			return
		}
		r.mu.Lock()
		for _, k := range ks {
			r.queued[k] = inRoute
		}
		r.mu.Unlock()
		// A batch taken is routed to its end, even if Close is called
		// meanwhile: it is at most maxBatch files, and each is then in
		// its inbox at exit rather than waiting for the next start.
		r.routeLogged(context.WithoutCancel(ctx), ks)
		var again []key
		r.mu.Lock()
		for _, k := range ks {
			if r.queued[k] == inRouteAgain {
				r.queued[k] = waiting
				again = append(again, k)
			} else {
				delete(r.queued, k)
			}
		}
		if len(r.queued) == 0 {
			r.idle.Broadcast()
		}
		r.mu.Unlock()
		for _, k := range again {
			r.queue <- k
		}
	}
}

// gatherBatch takes the next batch from the queue: its first file, and
// those that follow while they keep coming (see gatherWait), up to
// maxBatch. It returns nil when ctx is done before any file arrives.
//
// After the first file it looks at the queue once every gatherQuiet
// rather than waiting on it, so that a file submitted meanwhile wakes no
// one: waking the gathering worker for each file of a phase transfer
// cost a thread switch per acknowledgement, in the sessions' time.
func (r *Router) gatherBatch(ctx context.Context) []key {
	r.gather.Lock()
	defer r.gather.Unlock()
	var ks []key
	select {
	case <-ctx.Done():
		return nil
	case k := <-r.queue:
		ks = append(ks, k)
	}
	deadline := time.Now().Add(gatherWait)
	tick := time.NewTicker(gatherQuiet)
	defer tick.Stop()
	for len(ks) < maxBatch {
		select {
		case <-tick.C:
		case <-ctx.Done():
			return ks
		}
		n := len(ks)
		ks = r.take(ks)
		if len(ks) == n || !time.Now().Before(deadline) {
			return ks
		}
	}
	return ks
}

// take adds to ks what is queued, without waiting, up to maxBatch.
func (r *Router) take(ks []key) []key {
	for len(ks) < maxBatch {
		select {
		case k := <-r.queue:
			ks = append(ks, k)
		default:
			return ks
		}
	}
	return ks
}

// Wait blocks until nothing is queued: for tests and benchmarks.
func (r *Router) Wait() {
	r.mu.Lock()
	for len(r.queued) > 0 {
		r.idle.Wait()
	}
	r.mu.Unlock()
}

// Close stops the workers after the batches they have taken, gathering or
// routing, and waits. Files still queued stay in their outboxes and are
// routed at next start.
func (r *Router) Close() {
	if r.cancel != nil {
		r.cancel()
	}
	r.wg.Wait()
}

func (r *Router) routeLogged(ctx context.Context, ks []key) {
	jobs := make([]*job, len(ks))
	r.mu.Lock()
	for i, k := range ks {
		jobs[i] = &job{k: k}
		if who, ok := r.expected[k]; ok {
			jobs[i].who = &who
		}
		delete(r.expected, k)
	}
	r.mu.Unlock()
	r.routeBatch(ctx, jobs)
	for _, j := range jobs {
		if j.err != nil {
			r.log.Error().Err(j.err).Str("mailbox", j.k.box).Str("file", j.k.name).Msg("routing failed; the file stays in the outbox and is retried at next start")
		}
	}
}

// Recover carries out the plans of uploads a crash left pending. It runs
// before the SFTP server accepts logins.
func (r *Router) Recover(ctx context.Context) error {
	pending, err := r.ledger.PendingUploads(ctx)
	if err != nil {
		return err
	}
	for _, up := range pending {
		if err := r.route(ctx, key{up.Box, up.Name}, nil); err != nil {
			return fmt.Errorf("recovering upload %d (%s): %w", up.ID, up.Name, err)
		}
	}
	if len(pending) > 0 {
		r.log.Info().Int("uploads", len(pending)).Msg("recovered uploads interrupted by a crash")
	}
	return nil
}
