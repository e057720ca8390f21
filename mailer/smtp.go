package mailer

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"os"
	"slices"
	"strconv"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// SMTPTransport delivers through a mail server.
//
// It is built on github.com/wneessen/go-mail rather than net/smtp: go-mail
// is actively maintained, handles mandatory and opportunistic STARTTLS and
// implicit TLS, speaks the AUTH mechanisms relays ask for (SCRAM, PLAIN,
// LOGIN, CRAM-MD5) and redacts them from its traces, and composes proper
// MIME with encoded headers and quoted-printable bodies. net/smtp is
// frozen and does none of the MIME work.
//
// The transaction itself (MAIL, RCPT, DATA) is driven here, on go-mail's
// SMTP client, so that a recipient refused for good does not stop the
// notice reaching the others: it is reported in a *RefusedError.
type SMTPTransport struct {
	cfg  SMTP
	from *mail.Address
	tls  *tls.Config
}

var _ Transport = (*SMTPTransport)(nil)

// NewSMTP returns a transport for the server cfg names, sending as from.
func NewSMTP(cfg SMTP, from string) (*SMTPTransport, error) {
	addr, err := parseFrom(from)
	if err != nil {
		return nil, err
	}
	if cfg.Host == "" {
		return nil, errors.New("smtp: no host")
	}
	if cfg.TLS == "" {
		cfg.TLS = TLSStartTLS
	}
	tc := &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("smtp ca_file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("smtp ca_file %s: no PEM certificate in it", cfg.CAFile)
		}
		tc.RootCAs = pool
	}
	return &SMTPTransport{cfg: cfg, from: addr, tls: tc}, nil
}

// String describes the transport for logs, without credentials.
func (t *SMTPTransport) String() string {
	return fmt.Sprintf("smtp://%s (%s)", net.JoinHostPort(t.cfg.Host, strconv.Itoa(t.cfg.port())), t.cfg.TLS)
}

// Send delivers m in one SMTP transaction on a connection of its own.
//
// Failures to connect, to secure the connection or to authenticate are
// temporary whatever the reply code: they are faults of the configuration
// or the server, not of the notice, and fixing them must let the queue
// drain. So is a refused MAIL FROM, which concerns our own address. A 5xx
// reply to RCPT TO refuses that recipient for good, and one to the
// message's content refuses the message.
func (t *SMTPTransport) Send(ctx context.Context, m Message) error {
	msg, err := compose(t.from, m)
	if err != nil {
		return err
	}
	var conn net.Conn
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := t.dial(ctx, network, addr)
		conn = c
		return c, err
	}
	opts := []gomail.Option{
		gomail.WithPort(t.cfg.port()),
		gomail.WithTimeout(t.cfg.Timeout),
		gomail.WithTLSConfig(t.tls),
		gomail.WithDialContextFunc(dial),
	}
	switch t.cfg.TLS {
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSOpportunistic:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	default: // implicit TLS is set up by dial; none is none
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if t.cfg.HELO != "" {
		opts = append(opts, gomail.WithHELO(t.cfg.HELO))
	}
	if t.cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuthCustom(&autoAuth{user: t.cfg.Username, pass: t.cfg.Password}))
	}
	client, err := gomail.NewClient(t.cfg.Host, opts...)
	if err != nil {
		return permanent("smtp client", err)
	}
	sc, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		if conn != nil {
			conn.Close()
		}
		return temporary("connect to "+t.String(), err)
	}
	defer conn.Close()
	defer client.CloseWithSMTPClient(sc)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	return t.transact(sc, msg)
}

// transact runs MAIL, RCPT and DATA for one message, with the envelope
// taken from its header.
func (t *SMTPTransport) transact(sc *smtp.Client, msg *gomail.Msg) error {
	extend := func() { sc.UpdateDeadline(t.cfg.Timeout) }
	extend()
	from, err := msg.GetSender(false)
	if err != nil {
		return permanent("compose", err)
	}
	if err := sc.Mail(from); err != nil {
		sc.Reset()
		return temporary("MAIL FROM", err)
	}
	to := msg.GetTo()
	refused := map[string]error{}
	var firstCode int
	for _, a := range to {
		extend()
		err := sc.Rcpt((&mail.Address{Address: a.Address}).String())
		if err == nil {
			continue
		}
		if code := replyCode(err); code >= 500 && code <= 599 {
			refused[a.Address] = err
			firstCode = cmp.Or(firstCode, code)
			continue
		}
		sc.Reset()
		return classify("RCPT TO "+a.Address, err)
	}
	if len(refused) == len(to) {
		sc.Reset()
		return &DeliveryError{Code: firstCode, Permanent: true, Err: &RefusedError{Refused: refused}}
	}
	extend()
	w, err := sc.Data()
	if err != nil {
		return classify("DATA", err)
	}
	if _, err := msg.WriteTo(w); err != nil {
		return temporary("send message", err)
	}
	extend()
	if err := w.Close(); err != nil {
		return classify("end of message", err)
	}
	if len(refused) > 0 {
		return &RefusedError{Refused: refused}
	}
	return nil
}

// dial connects, and for implicit TLS completes the TLS handshake, within
// ctx. A failed handshake closes the connection.
func (t *SMTPTransport) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil || t.cfg.TLS != TLSImplicit {
		return conn, err
	}
	tc := tls.Client(conn, t.tls)
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return tc, nil
}

// autoAuth picks the strongest mechanism the server offers that keeps the
// password safe: on a TLS connection any of them; on a clear one only the
// challenge-response ones, unless the server is on loopback.
type autoAuth struct {
	user string
	pass Secret
	mech smtp.Auth
}

func (a *autoAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	safe := server.TLS || isLoopback(server.Name)
	for _, m := range []struct {
		name  string
		clear bool // may run on a clear connection
		auth  func() smtp.Auth
	}{
		{"SCRAM-SHA-256", true, func() smtp.Auth { return smtp.ScramSHA256Auth(a.user, string(a.pass)) }},
		{"SCRAM-SHA-1", true, func() smtp.Auth { return smtp.ScramSHA1Auth(a.user, string(a.pass)) }},
		{"PLAIN", false, func() smtp.Auth { return smtp.PlainAuth("", a.user, string(a.pass), server.Name, safe) }},
		{"LOGIN", false, func() smtp.Auth { return smtp.LoginAuth(a.user, string(a.pass), server.Name, safe) }},
		{"CRAM-MD5", true, func() smtp.Auth { return smtp.CRAMMD5Auth(a.user, string(a.pass)) }},
	} {
		if slices.Contains(server.Auth, m.name) && (safe || m.clear) {
			a.mech = m.auth()
			return a.mech.Start(server)
		}
	}
	if !safe {
		return "", nil, fmt.Errorf("the server offers no AUTH mechanism (of %v) that keeps the password safe without TLS: set smtp.tls to starttls or tls", server.Auth)
	}
	return "", nil, fmt.Errorf("the server offers no AUTH mechanism s2sd speaks (it offers %v)", server.Auth)
}

func (a *autoAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	return a.mech.Next(fromServer, more)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
