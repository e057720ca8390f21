package auth

import (
	"sync"
	"time"
)

// Backoff is the lockout policy: Threshold consecutive failures lock for
// Base, doubling with each further lockout up to Max.
type Backoff struct {
	Failures int
	Base     time.Duration
	Max      time.Duration
}

// Threshold implements ledger.LockoutPolicy.
func (b Backoff) Threshold() int { return b.Failures }

// Duration returns how long the n-th lockout (from 0) lasts.
func (b Backoff) Duration(n int) time.Duration {
	d := b.Base
	for i := 0; i < n && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// AddressGuard tracks failed logins per source address in memory and locks
// an address out with the same back-off as accounts.
type AddressGuard struct {
	policy Backoff
	mu     sync.Mutex
	addrs  map[string]*addrState
}

type addrState struct {
	failures int
	lockouts int
	until    time.Time
	last     time.Time
}

// NewAddressGuard returns an empty guard.
func NewAddressGuard(p Backoff) *AddressGuard {
	return &AddressGuard{policy: p, addrs: make(map[string]*addrState)}
}

// LockedUntil returns when addr's lockout ends, or zero if it is not locked.
func (g *AddressGuard) LockedUntil(addr string, now time.Time) time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	if s := g.addrs[addr]; s != nil && now.Before(s.until) {
		return s.until
	}
	return time.Time{}
}

// Failed records a failure from addr and returns the lockout end if this
// failure locked it.
func (g *AddressGuard) Failed(addr string, now time.Time) time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sweep(now)
	s := g.addrs[addr]
	if s == nil {
		s = &addrState{}
		g.addrs[addr] = s
	}
	s.last = now
	s.failures++
	if s.failures < g.policy.Failures {
		return time.Time{}
	}
	s.until = now.Add(g.policy.Duration(s.lockouts))
	s.lockouts++
	s.failures = 0
	return s.until
}

// Succeeded clears addr's failures.
func (g *AddressGuard) Succeeded(addr string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.addrs, addr)
}

// Unlock clears every address lockout.
func (g *AddressGuard) Unlock() {
	g.mu.Lock()
	defer g.mu.Unlock()
	clear(g.addrs)
}

// sweep forgets addresses idle for longer than the longest lockout, so the
// map stays bounded by recent attackers.
func (g *AddressGuard) sweep(now time.Time) {
	if len(g.addrs) < 1024 {
		return
	}
	for a, s := range g.addrs {
		if now.Sub(s.last) > g.policy.Max && now.After(s.until) {
			delete(g.addrs, a)
		}
	}
}
