// Package messaging is the secure messaging service (SPEC section 8): a
// mailbox's /messages/ folder, where a text file dropped into outbox/ is
// delivered to each recipient's inbox/ and listed in the sender's sent/,
// with the groups and templates the mailbox keeps. Messages live in the
// ledger, so a message is delivered exactly when its upload is
// acknowledged; notices tell recipients one waits, never what it says.
package messaging

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/routing"
)

// The folders of /messages/.
const (
	Outbox    = "outbox"
	Inbox     = "inbox"
	Sent      = "sent"
	Groups    = "groups"
	Templates = "templates"
)

// Who is the user acting, from its verified login.
type Who struct {
	Login   string
	Mailbox string
	Remote  string
}

// Entry is a file or folder of /messages/.
type Entry struct {
	Name     string
	Dir      bool
	Size     int64
	Modified time.Time
	Writable bool
}

// Options configure the service.
type Options struct {
	// Recent is how long a sent message stays listed, read-only, in
	// outbox/ under the name it was uploaded as, so that clients which
	// set times after an upload succeed. Zero means ten minutes.
	Recent time.Duration
	Now    func() time.Time // nil: time.Now
	Kick   func()           // told when notices were queued; may be nil
	Log    zerolog.Logger
}

// Service serves /messages/ for every mailbox.
type Service struct {
	ledger *ledger.Ledger
	recent time.Duration
	now    func() time.Time
	kick   func()
	log    zerolog.Logger
	london *time.Location
}

// New returns the service over a ledger.
func New(l *ledger.Ledger, o Options) (*Service, error) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		return nil, fmt.Errorf("messaging: %w", err)
	}
	if o.Recent == 0 {
		o.Recent = 10 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Kick == nil {
		o.Kick = func() {}
	}
	return &Service{ledger: l, recent: o.Recent, now: o.Now, kick: o.Kick, log: o.Log, london: london}, nil
}

// Refusal is an upload that cannot be taken; its text says every reason.
type Refusal struct{ Reasons []string }

func (r *Refusal) Error() string { return strings.Join(r.Reasons, "; ") }

// errNotExist is wrapped by every error for something that does not exist.
func notExist(what string) error { return fmt.Errorf("%s: %w", what, fs.ErrNotExist) }

// split splits a path within /messages/ into its folder and file name.
func split(file string) (dir, name string) {
	dir, name, _ = strings.Cut(file, "/")
	return dir, name
}

// List lists a folder of /messages/.
func (s *Service) List(ctx context.Context, who Who, dir string) ([]Entry, error) {
	switch dir {
	case "":
		now := s.now()
		return []Entry{
			{Name: Groups, Dir: true, Writable: true, Modified: now},
			{Name: Inbox, Dir: true, Modified: now},
			{Name: Outbox, Dir: true, Writable: true, Modified: now},
			{Name: Sent, Dir: true, Modified: now},
			{Name: Templates, Dir: true, Writable: true, Modified: now},
		}, nil
	case Inbox, Sent, Outbox:
		files, err := s.files(ctx, who, dir)
		if err != nil {
			return nil, err
		}
		out := make([]Entry, len(files))
		for i, f := range files {
			out[i] = Entry{Name: f.name, Size: int64(len(f.text)), Modified: f.at}
		}
		return out, nil
	case Groups, Templates:
		fs, err := s.ledger.MessageFiles(ctx, who.Mailbox, fileKind(dir))
		if err != nil {
			return nil, err
		}
		out := make([]Entry, len(fs))
		for i, f := range fs {
			out[i] = Entry{Name: f.Name, Size: int64(len(f.Body)), Modified: f.UpdatedAt, Writable: true}
		}
		return out, nil
	}
	return nil, notExist(dir)
}

// Read returns a file of /messages/.
func (s *Service) Read(ctx context.Context, who Who, file string) ([]byte, error) {
	dir, name := split(file)
	switch dir {
	case Inbox, Sent, Outbox:
		f, err := s.file(ctx, who, dir, name)
		if err != nil {
			return nil, err
		}
		return []byte(f.text), nil
	case Groups, Templates:
		f, err := s.messageFile(ctx, who, dir, name)
		if err != nil {
			return nil, err
		}
		return []byte(f.Body), nil
	}
	return nil, notExist(file)
}

// Opened marks a message of inbox/ read once it has been downloaded to
// its end.
func (s *Service) Opened(ctx context.Context, who Who, file string) {
	dir, name := split(file)
	if dir != Inbox {
		return
	}
	f, err := s.file(ctx, who, dir, name)
	if err != nil || f.kind != ledger.MessageSent || !f.readAt.IsZero() {
		return
	}
	if err := s.ledger.MarkMessageRead(ctx, who.Mailbox, f.id, s.now()); err != nil {
		s.log.Error().Err(err).Int64("message", f.id).Msg("marking a message read failed")
		return
	}
	s.ledger.Audit(ctx, ledger.Event{At: s.now(), Event: ledger.EventMessageRead, Login: who.Login,
		Mailbox: who.Mailbox, Remote: who.Remote, Object: "/messages/inbox/" + name})
}

// CheckPut says, before any data is sent, whether file may be uploaded,
// and returns its size limit.
func (s *Service) CheckPut(ctx context.Context, who Who, file string) (int64, error) {
	dir, name := split(file)
	switch dir {
	case Outbox:
		return routing.MessageMaxSize, nil
	case Groups, Templates:
		if err := routing.CheckMessageFileName(name); err != nil {
			return 0, err
		}
		return routing.MessageMaxSize, nil
	case Inbox, Sent:
		return 0, fmt.Errorf("/messages/%s/ is filled by s2sd; to send a message, upload it into /messages/outbox/: %w", dir, fs.ErrPermission)
	}
	return 0, notExist(file)
}

// Put takes a complete upload: a message to send, a group or a template.
func (s *Service) Put(ctx context.Context, who Who, file, staged string) error {
	dir, name := split(file)
	b, err := readStaged(staged)
	if err != nil {
		return err
	}
	switch dir {
	case Outbox:
		return s.send(ctx, who, name, b)
	case Groups:
		return s.putGroup(ctx, who, name, b)
	case Templates:
		text, problems := routing.ParseTemplate(b)
		if problems != nil {
			return &Refusal{Reasons: problems}
		}
		return s.putFile(ctx, who, dir, name, text)
	}
	return notExist(file)
}

// Remove deletes a file: a received message from inbox/, a sent one from
// sent/ or outbox/ (its recipients keep it), a group or a template.
func (s *Service) Remove(ctx context.Context, who Who, file string) error {
	dir, name := split(file)
	var err error
	switch dir {
	case Inbox, Sent, Outbox:
		var f message
		if f, err = s.file(ctx, who, dir, name); err != nil {
			return err
		}
		switch dir {
		case Inbox:
			err = s.ledger.DeleteReceived(ctx, who.Mailbox, f.id)
		default:
			err = s.ledger.HideSent(ctx, who.Mailbox, f.id, dir == Outbox)
		}
	case Groups, Templates:
		err = s.ledger.DeleteMessageFile(ctx, who.Mailbox, fileKind(dir), name)
	default:
		return notExist(file)
	}
	if errors.Is(err, ledger.ErrNoMessage) {
		return notExist(file)
	}
	return err
}

// readStaged reads a complete upload, which the caller bounded.
func readStaged(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, routing.MessageMaxSize+1))
}

func fileKind(dir string) string {
	if dir == Groups {
		return ledger.MessageGroup
	}
	return ledger.MessageTemplate
}
