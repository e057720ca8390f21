package mailer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/s2sd/s2sd/internal/smtptest"
	"github.com/s2sd/s2sd/ledger"
)

// The tests' SMTP relay is a real server on loopback (internal/smtptest):
// STARTTLS with a certificate made for the test, AUTH PLAIN, and a record
// of each message it accepts.
const (
	testUser = "s2sd-relay"
	testPass = "relay-secret-9f2c"
)

// received is one message the test server accepted.
type received smtptest.Message

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

// testServer is the relay.
type testServer struct {
	*smtptest.Server
	implicit bool // implicit TLS rather than STARTTLS
}

// newTestServer makes a server with its certificate, on a free loopback
// port, not yet listening.
func newTestServer(t *testing.T) *testServer { return newRelay(t, false) }

// newRelay is newTestServer, with implicit TLS if implicit is set.
func newRelay(t *testing.T, implicit bool) *testServer {
	t.Helper()
	return &testServer{smtptest.New(t, smtptest.Options{TLS: true, Implicit: implicit, User: testUser, Password: testPass}), implicit}
}

// startTestServer makes a server and starts it.
func startTestServer(t *testing.T) *testServer {
	s := newTestServer(t)
	s.Start()
	return s
}

func (s *testServer) received() []received {
	var out []received
	for _, m := range s.Received() {
		out = append(out, received(m))
	}
	return out
}

// config returns the SMTP settings for s: TLS, mandatory, with AUTH.
func (s *testServer) config() SMTP { return relayConfig(s.Addr, s.CAFile, s.implicit) }

// relayConfig returns the SMTP settings for the relay at addr, trusting
// the certificate in caFile.
func relayConfig(addr, caFile string, implicit bool) SMTP {
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	mode := TLSStartTLS
	if implicit {
		mode = TLSImplicit
	}
	return SMTP{Host: host, Port: p, TLS: mode, Username: testUser, Password: testPass,
		CAFile: caFile, Timeout: 5 * time.Second}
}

// bySubject counts the messages received with each subject.
func (s *testServer) bySubject(t *testing.T) map[string]int {
	out := map[string]int{}
	for _, r := range s.received() {
		out[r.subject(t)]++
	}
	return out
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
