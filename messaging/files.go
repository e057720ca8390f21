package messaging

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/mailer"
)

// message is a message as a file of inbox/, sent/ or outbox/.
type message struct {
	id     int64
	kind   string
	name   string
	text   string
	at     time.Time
	readAt time.Time // inbox/: when this mailbox read it
}

// files returns the messages of inbox/, sent/ or outbox/ as files, in
// the order they were sent.
func (s *Service) files(ctx context.Context, who Who, dir string) ([]message, error) {
	names := s.names(ctx)
	var ms []ledger.Message
	var err error
	switch dir {
	case Inbox:
		ms, err = s.ledger.Inbox(ctx, who.Mailbox)
	case Sent:
		ms, err = s.ledger.Sent(ctx, who.Mailbox, false, time.Time{})
	case Outbox:
		ms, err = s.ledger.Sent(ctx, who.Mailbox, true, s.now().Add(-s.recent))
	}
	if err != nil {
		return nil, err
	}
	out := make([]message, 0, len(ms))
	index := map[string]int{}
	for _, m := range ms {
		f := message{id: m.ID, kind: m.Kind, at: m.SentAt}
		switch dir {
		case Inbox:
			f.name, f.text, f.readAt = inboxName(m), s.renderReceived(m, names), m.Recipients[0].ReadAt
		case Sent:
			f.name, f.text = sentName(m), s.renderSent(m, names)
		case Outbox: // the newest upload of a name shows
			f.name, f.text = m.UploadName, s.renderSent(m, names)
			if i, ok := index[f.name]; ok {
				out[i] = f
				continue
			}
			index[f.name] = len(out)
		}
		out = append(out, f)
	}
	return out, nil
}

// file finds one message file by name.
func (s *Service) file(ctx context.Context, who Who, dir, name string) (message, error) {
	files, err := s.files(ctx, who, dir)
	if err != nil {
		return message{}, err
	}
	for _, f := range files {
		if f.name == name {
			return f, nil
		}
	}
	return message{}, notExist(dir + "/" + name)
}

// inboxName names a received message: its number and who sent it, so
// that a folder sorts oldest first. The subject stays out of file names,
// which are logged.
func inboxName(m ledger.Message) string {
	if m.Kind == ledger.MessageReturned {
		return fmt.Sprintf("%06d_returned.txt", m.ID)
	}
	return fmt.Sprintf("%06d_from_%s.txt", m.ID, m.Sender)
}

// sentName names a sent message by its number and first recipient.
func sentName(m ledger.Message) string {
	switch len(m.Recipients) {
	case 0:
		return fmt.Sprintf("%06d.txt", m.ID)
	case 1:
		return fmt.Sprintf("%06d_to_%s.txt", m.ID, m.Recipients[0].Mailbox)
	}
	return fmt.Sprintf("%06d_to_%s_and_%d_more.txt", m.ID, m.Recipients[0].Mailbox, len(m.Recipients)-1)
}

// mailboxNames looks up and remembers mailbox names for one listing.
type mailboxNames struct {
	ctx    context.Context
	ledger *ledger.Ledger
	m      map[string]string
}

func (s *Service) names(ctx context.Context) *mailboxNames {
	return &mailboxNames{ctx: ctx, ledger: s.ledger, m: map[string]string{}}
}

// party is a code with its mailbox's name; its String is both, on one
// line.
func (n *mailboxNames) party(code string) mailer.Party {
	name, ok := n.m[code]
	if !ok {
		if mb, err := n.ledger.Mailbox(n.ctx, code); err == nil {
			name = mb.Name
		}
		n.m[code] = name
	}
	return mailer.Party{Code: code, Name: name}
}

// clock formats a time for people in England and Wales.
func (s *Service) clock(t time.Time) string {
	return t.In(s.london).Format("Mon 2 Jan 2006 15:04 MST")
}

// renderReceived is a received message as its recipient reads it.
func (s *Service) renderReceived(m ledger.Message, names *mailboxNames) string {
	var b strings.Builder
	if m.Kind == ledger.MessageReturned {
		header(&b, "From", "s2sd (your message could not be sent)")
	} else {
		header(&b, "From", names.party(m.Sender).String())
	}
	header(&b, "To", names.party(m.Recipients[0].Mailbox).String())
	header(&b, "Date", s.clock(m.SentAt))
	header(&b, "Subject", m.Subject)
	b.WriteString("\r\n")
	body(&b, m.Body)
	return b.String()
}

// renderSent is a sent message as its sender sees it, with who has read
// it so far.
func (s *Service) renderSent(m ledger.Message, names *mailboxNames) string {
	var b strings.Builder
	header(&b, "From", names.party(m.Sender).String())
	header(&b, "To", m.To)
	header(&b, "Date", s.clock(m.SentAt))
	header(&b, "Subject", m.Subject)
	read := 0
	for _, r := range m.Recipients {
		if !r.ReadAt.IsZero() {
			read++
		}
	}
	if len(m.Recipients) > 0 {
		header(&b, "Read", fmt.Sprintf("%d of %d", read, len(m.Recipients)))
	}
	for _, r := range m.Recipients {
		if r.ReadAt.IsZero() {
			header(&b, "Unread-By", names.party(r.Mailbox).String())
		} else {
			header(&b, "Read-By", names.party(r.Mailbox).String()+", "+s.clock(r.ReadAt))
		}
	}
	b.WriteString("\r\n")
	body(&b, m.Body)
	return b.String()
}

func header(b *strings.Builder, key, value string) {
	b.WriteString(key)
	b.WriteString(": ")
	b.WriteString(value)
	b.WriteString("\r\n")
}

// body writes text with CRLF line ends, which every Windows editor shows.
func body(b *strings.Builder, text string) {
	b.WriteString(strings.ReplaceAll(text, "\n", "\r\n"))
	b.WriteString("\r\n")
}
