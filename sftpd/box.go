package sftpd

import (
	"sync"
	"time"
)

// boxState is the in-memory state of one mailbox's outbox shared by all of
// its sessions: uploads in progress and files just sent.
type boxState struct {
	mu      sync.Mutex
	uploads map[string]*upload     // by client name
	recent  map[string]sent        // by name
	kept    map[string]*keptUpload // uploads into kept folders, by virtual path; see kept.go
	pruneAt time.Time              // when recentLocked next drops expired entries
}

// sent is a file just acknowledged, kept visible read-only in /outbox for
// a while after it has been routed away.
type sent struct {
	size    int64
	mtime   time.Time
	expires time.Time
}

// boxes holds the state of every mailbox with sessions or recent uploads.
type boxes struct {
	mu sync.Mutex
	m  map[string]*boxState
}

func (b *boxes) get(box string) *boxState {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = make(map[string]*boxState)
	}
	s := b.m[box]
	if s == nil {
		s = &boxState{uploads: make(map[string]*upload), recent: make(map[string]sent)}
		b.m[box] = s
	}
	return s
}

// recentLocked returns the just-sent entry for name, if it has not
// expired.
func (s *boxState) recentLocked(name string, now time.Time) (sent, bool) {
	if !now.Before(s.pruneAt) {
		s.pruneLocked(now)
	}
	r, ok := s.recent[name]
	if ok && !now.Before(r.expires) {
		delete(s.recent, name)
		return sent{}, false
	}
	return r, ok
}

// pruneInterval is how often recentLocked drops expired entries. Every
// OPEN into /outbox asks for one name, and during a phase transfer the
// outbox has thousands just sent: dropping on every call made the
// transfer's OPENs quadratic.
const pruneInterval = time.Second

// pruneLocked drops the expired entries.
func (s *boxState) pruneLocked(now time.Time) {
	for n, r := range s.recent {
		if !now.Before(r.expires) {
			delete(s.recent, n)
		}
	}
	s.pruneAt = now.Add(pruneInterval)
}
