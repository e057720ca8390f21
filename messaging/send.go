package messaging

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/mailer"
	"github.com/s2sd/s2sd/routing"
)

// send delivers a message uploaded into outbox/ as name. A message that
// cannot be delivered to every recipient goes to none: it is returned to
// the sender's inbox/ with every reason, and the error says them too.
func (s *Service) send(ctx context.Context, who Who, name string, b []byte) error {
	now := s.now()
	d, problems := routing.ParseMessage(b)
	var recipients []ledger.Recipient
	if problems == nil {
		var text string
		recipients, text, problems = s.resolve(ctx, who, d)
		if problems == nil && text != "" {
			d.Body = strings.TrimRight(text+"\n\n"+d.Body, "\n")
		}
	}
	if problems != nil {
		s.returnToSender(ctx, who, name, b, problems)
		return &Refusal{Reasons: append([]string{"the message was not sent"}, problems...)}
	}
	m := ledger.Message{Kind: ledger.MessageSent, Sender: who.Mailbox, Login: who.Login, UploadName: name,
		To: strings.Join(d.To, ", "), Subject: d.Subject, Body: d.Body, SentAt: now, Recipients: recipients}
	var mails []ledger.Mail
	names := s.names(ctx)
	from := names.party(who.Mailbox)
	for _, r := range recipients {
		addrs, err := s.ledger.MailboxAddresses(ctx, r.Mailbox)
		if err != nil {
			return err
		}
		if len(addrs) == 0 {
			continue
		}
		mails = append(mails, mailer.SecureMessageWaiting(mailer.SecureMessageNotice{
			To: addrs, From: from, Recipient: names.party(r.Mailbox), Sent: now,
		}).Mail(now))
	}
	audit := ledger.Event{At: now, Event: ledger.EventMessageSent, Login: who.Login, Mailbox: who.Mailbox,
		Remote: who.Remote, Object: "/messages/outbox/" + name, Detail: fmt.Sprintf("recipients=%d", len(recipients))}
	id, err := s.ledger.SendMessage(ctx, m, audit, mails...)
	if err != nil {
		return err
	}
	s.kick()
	s.log.Info().Int64("message", id).Str("mailbox", who.Mailbox).Int("recipients", len(recipients)).Msg("secure message sent")
	return nil
}

// resolve turns a draft's To: line into open mailboxes, expanding groups,
// and finds its template's text. It returns every problem.
func (s *Service) resolve(ctx context.Context, who Who, d routing.Draft) ([]ledger.Recipient, string, []string) {
	var problems []string
	var out []ledger.Recipient
	seen := map[string]bool{}
	add := func(code, via string) {
		if seen[code] {
			return
		}
		seen[code] = true
		mb, err := s.ledger.Mailbox(ctx, code)
		switch {
		case errors.Is(err, ledger.ErrNotFound):
			problems = append(problems, fmt.Sprintf("%s%s is not a known mailbox", via, code))
			return
		case err != nil:
			problems = append(problems, fmt.Sprintf("%s%s could not be looked up; try again", via, code))
			return
		case mb.Status != ledger.StatusOpen && mb.Successor != "":
			problems = append(problems, fmt.Sprintf("%s%s is closed; send to its successor %s instead", via, code, mb.Successor))
			return
		case mb.Status != ledger.StatusOpen:
			problems = append(problems, fmt.Sprintf("%s%s is closed and cannot receive messages", via, code))
			return
		}
		out = append(out, ledger.Recipient{Mailbox: mb.Code, LA: mb.LA})
	}
	var groups map[string][]string
	for _, r := range d.To {
		if routing.IsMailboxCode(r) {
			add(r, "")
			continue
		}
		if groups == nil {
			groups = s.groups(ctx, who)
		}
		codes, ok := groups[strings.ToLower(r)]
		if !ok {
			problems = append(problems, fmt.Sprintf("there is no group %q: put %s.txt in /messages/groups/ first, or give codes", r, r))
			continue
		}
		for _, c := range codes {
			add(c, "group "+r+": ")
		}
	}
	if len(out) > routing.MessageMaxTo {
		problems = append(problems, fmt.Sprintf("the message would go to %d mailboxes; send to at most %d at once", len(out), routing.MessageMaxTo))
	}
	var text string
	if d.Template != "" {
		f, err := s.messageFile(ctx, who, Templates, d.Template+".txt")
		if err != nil {
			problems = append(problems, fmt.Sprintf("there is no template %q in /messages/templates/", d.Template+".txt"))
		}
		text = f.Body
	}
	return out, text, problems
}

// groups returns the mailbox's groups by lower-case name.
func (s *Service) groups(ctx context.Context, who Who) map[string][]string {
	out := map[string][]string{}
	fs, err := s.ledger.MessageFiles(ctx, who.Mailbox, ledger.MessageGroup)
	if err != nil {
		return out
	}
	for _, f := range fs {
		codes, _ := routing.ParseGroup([]byte(f.Body))
		out[strings.ToLower(strings.TrimSuffix(f.Name, ".txt"))] = codes
	}
	return out
}

// returnToSender puts a message that could not be sent back into its
// sender's inbox/, with the reasons and the text as uploaded, so that an
// unattended sender finds it too.
func (s *Service) returnToSender(ctx context.Context, who Who, name string, b []byte, problems []string) {
	var body strings.Builder
	fmt.Fprintf(&body, "Your message %s was not sent to anyone, because:\n", name)
	for _, p := range problems {
		fmt.Fprintf(&body, "- %s\n", p)
	}
	body.WriteString("\nCorrect it and upload it into /messages/outbox/ again. The file as you sent it follows.\n\n")
	body.WriteString(strings.TrimRight(strings.ReplaceAll(strings.ToValidUTF8(string(b), "\uFFFD"), "\r\n", "\n"), "\n"))
	now := s.now()
	m := ledger.Message{Kind: ledger.MessageReturned, Sender: who.Mailbox, Login: who.Login, UploadName: name,
		Subject: "Not sent: " + name, Body: body.String(), SentAt: now,
		Recipients: []ledger.Recipient{{Mailbox: who.Mailbox, LA: laOf(who.Mailbox)}}}
	audit := ledger.Event{At: now, Event: ledger.EventMessageBack, Login: who.Login, Mailbox: who.Mailbox,
		Remote: who.Remote, Object: "/messages/outbox/" + name, Detail: fmt.Sprintf("problems=%d", len(problems))}
	if _, err := s.ledger.SendMessage(ctx, m, audit); err != nil {
		s.log.Error().Err(err).Msg("returning a message to its sender failed")
	}
}

func laOf(code string) string {
	if len(code) < 3 {
		return ""
	}
	return code[:3]
}

// putGroup stores a group file once every member is an open mailbox.
func (s *Service) putGroup(ctx context.Context, who Who, name string, b []byte) error {
	codes, problems := routing.ParseGroup(b)
	if problems == nil {
		for _, c := range codes {
			mb, err := s.ledger.Mailbox(ctx, c)
			switch {
			case err != nil:
				problems = append(problems, fmt.Sprintf("%s is not a known mailbox", c))
			case mb.Status != ledger.StatusOpen:
				problems = append(problems, fmt.Sprintf("%s is closed and cannot receive messages", c))
			}
		}
	}
	if problems != nil {
		return &Refusal{Reasons: append([]string{"the group was not saved"}, problems...)}
	}
	return s.putFile(ctx, who, Groups, name, strings.TrimPrefix(string(b), "\uFEFF"))
}

// putFile stores a group or template.
func (s *Service) putFile(ctx context.Context, who Who, dir, name, body string) error {
	now := s.now()
	return s.ledger.PutMessageFile(ctx, who.Mailbox, fileKind(dir), ledger.MessageFile{Name: name, Body: body, UpdatedAt: now},
		ledger.Event{At: now, Event: ledger.EventMessageFile, Login: who.Login, Mailbox: who.Mailbox, Remote: who.Remote,
			Object: "/messages/" + dir + "/" + name})
}

// messageFile finds a group or template by name, without regard to case.
func (s *Service) messageFile(ctx context.Context, who Who, dir, name string) (ledger.MessageFile, error) {
	fs, err := s.ledger.MessageFiles(ctx, who.Mailbox, fileKind(dir))
	if err != nil {
		return ledger.MessageFile{}, err
	}
	for _, f := range fs {
		if strings.EqualFold(f.Name, name) {
			return f, nil
		}
	}
	return ledger.MessageFile{}, notExist(dir + "/" + name)
}
