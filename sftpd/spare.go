package sftpd

import (
	"errors"
	"os"
	"sync"

	"github.com/s2sd/s2sd/spool"
)

// spareFiles are empty staging files a session makes ahead of its next
// uploads into /outbox, and makes durable in staging with one fsync for
// a batch of them. An OPEN then need not wait for the filesystem to
// create a file: creating one costs 60-400 µs on the ext4 without a
// journal that s2sd-bench runs on (its inode allocator walks the inodes
// freed in the last half minute). And the CLOSE that acknowledges a
// small upload into a spare need fsync only the file, whose record says
// it is acknowledged: its name is durable in staging already, so staging
// is not fsynced with it (see spool/acked.go).
//
// A session makes none until its first upload is acknowledged, then
// firstSpares, each batch twice the last up to maxSpares while it keeps
// uploading: an office user's one upload leaves two unused, removed when
// the session ends; a phase transfer costs a staging fsync every
// maxSpares CTFs, made while the client sends. The next batch is started
// when half of the last is left, so that a session sending one file after
// another finds one ready; an OPEN that finds none while a batch is being
// made waits for it, which is quicker than creating a file and fsyncing
// staging at its CLOSE.
//
// The session owns the goroutine that makes the spares and waits for it
// when it ends, then removes those unused; a crash leaves at most
// maxSpares empty files per session in staging, which start-up clears.
type spareFiles struct {
	mu     sync.Mutex
	files  []*os.File    // empty, and durable in staging
	making chan struct{} // closed when the batch being made is ready; nil if none is
	batch  int           // how many the last batch made
	wg     sync.WaitGroup
	dir    *os.File // staging, opened once for the fsyncs of acknowledgements
}

const (
	firstSpares = 2
	maxSpares   = 16
)

// stagingFile returns a new staging file for an upload into the outbox: a
// spare if there is one, otherwise one made now. durable says whether
// its name is durable in staging.
func (s *session) stagingFile() (f *os.File, durable bool, err error) {
	sp := &s.spare
	sp.mu.Lock()
	if making := sp.making; len(sp.files) == 0 && making != nil {
		sp.mu.Unlock()
		<-making
		sp.mu.Lock()
	}
	if n := len(sp.files); n > 0 {
		f = sp.files[n-1]
		sp.files = sp.files[:n-1]
	}
	sp.mu.Unlock()
	if f != nil {
		return f, true, nil
	}
	f, err = newStagingFile(s.srv.spool.Dir(s.view.box, spool.Staging))
	return f, false, err
}

// makeSpares starts making the next batch of spares, unless more than
// half of the last is left or a batch is being made.
func (s *session) makeSpares() {
	sp := &s.spare
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if sp.making != nil || len(sp.files) > sp.batch/2 {
		return
	}
	n := min(max(2*sp.batch, firstSpares), maxSpares)
	making := make(chan struct{})
	sp.making = making
	sp.wg.Go(func() {
		made, err := s.newSpares(n)
		sp.mu.Lock()
		defer sp.mu.Unlock()
		defer close(making)
		sp.making = nil
		if err != nil { // the next OPENs make their own, and report why if they fail too
			s.log.Warn().Err(err).Msg("making spare staging files failed")
			return
		}
		sp.files = append(sp.files, made...) // empty: only this goroutine fills it, and one runs at a time
		sp.batch = n
	})
}

// newSpares makes n empty staging files and fsyncs staging. It returns
// none if any fails.
func (s *session) newSpares(n int) ([]*os.File, error) {
	dir, err := s.stagingDir()
	if err != nil {
		return nil, err
	}
	made := make([]*os.File, 0, n)
	for range n {
		f, e := newStagingFile(dir.Name())
		if e != nil {
			err = e
			break
		}
		made = append(made, f)
	}
	if err == nil {
		err = s.srv.syncer.Sync(dir)
	}
	if err != nil {
		return nil, errors.Join(err, removeFiles(made))
	}
	return made, nil
}

// removeFiles closes and removes files.
func removeFiles(files []*os.File) error {
	var errs []error
	for _, f := range files {
		f.Close()
		if err := os.Remove(f.Name()); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// stagingDir returns staging, open for fsyncs, until the session ends.
func (s *session) stagingDir() (*os.File, error) {
	sp := &s.spare
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if sp.dir == nil {
		d, err := os.Open(s.srv.spool.Dir(s.view.box, spool.Staging))
		if err != nil {
			return nil, err
		}
		sp.dir = d
	}
	return sp.dir, nil
}

// dropSpares waits for spares being made and removes those unused: the
// session has ended.
func (s *session) dropSpares() {
	sp := &s.spare
	sp.wg.Wait()
	sp.mu.Lock()
	defer sp.mu.Unlock()
	removeFiles(sp.files) // best effort: start-up clears what is left
	sp.files = nil
	if sp.dir != nil {
		sp.dir.Close()
		sp.dir = nil
	}
}
