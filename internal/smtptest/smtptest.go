// Package smtptest runs a real SMTP server on loopback for tests, built
// with emersion/go-smtp: optionally STARTTLS or implicit TLS with a
// certificate made for the test, optionally AUTH PLAIN, recipients
// refused on demand, and a record of every message it accepts. It can be
// stopped and started again on the same port, as a relay that goes down
// and comes back.
package smtptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Options shapes a Server.
type Options struct {
	TLS      bool   // offer STARTTLS with a certificate for 127.0.0.1 and localhost
	Implicit bool   // with TLS: TLS from the first byte instead of STARTTLS
	User     string // if set, require AUTH PLAIN as User with Password before MAIL
	Password string
}

// Message is one message the server accepted.
type Message struct {
	From   string
	Rcpts  []string
	Data   []byte
	TLS    bool
	Authed bool
}

// Server is the SMTP server. Addr is its loopback address, fixed at New;
// CAFile, with TLS, holds the PEM certificate a client must trust.
type Server struct {
	Addr   string
	CAFile string

	t    testing.TB
	opts Options
	tls  *tls.Config

	mu     sync.Mutex
	port   *os.File // the socket New bound, not listening, until the first Start
	srv    *smtp.Server
	msgs   []Message
	refuse map[string]*smtp.SMTPError // by recipient
	delay  time.Duration              // before accepting each message's data
}

// New makes a server on a free loopback port, not yet listening, and
// stops it when the test ends. The port stays bound, refusing
// connections, until the first Start listens on it: released in between,
// it was once taken by another test's connection
// (TestMailKilledMidDelivery: "bind: address already in use").
func New(t testing.TB, o Options) *Server {
	t.Helper()
	port, addr, err := bindLoopback()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: addr, t: t, opts: o, refuse: map[string]*smtp.SMTPError{}, port: port}
	if o.TLS {
		cert, caPEM := selfSigned(t)
		s.CAFile = filepath.Join(t.TempDir(), "ca.pem")
		if err := os.WriteFile(s.CAFile, caPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		s.tls = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	t.Cleanup(s.Stop)
	return s
}

// Start listens on Addr and serves until Stop.
func (s *Server) Start() {
	s.t.Helper()
	s.mu.Lock()
	port := s.port
	s.port = nil
	s.mu.Unlock()
	var l net.Listener
	var err error
	if port != nil {
		l, err = listenOn(port)
	} else {
		l, err = net.Listen("tcp", s.Addr)
	}
	if err != nil {
		s.t.Fatal(err)
	}
	if s.opts.TLS && s.opts.Implicit {
		l = tls.NewListener(l, s.tls)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s, c: c}, nil
	}))
	srv.Domain = "localhost"
	if s.opts.TLS {
		srv.TLSConfig = s.tls
	}
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.ErrorLog = discardLog{}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	go srv.Serve(l)
}

// Stop closes the listener and every connection; Start may follow.
func (s *Server) Stop() {
	s.mu.Lock()
	srv, port := s.srv, s.port
	s.srv, s.port = nil, nil
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
	if port != nil {
		port.Close()
	}
}

// Received returns the messages accepted so far, oldest first.
func (s *Server) Received() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.msgs)
}

// Refuse makes the server answer RCPT TO rcpt with err.
func (s *Server) Refuse(rcpt string, err *smtp.SMTPError) {
	s.mu.Lock()
	s.refuse[rcpt] = err
	s.mu.Unlock()
}

// SetDelay makes the server wait d before accepting each message's data.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	s.delay = d
	s.mu.Unlock()
}

// session is one SMTP connection's transaction.
type session struct {
	s      *Server
	c      *smtp.Conn
	authed bool
	from   string
	rcpts  []string
}

var (
	_ smtp.Session     = (*session)(nil)
	_ smtp.AuthSession = (*session)(nil)
)

func (ss *session) AuthMechanisms() []string {
	if ss.s.opts.User == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		if username != ss.s.opts.User || password != ss.s.opts.Password {
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.opts.User != "" && !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	refuse := ss.s.refuse[to]
	ss.s.mu.Unlock()
	if refuse != nil {
		return refuse
	}
	ss.rcpts = append(ss.rcpts, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	delay := ss.s.delay
	ss.s.mu.Unlock()
	time.Sleep(delay)
	_, isTLS := ss.c.TLSConnectionState()
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, Message{From: ss.from, Rcpts: slices.Clone(ss.rcpts), Data: data, TLS: isTLS, Authed: ss.authed})
	ss.s.mu.Unlock()
	return nil
}

func (ss *session) Reset()        { ss.from, ss.rcpts = "", nil }
func (ss *session) Logout() error { return nil }

type discardLog struct{}

func (discardLog) Printf(string, ...any) {}
func (discardLog) Println(...any)        {}

// selfSigned returns a certificate for 127.0.0.1 and localhost, and its
// PEM for the client to trust.
func selfSigned(t testing.TB) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "s2sd test relay"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return cert, certPEM
}

// bindLoopback binds a TCP socket to a free loopback port without
// listening: the port is the socket's, and a connection to it is refused.
func bindLoopback() (*os.File, string, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, "", err
	}
	f := os.NewFile(uintptr(fd), "smtptest")
	// As net.Listen sets it: a later Start can listen on the port again
	// while connections of the last one linger.
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		f.Close()
		return nil, "", err
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		f.Close()
		return nil, "", err
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		f.Close()
		return nil, "", err
	}
	return f, fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port), nil
}

// listenOn makes the socket bindLoopback bound listen, and closes the
// file (the listener holds its own descriptor).
func listenOn(f *os.File) (net.Listener, error) {
	defer f.Close()
	if err := syscall.Listen(int(f.Fd()), syscall.SOMAXCONN); err != nil {
		return nil, err
	}
	return net.FileListener(f)
}
