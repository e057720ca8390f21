package delivery

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/s2sd/s2sd/spool"
)

// Watcher finds files dropped into outboxes on disk, by local processes or
// left by a crash, and submits them to the router. Files under a temporary
// name are never submitted; a file is submitted once it has been quiet for
// a moment, so that a writer still appending is not routed early.
type Watcher struct {
	router *Router
	root   string // the spool directory
	w      *fsnotify.Watcher
	settle time.Duration

	mu      sync.Mutex
	pending map[string]*time.Timer // by path, files waiting to settle

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewWatcher watches the spool root and every mailbox outbox under it.
func NewWatcher(r *Router) (*Watcher, error) {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	root := r.cfg.abs("spool")
	if err := os.MkdirAll(root, 0o700); err != nil {
		fw.Close()
		return nil, err
	}
	return &Watcher{router: r, root: root, w: fw, settle: 100 * time.Millisecond, pending: make(map[string]*time.Timer)}, nil
}

// Start begins watching, then scans every outbox so that files left by a
// crash, or dropped while s2sd was stopped, are routed.
func (w *Watcher) Start(ctx context.Context) error {
	if err := w.w.Add(w.root); err != nil {
		return err
	}
	boxes, err := os.ReadDir(w.root)
	if err != nil {
		return err
	}
	for _, b := range boxes {
		if b.IsDir() {
			w.watchBox(b.Name())
		}
	}
	ctx, w.cancel = context.WithCancel(ctx)
	w.wg.Add(1)
	go w.loop(ctx)
	return nil
}

// Close stops watching and waits.
func (w *Watcher) Close() {
	if w.cancel != nil {
		w.cancel()
	}
	w.w.Close()
	w.wg.Wait()
	w.mu.Lock()
	for p, t := range w.pending {
		t.Stop()
		delete(w.pending, p)
	}
	w.mu.Unlock()
}

// watchBox watches a mailbox's outbox, creating it if need be, and submits
// what it already holds.
func (w *Watcher) watchBox(box string) {
	outbox := filepath.Join(w.root, box, spool.Outbox)
	if err := os.MkdirAll(outbox, 0o700); err != nil {
		w.router.log.Error().Err(err).Str("mailbox", box).Msg("cannot create outbox")
		return
	}
	if err := w.w.Add(outbox); err != nil {
		w.router.log.Error().Err(err).Str("mailbox", box).Msg("cannot watch outbox")
		return
	}
	entries, err := os.ReadDir(outbox)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.Type().IsRegular() && w.routable(e.Name()) && !w.router.owns(box, e.Name()) {
			w.router.Submit(box, e.Name())
		}
	}
}

func (w *Watcher) loop(ctx context.Context) {
	defer w.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case err, ok := <-w.w.Errors:
			if !ok {
				return
			}
			w.router.log.Error().Err(err).Msg("file watcher error; rescanning outboxes")
			w.rescan()
		case ev, ok := <-w.w.Events:
			if !ok {
				return
			}
			w.event(ev)
		}
	}
}

func (w *Watcher) event(ev fsnotify.Event) {
	dir, name := filepath.Split(ev.Name)
	dir = filepath.Clean(dir)
	if dir == w.root {
		if ev.Has(fsnotify.Create) {
			if fi, err := os.Lstat(ev.Name); err == nil && fi.IsDir() {
				w.watchBox(name)
			}
		}
		return
	}
	if filepath.Base(dir) != spool.Outbox || !ev.Has(fsnotify.Create) && !ev.Has(fsnotify.Write) {
		return
	}
	if !w.routable(name) {
		return
	}
	box := filepath.Base(filepath.Dir(dir))
	// Most files reach an outbox through sftpd, which submits them
	// itself: settling and submitting each again cost a timer, a
	// goroutine and a stat per upload beside the sessions.
	if w.router.owns(box, name) {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if t := w.pending[ev.Name]; t != nil {
		t.Reset(w.settle)
		return
	}
	w.pending[ev.Name] = time.AfterFunc(w.settle, func() {
		w.mu.Lock()
		delete(w.pending, ev.Name)
		w.mu.Unlock()
		if fi, err := os.Lstat(ev.Name); err == nil && fi.Mode().IsRegular() {
			w.router.Submit(box, name)
		} else if err != nil && !errors.Is(err, os.ErrNotExist) {
			w.router.log.Warn().Err(err).Str("file", name).Msg("cannot stat dropped file")
		}
	})
}

func (w *Watcher) rescan() {
	boxes, err := os.ReadDir(w.root)
	if err != nil {
		return
	}
	for _, b := range boxes {
		if b.IsDir() {
			w.watchBox(b.Name())
		}
	}
}

// routable reports whether a name in an outbox is a finished file: not
// hidden, not a temporary name.
func (w *Watcher) routable(name string) bool {
	return name != "" && name[0] != '.' && !isTemp(name, w.router.cfg.TempSuffixes)
}
