// Package sftpd is s2sd's SSH and SFTP front end: it authenticates users
// against the ledger and serves each one a chrooted view of its mailbox
// over pkg/sftp's request server.
package sftpd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/crypto/ssh"

	"github.com/s2sd/s2sd/auth"
	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/spool"
)

// Config configures the server.
type Config struct {
	Listen             string
	HandshakeTimeout   time.Duration
	MaxAuthTries       int
	MaxConnsPerAddress int
	MaxConns           int
	KeyExchanges       []string
	Ciphers            []string
	MACs               []string
	TempSuffixes       []string
	RecentWindow       time.Duration
	MinPasswordLength  int
	Lockout            auth.Backoff // per account
	AddressLockout     auth.Backoff // per source address
}

// Server is the SSH/SFTP server. Open it with New, start it with Listen,
// and stop it with Close.
type Server struct {
	cfg     Config
	ledger  *ledger.Ledger
	hasher  *auth.Hasher
	spool   spool.Layout
	checker UploadChecker
	events  Events
	lost    LostPupils
	reports Reports

	withdrawals Withdrawals
	messages    Documents
	admin       Documents
	metrics     Metrics
	log         zerolog.Logger
	now         func() time.Time
	ssh         *ssh.ServerConfig

	addrGuard  *auth.AddressGuard // failures per source address
	loginGuard *auth.AddressGuard // failures per unknown login

	boxes  boxes
	syncer *spool.Syncer // CLOSE's fsyncs of a small upload and its staging

	ln     net.Listener
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	conns   map[net.Conn]struct{}
	perAddr map[string]int
}

// Deps are the server's collaborators.
type Deps struct {
	Ledger   *ledger.Ledger
	Hasher   *auth.Hasher
	Spool    spool.Layout
	HostKeys []ssh.Signer
	Checker  UploadChecker
	Events   Events     // nil: NoEvents
	Lost     LostPupils // the Lost Pupil Database, for LA lost-pupil roles
	Reports  Reports    // nil: no /reports
	// Withdrawals, if set, gives LA users /withdraw/.
	Withdrawals Withdrawals
	// Messages, if set, gives mailbox users /messages/.
	Messages Documents
	// Admin, if set, gives LA database administrators /admin/.
	Admin   Documents
	Metrics Metrics // nil: NoMetrics
	Log     zerolog.Logger
	Now     func() time.Time
}

// New returns a server ready to Listen.
func New(cfg Config, d Deps) (*Server, error) {
	if len(d.HostKeys) == 0 {
		return nil, errors.New("sftpd: no host keys")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Events == nil {
		d.Events = NoEvents{}
	}
	if d.Metrics == nil {
		d.Metrics = NoMetrics{}
	}
	s := &Server{
		cfg: cfg, ledger: d.Ledger, hasher: d.Hasher, spool: d.Spool, checker: d.Checker, events: d.Events, lost: d.Lost, reports: d.Reports, withdrawals: d.Withdrawals,
		messages: d.Messages, admin: d.Admin,
		log: d.Log, now: d.Now,
		addrGuard:  auth.NewAddressGuard(cfg.AddressLockout),
		loginGuard: auth.NewAddressGuard(cfg.Lockout),
		conns:      make(map[net.Conn]struct{}),
		perAddr:    make(map[string]int),
		syncer:     spool.NewSyncer(),
	}
	s.metrics = d.Metrics
	s.ssh = s.serverConfig(d.HostKeys)
	return s, nil
}

// Listen binds the listen address and starts accepting connections.
func (s *Server) Listen(ctx context.Context) error {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("sftpd: %w", err)
	}
	s.ln = ln
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wg.Add(1)
	go s.acceptLoop()
	s.log.Info().Str("listen", ln.Addr().String()).Msg("SFTP server listening")
	return nil
}

// Addr returns the bound address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if s.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Warn().Err(err).Msg("accept failed")
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if !s.admit(c) {
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.release(c)
			s.handleConn(c)
		}()
	}
}

// admit applies the connection limits, overall and per source address.
func (s *Server) admit(c net.Conn) bool {
	host := remoteHost(c.RemoteAddr())
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.conns) >= s.cfg.MaxConns || s.perAddr[host] >= s.cfg.MaxConnsPerAddress {
		s.log.Warn().Str(logRemote, host).Msg("connection refused: too many connections")
		c.Close()
		return false
	}
	s.conns[c] = struct{}{}
	s.perAddr[host]++
	return true
}

func (s *Server) release(c net.Conn) {
	c.Close()
	host := remoteHost(c.RemoteAddr())
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
	if s.perAddr[host]--; s.perAddr[host] <= 0 {
		delete(s.perAddr, host)
	}
}

// Close stops accepting and refuses new uploads, closes at once every
// connection with no upload in flight, and lets the others finish their
// uploads until ctx is done (see drain). Then it closes the remaining
// connections (their unfinished uploads are discarded) and waits for
// every goroutine.
func (s *Server) Close(ctx context.Context) error {
	defer s.syncer.Close()
	if s.ln == nil {
		return nil
	}
	s.cancel()
	s.ln.Close()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	s.drain(ctx, done)
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	<-done
	return nil
}

func remoteHost(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// Shutdown of sessions. A connection is busy while its sessions have an
// upload in the registry (s.boxes): a handle open on it, or a temporary
// name closed and awaiting its rename. drain closes each connection once
// it is not busy: idle ones at once, busy ones when their uploads have
// been acknowledged (or discarded) and they have stayed idle for
// drainLinger, so that a client can still stat what it has just sent.

// drainLinger is how long a connection that was busy at shutdown may stay
// idle before drain closes it.
const drainLinger = time.Second

// drainTick is how often drain looks at the connections.
const drainTick = 50 * time.Millisecond

// drain closes connections as they stop being busy, until every
// connection has ended (done is closed) or ctx is done.
func (s *Server) drain(ctx context.Context, done <-chan struct{}) {
	tick := time.NewTicker(drainTick)
	defer tick.Stop()
	lastBusy := map[net.Conn]time.Time{} // connections busy at some tick
	for {
		now := time.Now()
		busy := s.busyConns()
		s.mu.Lock()
		for c := range s.conns {
			switch {
			case busy[c]:
				lastBusy[c] = now
			case lastBusy[c].IsZero() || now.Sub(lastBusy[c]) >= drainLinger:
				c.Close() // again, harmlessly, until its goroutine releases it
			}
		}
		s.mu.Unlock()
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// busyConns returns the connections with an upload in flight.
func (s *Server) busyConns() map[net.Conn]bool {
	s.boxes.mu.Lock()
	states := make([]*boxState, 0, len(s.boxes.m))
	for _, b := range s.boxes.m {
		states = append(states, b)
	}
	s.boxes.mu.Unlock()
	busy := map[net.Conn]bool{}
	for _, b := range states {
		b.mu.Lock()
		for _, u := range b.uploads {
			busy[u.sess.conn] = true
		}
		b.mu.Unlock()
	}
	return busy
}
