package mailer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/rs/zerolog"
	gosmtp "github.com/wneessen/go-mail/smtp"

	"github.com/s2sd/s2sd/ledger"
)

const testFrom = "S2S transfer service <s2s@example.gov.uk>"

func newSMTP(t *testing.T, cfg SMTP) *SMTPTransport {
	t.Helper()
	tr, err := NewSMTP(cfg, testFrom)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// Every notice goes through the outbox and a real SMTP server, over
// STARTTLS with AUTH PLAIN, to exactly its recipients, with its subject
// and body intact.
func TestSMTPDeliversEveryNotice(t *testing.T) {
	for _, implicit := range []bool{false, true} {
		t.Run(map[bool]string{false: "starttls", true: "implicit tls"}[implicit], func(t *testing.T) {
			srv := newRelay(t, implicit)
			srv.Start()
			l := openLedger(t, "")
			ctx := context.Background()
			ms := sampleNotices(sampleInputs)
			if err := l.EnqueueMail(ctx, Mails(t0, ms...)...); err != nil {
				t.Fatal(err)
			}
			clock := newClock(t0)
			w := New(testConfig(), l, newSMTP(t, srv.config()), testLog(t), clock.Now)
			n, err := w.DeliverDue(ctx)
			if err != nil || n != len(ms) {
				t.Fatalf("DeliverDue = %d, %v; want %d", n, err, len(ms))
			}
			if q, f := depth(t, l); q != 0 || f != 0 {
				t.Fatalf("queue depth %d queued, %d failed; want 0, 0", q, f)
			}

			got := map[string]received{}
			for _, r := range srv.received() {
				s := r.subject(t)
				if _, dup := got[s]; dup {
					t.Fatalf("%q received twice", s)
				}
				got[s] = r
			}
			if len(got) != len(ms) {
				t.Fatalf("%d messages received, want %d", len(got), len(ms))
			}
			stored := mustMails(t, l, ledger.MailFilter{})
			for i, m := range ms {
				r, ok := got[m.Subject]
				if !ok {
					t.Errorf("%q not received", m.Subject)
					continue
				}
				if !r.TLS || !r.Authed {
					t.Errorf("%q: TLS %v, authenticated %v", m.Subject, r.TLS, r.Authed)
				}
				if r.From != "s2s@example.gov.uk" {
					t.Errorf("%q: MAIL FROM %q", m.Subject, r.From)
				}
				if !slices.Equal(r.Rcpts, m.To) {
					t.Errorf("%q: RCPT TO %q, want %q", m.Subject, r.Rcpts, m.To)
				}
				msg, body := r.parse(t)
				to, err := msg.Header.AddressList("To")
				if err != nil {
					t.Fatal(err)
				}
				var hdr []string
				for _, a := range to {
					hdr = append(hdr, a.Address)
				}
				if !slices.Equal(hdr, m.To) {
					t.Errorf("%q: To header %q, want %q", m.Subject, hdr, m.To)
				}
				if body != m.Body {
					t.Errorf("%q: body differs:\n--- got\n%s\n--- want\n%s", m.Subject, body, m.Body)
				}
				id := stored[i].ID
				if want := "<s2sd." + strconv.FormatInt(id, 10) + "."; !strings.HasPrefix(msg.Header.Get("Message-ID"), want) {
					t.Errorf("%q: Message-ID %q, want it to start %q", m.Subject, msg.Header.Get("Message-ID"), want)
				}
				if stored[i].State != ledger.MailStateSent || stored[i].Attempts != 1 || !stored[i].SentAt.Equal(t0) {
					t.Errorf("%q: stored as %s after %d attempts, sent %s", m.Subject, stored[i].State, stored[i].Attempts, stored[i].SentAt)
				}
			}
			// The temporary password left the outbox with the notice.
			for _, m := range mustMails(t, l, ledger.MailFilter{Kind: KindNewUserPassword}) {
				if strings.Contains(m.Body, "Tq7-vRk2-Lm9x-Wd4p") {
					t.Errorf("the sent password notice still holds the password: %q", m.Body)
				}
			}
		})
	}
}

// A recipient the server refuses for good (550) is kept apart: a mail to
// it alone fails, a mail to it and others reaches the others, and nothing
// else is held up. A 4xx refusal is temporary.
func TestSMTPRefusals(t *testing.T) {
	srv := startTestServer(t)
	srv.Refuse("nobody@ampthill.beds.sch.uk", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"})
	srv.Refuse("full@ampthill.beds.sch.uk", &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "mailbox full"})
	l := openLedger(t, "")
	ctx := context.Background()
	mk := func(subject string, to ...string) ledger.Mail {
		return ledger.Mail{CreatedAt: t0, Kind: "test", To: to, Subject: subject, Body: "body\n"}
	}
	err := l.EnqueueMail(ctx,
		mk("good", "office@ampthill.beds.sch.uk"),
		mk("refused", "nobody@ampthill.beds.sch.uk"),
		mk("partly", "nobody@ampthill.beds.sch.uk", "office@ampthill.beds.sch.uk"),
		mk("later", "full@ampthill.beds.sch.uk", "office@ampthill.beds.sch.uk"),
		mk("also good", "head@ampthill.beds.sch.uk"),
	)
	if err != nil {
		t.Fatal(err)
	}
	w := New(testConfig(), l, newSMTP(t, srv.config()), testLog(t), newClock(t0).Now)
	if n, err := w.DeliverDue(ctx); err != nil || n != 5 {
		t.Fatalf("DeliverDue = %d, %v", n, err)
	}
	// Go quotes the server's text in a reply error: 550 "5.1.1 no such user".
	for _, tc := range []struct {
		subject, state, lastError string
	}{
		{"good", ledger.MailStateSent, ""},
		{"refused", ledger.MailStateFailed, `refused for good: nobody@ampthill.beds.sch.uk: 550 "5.1.1 no such user"`},
		{"partly", ledger.MailStateSent, `delivered to the other recipients; refused for good: nobody@ampthill.beds.sch.uk: 550 "5.1.1 no such user"`},
		{"later", ledger.MailStateQueued, `RCPT TO full@ampthill.beds.sch.uk: 452 "4.2.2 mailbox full"`},
		{"also good", ledger.MailStateSent, ""},
	} {
		var m ledger.Mail
		for _, x := range mustMails(t, l, ledger.MailFilter{}) {
			if x.Subject == tc.subject {
				m = x
			}
		}
		if m.State != tc.state || m.LastError != tc.lastError {
			t.Errorf("%q: state %s, last error %q; want %s, %q", tc.subject, m.State, m.LastError, tc.state, tc.lastError)
		}
	}
	if q, f := depth(t, l); q != 1 || f != 1 {
		t.Errorf("queue depth %d, %d; want 1 queued, 1 failed", q, f)
	}
	counts := srv.bySubject(t)
	if len(counts) != 3 || counts["good"] != 1 || counts["partly"] != 1 || counts["also good"] != 1 {
		t.Errorf("received %v; want good, partly and also good once each", counts)
	}
	for _, r := range srv.received() {
		if r.subject(t) == "partly" && !slices.Equal(r.Rcpts, []string{"office@ampthill.beds.sch.uk"}) {
			t.Errorf("partly went to %q", r.Rcpts)
		}
	}
}

// Faults of the configuration or the connection are temporary, whatever
// the server's code: fixing them lets the queue drain.
func TestSMTPConnectionFaultsAreTemporary(t *testing.T) {
	srv := startTestServer(t)
	down := newTestServer(t) // never started
	m := Message{ID: 7, Date: t0, Kind: "test", To: []string{"office@ampthill.beds.sch.uk"}, Subject: "s", Body: "b"}
	for _, tc := range []struct {
		name string
		cfg  func(SMTP) SMTP
		want string
	}{
		{"wrong password", func(c SMTP) SMTP { c.Password = "wrong"; return c }, "535"},
		{"untrusted certificate", func(c SMTP) SMTP { c.CAFile = ""; return c }, "certificate"},
		{"no TLS, so the server offers no AUTH", func(c SMTP) SMTP { c.TLS = TLSNone; return c }, "offers no AUTH mechanism"},
		{"server down", func(SMTP) SMTP { return down.config() }, "connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg(srv.config())
			tr := newSMTP(t, cfg)
			err := tr.Send(context.Background(), m)
			if err == nil || Permanent(err) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Send: %v (permanent %v); want a temporary error mentioning %q", err, Permanent(err), tc.want)
			}
		})
	}
	if n := len(srv.received()); n != 0 {
		t.Fatalf("%d messages received", n)
	}
}

// The password reaches neither the logs nor a printed config.
func TestSMTPPasswordNeverShown(t *testing.T) {
	srv := startTestServer(t)
	cfg := Default()
	cfg.SMTP = srv.config()
	cfg.SMTP.Password = Secret(testPass + "-wrong")
	for _, s := range []string{
		fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), fmt.Sprintf("%s %q %x", cfg.SMTP.Password, cfg.SMTP.Password, cfg.SMTP.Password),
	} {
		if strings.Contains(s, testPass) || strings.Contains(s, fmt.Sprintf("%x", testPass)) {
			t.Fatalf("the password shows in %s", s)
		}
	}
	var logs bytes.Buffer
	l := openLedger(t, "")
	ctx := context.Background()
	if err := l.EnqueueMail(ctx, ledger.Mail{CreatedAt: t0, Kind: "test", To: []string{"a@b.sch.uk"}, Subject: "s", Body: "b"}); err != nil {
		t.Fatal(err)
	}
	tr, err := cfg.NewTransport(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	w := New(testConfig(), l, tr, zerolog.New(&logs).Level(zerolog.TraceLevel), newClock(t0).Now)
	if n, err := w.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("DeliverDue = %d, %v", n, err)
	}
	if !strings.Contains(logs.String(), "535") {
		t.Fatalf("the failure was not logged: %s", logs.String())
	}
	if strings.Contains(logs.String(), testPass) {
		t.Fatalf("the password was logged: %s", logs.String())
	}
	ms := mustMails(t, l, ledger.MailFilter{})
	if strings.Contains(ms[0].LastError, testPass) {
		t.Fatalf("the password was stored: %s", ms[0].LastError)
	}
}

func TestPermanent(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("dial tcp 127.0.0.1:25: connect: connection refused"), false},
		{context.DeadlineExceeded, false},
		{&textproto.Error{Code: 550, Msg: "5.1.1 no such user"}, true},
		{&textproto.Error{Code: 451, Msg: "4.3.0 try later"}, false},
		{classify("DATA", &textproto.Error{Code: 554, Msg: "5.6.0 content refused"}), true},
		{classify("DATA", &textproto.Error{Code: 421, Msg: "4.4.2 bye"}), false},
		{temporary("connect", fmt.Errorf("SMTP AUTH failed: %w", &textproto.Error{Code: 535, Msg: "5.7.8 bad"})), false},
		{classify("RCPT TO a@b", &smtp.SMTPError{Code: 550, Message: "no"}), false}, // not a reply the client parsed: unknown, so temporary
		{&DeliveryError{Code: 550, Permanent: true, Err: errors.New("550")}, true},
		{&DeliveryError{Code: 535, Permanent: false, Err: errors.New("535")}, false},
		{fmt.Errorf("wrapped: %w", &DeliveryError{Code: 554, Permanent: true, Err: errors.New("554")}), true},
		{&RefusedError{Refused: map[string]error{"a@b": errors.New("550")}}, true},
	} {
		if got := Permanent(tc.err); got != tc.want {
			t.Errorf("Permanent(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// Without TLS, the password is only sent by a challenge-response
// mechanism, except to a server on loopback.
func TestAutoAuth(t *testing.T) {
	for _, tc := range []struct {
		name   string
		server gosmtp.ServerInfo
		want   string // the mechanism, or a piece of the error
	}{
		{"TLS, PLAIN", gosmtpInfo("relay.example", true, "PLAIN", "LOGIN"), "PLAIN"},
		{"TLS, LOGIN only", gosmtpInfo("relay.example", true, "LOGIN"), "LOGIN"},
		{"TLS, SCRAM preferred", gosmtpInfo("relay.example", true, "PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256"), "SCRAM-SHA-256"},
		{"clear, PLAIN refused", gosmtpInfo("relay.example", false, "PLAIN", "LOGIN"), "keeps the password safe"},
		{"clear, CRAM-MD5 taken", gosmtpInfo("relay.example", false, "PLAIN", "CRAM-MD5"), "CRAM-MD5"},
		{"clear on loopback, PLAIN", gosmtpInfo("127.0.0.1", false, "PLAIN"), "PLAIN"},
		{"nothing known", gosmtpInfo("relay.example", true, "XOAUTH2"), "offers no AUTH mechanism s2sd speaks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &autoAuth{user: testUser, pass: testPass}
			mech, resp, err := a.Start(&tc.server)
			got := mech
			if err != nil {
				got = err.Error()
			}
			if !strings.Contains(got, tc.want) {
				t.Fatalf("Start = %q, %v; want %q", mech, err, tc.want)
			}
			if mech == "PLAIN" && string(resp) != "\x00"+testUser+"\x00"+testPass {
				t.Fatalf("PLAIN response %q", resp)
			}
		})
	}
}

func gosmtpInfo(name string, tls bool, mechs ...string) gosmtp.ServerInfo {
	return gosmtp.ServerInfo{Name: name, TLS: tls, Auth: mechs}
}
