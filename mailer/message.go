// Package mailer tells people by email what happened to their files. The
// notices (notices.go) are pure functions of small facts; the ledger's
// mail outbox holds them durably, written in the same transaction as the
// event they tell of; the Worker (worker.go) delivers the outbox through a
// Transport: SMTP (smtp.go), or .eml files in a folder (eml.go) when no
// mail server is configured.
package mailer

import (
	"fmt"
	"net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/s2sd/s2sd/ledger"
)

// Message is one plain-text notice. Its subject and body never hold pupil
// data: notices are composed from codes, names of schools and LAs, file
// names, counts, dates and the validator's reasons and warnings, which
// name pupils only by their position in a file.
type Message struct {
	ID      int64     // the outbox id; 0 for a message not from the outbox
	Date    time.Time // when the event happened; the Date header
	Kind    string    // the notice's name, e.g. "file-waiting"
	To      []string
	Subject string
	Body    string
	// Dedupe, if set, makes the notice go at most once, e.g.
	// "weekly:2026-11-23:8231234".
	Dedupe string
	// Scrub marks a body that holds a secret (a temporary password): the
	// outbox removes it once the notice has left the queue.
	Scrub bool
}

// Mail returns the outbox row for m, created at now.
func (m Message) Mail(now time.Time) ledger.Mail {
	return ledger.Mail{
		CreatedAt: now, Kind: m.Kind, To: m.To, Subject: m.Subject, Body: m.Body,
		Dedupe: m.Dedupe, Scrub: m.Scrub,
	}
}

// Mails returns the outbox rows for ms, created at now, for a ledger
// method that enqueues them with its event.
func Mails(now time.Time, ms ...Message) []ledger.Mail {
	out := make([]ledger.Mail, len(ms))
	for i, m := range ms {
		out[i] = m.Mail(now)
	}
	return out
}

// fromMail returns the message an outbox row holds.
func fromMail(lm ledger.Mail) Message {
	return Message{
		ID: lm.ID, Date: lm.CreatedAt, Kind: lm.Kind, To: lm.To, Subject: lm.Subject, Body: lm.Body,
		Dedupe: lm.Dedupe, Scrub: lm.Scrub,
	}
}

// messageID returns m's Message-ID (without angle brackets). For an outbox
// message it is the same on every attempt, so that a message sent twice in
// the crash window (see Worker) is recognisable as one.
func (m Message) messageID(from *mail.Address) string {
	if m.ID == 0 {
		return ""
	}
	domain := "localhost"
	if i := strings.LastIndex(from.Address, "@"); i >= 0 && i < len(from.Address)-1 {
		domain = from.Address[i+1:]
	}
	return fmt.Sprintf("s2sd.%d.%s@%s", m.ID, m.Date.UTC().Format("20060102T150405.000000Z"), domain)
}

// compose builds the RFC 5322 message: plain text in UTF-8, quoted-
// printable, marked as automatically generated so that out-of-office
// replies are not sent back. An address that cannot be parsed is a
// permanent failure.
func compose(from *mail.Address, m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithCharset(gomail.CharsetUTF8), gomail.WithEncoding(gomail.EncodingQP),
		gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(from)
	if err := msg.To(m.To...); err != nil {
		return nil, permanent("compose", err)
	}
	msg.Subject(m.Subject)
	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}
	msg.SetDateWithValue(date)
	if id := m.messageID(from); id != "" {
		msg.SetMessageIDWithValue(id)
	} else {
		msg.SetMessageID()
	}
	msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	msg.SetGenHeader(gomail.HeaderXAutoResponseSuppress, "All")
	msg.SetUserAgent("s2sd")
	msg.SetBodyString(gomail.TypeTextPlain, m.Body)
	return msg, nil
}

// parseFrom parses the configured sender.
func parseFrom(from string) (*mail.Address, error) {
	a, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("sender address %q: %w", from, err)
	}
	return a, nil
}
