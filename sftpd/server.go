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
	log     zerolog.Logger
	now     func() time.Time
	ssh     *ssh.ServerConfig

	addrGuard  *auth.AddressGuard // failures per source address
	loginGuard *auth.AddressGuard // failures per unknown login

	boxes boxes

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
	Log      zerolog.Logger
	Now      func() time.Time
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
	s := &Server{
		cfg: cfg, ledger: d.Ledger, hasher: d.Hasher, spool: d.Spool, checker: d.Checker, events: d.Events, lost: d.Lost, reports: d.Reports,
		log: d.Log, now: d.Now,
		addrGuard:  auth.NewAddressGuard(cfg.AddressLockout),
		loginGuard: auth.NewAddressGuard(cfg.Lockout),
		conns:      make(map[net.Conn]struct{}),
		perAddr:    make(map[string]int),
	}
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

// Close stops accepting, waits for sessions to end until ctx is done, then
// closes the remaining connections (their unfinished uploads are
// discarded) and waits for every goroutine.
func (s *Server) Close(ctx context.Context) error {
	if s.ln == nil {
		return nil
	}
	s.cancel()
	s.ln.Close()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
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
