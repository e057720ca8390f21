package mailer

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/rs/zerolog"

	"github.com/s2sd/s2sd/ledger"
)

// A real SMTP server on loopback, built with emersion/go-smtp: STARTTLS
// with a certificate made for the test, AUTH PLAIN, and a backend that
// records each message it accepts.

const (
	testUser = "s2sd-relay"
	testPass = "relay-secret-9f2c"
)

// received is one message the test server accepted.
type received struct {
	From   string
	Rcpts  []string
	Data   []byte
	TLS    bool
	Authed bool
}

// header returns the message's header, parsed.
func (r received) parse(t *testing.T) (*mail.Message, string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(r.Data))
	if err != nil {
		t.Fatalf("received message is not RFC 5322: %v\n%s", err, r.Data)
	}
	raw, err := io.ReadAll(msg.Body)
	if err != nil {
		t.Fatal(err)
	}
	body := string(raw)
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		dec, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(raw)))
		if err != nil {
			t.Fatal(err)
		}
		body = string(dec)
	}
	return msg, strings.ReplaceAll(body, "\r\n", "\n")
}

func (r received) subject(t *testing.T) string {
	msg, _ := r.parse(t)
	s, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type testServer struct {
	t        *testing.T
	addr     string
	caFile   string
	tls      *tls.Config
	delay    time.Duration // before accepting each message's data
	implicit bool          // implicit TLS rather than STARTTLS

	mu     sync.Mutex
	srv    *smtp.Server
	msgs   []received
	refuse map[string]*smtp.SMTPError // by recipient
}

// newTestServer makes a server with its certificate, on a free loopback
// port, not yet listening.
func newTestServer(t *testing.T) *testServer {
	t.Helper()
	cert, caPEM := selfSigned(t)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s := &testServer{t: t, addr: addr, caFile: caFile, refuse: map[string]*smtp.SMTPError{},
		tls: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}
	t.Cleanup(s.stop)
	return s
}

// startTestServer makes a server and starts it.
func startTestServer(t *testing.T) *testServer {
	s := newTestServer(t)
	s.start()
	return s
}

func (s *testServer) start() {
	s.t.Helper()
	l, err := net.Listen("tcp", s.addr)
	if err != nil {
		s.t.Fatal(err)
	}
	if s.implicit {
		l = tls.NewListener(l, s.tls)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &testSession{s: s, c: c}, nil
	}))
	srv.Domain = "localhost"
	srv.TLSConfig = s.tls
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.ErrorLog = discardLog{}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	go srv.Serve(l)
}

func (s *testServer) stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

func (s *testServer) received() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.msgs)
}

// config returns the SMTP settings for s: STARTTLS, mandatory, with AUTH.
func (s *testServer) config() SMTP {
	host, port, _ := net.SplitHostPort(s.addr)
	p, _ := strconv.Atoi(port)
	mode := TLSStartTLS
	if s.implicit {
		mode = TLSImplicit
	}
	return SMTP{Host: host, Port: p, TLS: mode, Username: testUser, Password: testPass,
		CAFile: s.caFile, Timeout: 5 * time.Second}
}

// bySubject counts the messages received with each subject.
func (s *testServer) bySubject(t *testing.T) map[string]int {
	out := map[string]int{}
	for _, r := range s.received() {
		out[r.subject(t)]++
	}
	return out
}

type testSession struct {
	s      *testServer
	c      *smtp.Conn
	authed bool
	from   string
	rcpts  []string
}

func (ss *testSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *testSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != testUser || password != testPass {
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *testSession) Mail(from string, _ *smtp.MailOptions) error {
	if !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *testSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	refuse := ss.s.refuse[to]
	ss.s.mu.Unlock()
	if refuse != nil {
		return refuse
	}
	ss.rcpts = append(ss.rcpts, to)
	return nil
}

func (ss *testSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if ss.s.delay > 0 {
		time.Sleep(ss.s.delay)
	}
	_, isTLS := ss.c.TLSConnectionState()
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, received{From: ss.from, Rcpts: slices.Clone(ss.rcpts), Data: data, TLS: isTLS, Authed: ss.authed})
	ss.s.mu.Unlock()
	return nil
}

func (ss *testSession) Reset()        { ss.from, ss.rcpts = "", nil }
func (ss *testSession) Logout() error { return nil }

type discardLog struct{}

func (discardLog) Printf(string, ...any) {}
func (discardLog) Println(...any)        {}

// selfSigned returns a certificate for 127.0.0.1 and localhost, and its
// PEM for the client to trust.
func selfSigned(t *testing.T) (tls.Certificate, []byte) {
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

// fakeClock is an injected clock that moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *fakeClock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// openLedger opens a ledger file in a fresh folder.
func openLedger(t testing.TB, path string) *ledger.Ledger {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "ledger.db")
	}
	l, err := ledger.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// testConfig is the worker's config for tests: no jitter, so that the
// schedule is exact.
func testConfig() Mail {
	c := Default()
	c.Jitter = 0
	return c
}

// testLog returns a logger writing into the test's log.
func testLog(t *testing.T) zerolog.Logger {
	return zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
}

// waitFor polls cond until it holds, failing the test after a while.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func mustMails(t *testing.T, l *ledger.Ledger, f ledger.MailFilter) []ledger.Mail {
	t.Helper()
	ms, err := l.Mails(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func depth(t *testing.T, l *ledger.Ledger) (queued, failed int) {
	t.Helper()
	q, f, err := l.MailQueueDepth(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return q, f
}

var errTemporary = errors.New("451 4.3.0 try again later")
