package sftpd

import (
	"os"
	"sync"

	"github.com/s2sd/s2sd/spool"
)

// spareFile is an empty staging file a session makes ahead of its next
// upload into /outbox, so that the next OPEN need not wait for the
// filesystem to create a file. A phase transfer's OPENs come one after
// another in one session; creating a file costs 60-400 µs on the ext4
// without a journal that s2sd-bench runs on (its inode allocator walks
// the inodes freed in the last half minute), a tenth of a small file's
// acknowledgement.
//
// The spare is made just after each acknowledgement, while the client
// reads the answer and opens its next file, rather than at the OPEN it
// is for, where it ran beside the WRITEs and CLOSE: 1,000 CTFs in one
// session were routed in 1.42 and 1.48 s against 1.53 and 1.56 s, in
// four sessions in 905 and 941 against 975 and 974 ms (s2sd-bench -quick
// -only phase, the two builds alternating in the same runs).
//
// The session owns the goroutine that makes the spare and waits for it
// when it ends, then removes an unused spare; a crash leaves at most one
// empty file per session in staging, which start-up clears.
type spareFile struct {
	mu     sync.Mutex
	f      *os.File
	making bool
	wg     sync.WaitGroup
	dir    *os.File // staging, opened once for the fsyncs of acknowledgements
}

// stagingFile returns a new staging file for an upload into the outbox:
// the spare if there is one, otherwise one made now.
func (s *session) stagingFile() (*os.File, error) {
	s.spare.mu.Lock()
	f := s.spare.f
	s.spare.f = nil
	s.spare.mu.Unlock()
	if f != nil {
		return f, nil
	}
	return newStagingFile(s.srv.spool.Dir(s.view.box, spool.Staging))
}

// makeSpare starts making the next upload's staging file, unless there is
// one or one is being made.
func (s *session) makeSpare() {
	dir := s.srv.spool.Dir(s.view.box, spool.Staging)
	sp := &s.spare
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if sp.making || sp.f != nil {
		return
	}
	sp.making = true
	sp.wg.Go(func() {
		next, err := newStagingFile(dir)
		sp.mu.Lock()
		defer sp.mu.Unlock()
		sp.making = false
		if err == nil { // else the next OPEN makes its own, and reports why if it fails too
			sp.f = next // empty: only this goroutine fills it, and one runs at a time
		}
	})
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

// dropSpare waits for a spare being made and removes it: the session has
// ended.
func (s *session) dropSpare() {
	s.spare.wg.Wait()
	s.spare.mu.Lock()
	defer s.spare.mu.Unlock()
	if f := s.spare.f; f != nil {
		f.Close()
		os.Remove(f.Name())
		s.spare.f = nil
	}
	if s.spare.dir != nil {
		s.spare.dir.Close()
		s.spare.dir = nil
	}
}
