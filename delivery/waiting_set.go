package delivery

import (
	"context"
	"hash/maphash"
	"sync"

	"github.com/s2sd/s2sd/ledger"
)

// waitingSet answers the OPEN pre-check's question "may this name still
// wait at this destination?" from memory. It holds a hash of every
// transfer that waited when it was loaded and of every transfer the
// router has recorded since, so it holds every transfer that waits now:
// only this process's router records transfers (ledger.FinishRouted;
// the daemon's lock on its data directory keeps a second one off). A
// name it does not hold does not wait, which is the answer for every file
// of a phase transfer, and the pre-check asks the ledger nothing. A name
// it holds may have been collected, deleted or expired since, here or by
// another process, or share another's hash: the ledger is asked.
//
// Routing asks the ledger itself, whatever the set says.
type waitingSet struct {
	seed maphash.Seed

	// recording is held for reading by record, from a transfer's add
	// until its commit, and for writing by load, so that a load cannot
	// miss a transfer added before its query and committed after.
	recording sync.RWMutex

	mu     sync.Mutex
	keys   map[uint64]struct{} // nil until loaded: any name may wait
	loaded int                 // len(keys) at the last load
	limit  int                 // the most keys held (maxWaitingKeys)
}

// maxWaitingKeys bounds the set's memory to about 20 MiB. With more
// transfers waiting than this, the pre-check asks the ledger about every
// name until the next start.
const maxWaitingKeys = 1 << 20

// reloadSlack is how many keys the set gains over twice its size at the
// last load before it is loaded again, to drop the transfers no longer
// waiting: collected files stay in the set until then.
const reloadSlack = 1 << 16

func newWaitingSet() *waitingSet {
	return &waitingSet{seed: maphash.MakeSeed(), limit: maxWaitingKeys}
}

// key hashes dest and name as the ledger compares them: the code exactly,
// the name without regard to ASCII case (COLLATE NOCASE).
func (w *waitingSet) key(dest, name string) uint64 {
	var h maphash.Hash
	h.SetSeed(w.seed)
	h.WriteString(dest)
	h.WriteByte(0)
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		h.WriteByte(c)
	}
	return h.Sum64()
}

// mayWait reports whether name may still wait at dest.
func (w *waitingSet) mayWait(dest, name string) bool {
	k := w.key(dest, name)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.keys == nil {
		return true
	}
	_, ok := w.keys[k]
	return ok
}

// record holds the transfers ts, then runs commit, which records them in
// the ledger; a load waits until commit has returned.
func (w *waitingSet) record(ts []ledger.Transfer, commit func() error) error {
	w.recording.RLock()
	defer w.recording.RUnlock()
	for _, t := range ts {
		w.add(t.Dest, t.Name)
	}
	return commit()
}

// add holds a transfer about to be recorded, under record.
func (w *waitingSet) add(dest, name string) {
	k := w.key(dest, name)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.keys != nil {
		w.keys[k] = struct{}{}
	}
}

// refresh loads the set again if it has grown enough since its last
// load (full).
func (w *waitingSet) refresh(ctx context.Context, l *ledger.Ledger) error {
	if !w.full() {
		return nil
	}
	return w.load(ctx, l)
}

// full reports whether the set has grown enough since its last load to
// be loaded again.
func (w *waitingSet) full() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.keys != nil && (len(w.keys) > 2*w.loaded+reloadSlack || len(w.keys) > w.limit)
}

// load replaces the set with the transfers waiting in l now. If it fails,
// the set is as it was. If more than its limit wait, the set is dropped
// and every name may wait.
func (w *waitingSet) load(ctx context.Context, l *ledger.Ledger) error {
	w.recording.Lock()
	defer w.recording.Unlock()
	keys := make(map[uint64]struct{})
	err := l.EachWaiting(ctx, func(dest, name string) {
		if keys != nil {
			keys[w.key(dest, name)] = struct{}{}
		}
		if len(keys) > w.limit {
			keys = nil
		}
	})
	if err != nil {
		return err
	}
	w.mu.Lock()
	w.keys, w.loaded = keys, len(keys)
	w.mu.Unlock()
	return nil
}
