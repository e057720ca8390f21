package mailer

import (
	"fmt"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Mail configures the notices: who they are from, how they leave, and how
// long the outbox keeps trying.
type Mail struct {
	// From is the sender of every notice, e.g.
	// "S2S transfer service <s2s@example.gov.uk>".
	From string `toml:"from"`
	// SMTP is the mail server. With no host, each notice is written as an
	// .eml file into EMLDir instead.
	SMTP SMTP `toml:"smtp"`
	// EMLDir is the folder of .eml files when no SMTP host is set. A
	// relative path is taken from the data directory.
	EMLDir string `toml:"eml_dir"`
	// MaxAge is how long a notice is retried after temporary failures
	// before it is given up as failed.
	MaxAge time.Duration `toml:"max_age"`
	// BackoffBase is the wait after the first failed attempt; each further
	// failure doubles it, up to BackoffMax.
	BackoffBase time.Duration `toml:"backoff_base"`
	// BackoffMax is the longest wait between attempts.
	BackoffMax time.Duration `toml:"backoff_max"`
	// Jitter spreads each wait by up to this fraction either way, so that
	// notices queued together are not retried together. 0 disables it.
	Jitter float64 `toml:"jitter"`
	// Concurrency is how many notices are delivered at once.
	Concurrency int `toml:"concurrency"`
	// Keep is how long sent and failed notices stay in the outbox before
	// PurgeMail may remove them. It must outlast any Dedupe window, e.g.
	// the week of a weekly reminder.
	Keep time.Duration `toml:"keep"`
}

// SMTP configures the SMTP transport.
type SMTP struct {
	// Host is the SMTP server's name; empty means no SMTP.
	Host string `toml:"host"`
	// Port defaults to 587 for starttls, 465 for tls, and 25 otherwise.
	Port int `toml:"port"`
	// TLS is starttls (the default: STARTTLS, refusing to send in clear),
	// opportunistic (STARTTLS when offered), tls (implicit TLS), or none
	// (a relay on loopback only).
	TLS TLSMode `toml:"tls"`
	// Username, if set, authenticates to the server with the strongest
	// mechanism it offers.
	Username string `toml:"username"`
	// Password is never logged or printed.
	Password Secret `toml:"password"`
	// CAFile, if set, is a PEM file of extra certificate authorities to
	// trust, for a relay with a private certificate.
	CAFile string `toml:"ca_file"`
	// HELO is the name given in EHLO; empty means the host's name.
	HELO string `toml:"helo"`
	// Timeout bounds the connection and each command.
	Timeout time.Duration `toml:"timeout"`
}

// TLSMode is how the SMTP connection is secured.
type TLSMode string

// The TLS modes.
const (
	TLSStartTLS      TLSMode = "starttls"
	TLSOpportunistic TLSMode = "opportunistic"
	TLSImplicit      TLSMode = "tls"
	TLSNone          TLSMode = "none"
)

// Secret is a string that never formats as itself, so that it cannot reach
// a log line or a printed config by accident.
type Secret string

// String returns a placeholder, never the secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString returns a placeholder, never the secret.
func (s Secret) GoString() string { return s.String() }

// Format writes a placeholder for every verb, never the secret.
func (s Secret) Format(f fmt.State, _ rune) { io.WriteString(f, s.String()) }

// MarshalJSON writes a placeholder, never the secret.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }

// Default returns the defaults: .eml files in <data>/mail, retried for
// 3 days at 1m, 2m, 4m … up to 1h apart.
func Default() Mail {
	return Mail{
		From:        "S2S transfer service <s2sd@localhost>",
		SMTP:        SMTP{TLS: TLSStartTLS, Timeout: 30 * time.Second},
		EMLDir:      "mail",
		MaxAge:      72 * time.Hour,
		BackoffBase: time.Minute,
		BackoffMax:  time.Hour,
		Jitter:      0.2,
		Concurrency: 4,
		Keep:        30 * 24 * time.Hour,
	}
}

// FieldError names the setting that is wrong, by its TOML key under
// [mail].
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return "mail." + e.Field + ": " + e.Reason }

// Validate checks every field.
func (c Mail) Validate() error {
	if _, err := mail.ParseAddress(c.From); err != nil {
		return &FieldError{"from", fmt.Sprintf("%q is not an email address: %v", c.From, err)}
	}
	if c.SMTP.Host == "" && c.EMLDir == "" {
		return &FieldError{"eml_dir", "must be set when there is no smtp.host"}
	}
	switch c.SMTP.TLS {
	case TLSStartTLS, TLSOpportunistic, TLSImplicit, TLSNone:
	default:
		return &FieldError{"smtp.tls", fmt.Sprintf("%q is not one of starttls, opportunistic, tls, none", c.SMTP.TLS)}
	}
	if c.SMTP.Port < 0 || c.SMTP.Port > 65535 {
		return &FieldError{"smtp.port", fmt.Sprintf("%d is not a port number", c.SMTP.Port)}
	}
	if c.SMTP.Password != "" && c.SMTP.Username == "" {
		return &FieldError{"smtp.username", "must be set with smtp.password"}
	}
	if c.SMTP.CAFile != "" {
		if _, err := os.Stat(c.SMTP.CAFile); err != nil {
			return &FieldError{"smtp.ca_file", err.Error()}
		}
	}
	for _, p := range []struct {
		field string
		v     time.Duration
	}{
		{"smtp.timeout", c.SMTP.Timeout}, {"max_age", c.MaxAge}, {"backoff_base", c.BackoffBase},
		{"backoff_max", c.BackoffMax}, {"keep", c.Keep},
	} {
		if p.v <= 0 {
			return &FieldError{p.field, "must be greater than zero"}
		}
	}
	if c.BackoffMax < c.BackoffBase {
		return &FieldError{"backoff_max", "must not be less than backoff_base"}
	}
	if c.Jitter < 0 || c.Jitter >= 1 {
		return &FieldError{"jitter", "must be at least 0 and less than 1"}
	}
	if c.Concurrency <= 0 {
		return &FieldError{"concurrency", "must be greater than zero"}
	}
	return nil
}

// port returns the SMTP port, or the default for the TLS mode.
func (s SMTP) port() int {
	switch {
	case s.Port != 0:
		return s.Port
	case s.TLS == TLSStartTLS:
		return 587
	case s.TLS == TLSImplicit:
		return 465
	}
	return 25
}

// EMLPath returns the .eml folder, taking a relative EMLDir from data.
func (c Mail) EMLPath(data string) string {
	if filepath.IsAbs(c.EMLDir) {
		return c.EMLDir
	}
	return filepath.Join(data, c.EMLDir)
}

// NewTransport returns the transport c configures: SMTP if a host is set,
// otherwise .eml files under data.
func (c Mail) NewTransport(data string) (Transport, error) {
	if strings.TrimSpace(c.SMTP.Host) != "" {
		return NewSMTP(c.SMTP, c.From)
	}
	return NewEML(c.EMLPath(data), c.From)
}
