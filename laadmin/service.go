// Package laadmin serves an LA database administrator's duties (SPEC
// section 8): the users and the school details of its own LA, read and
// changed as CSV files in /admin/. It knows nothing of SFTP: the daemon
// adapts it to the SFTP server's folders.
package laadmin

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // the files show UK time, on any host

	"github.com/rs/zerolog"

	"github.com/s2sd/s2sd/auth"
	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/routing"
)

// The files of /admin/.
const (
	UsersFile     = "users.csv"
	SchoolsFile   = "schools.csv"
	UsersResult   = "users.result.txt"
	SchoolsResult = "schools.result.txt"
)

// MaxUpload is the largest users.csv or schools.csv taken: some thousands
// of rows.
const MaxUpload = 4 << 20

// resultOf names the result file of an uploadable file.
var resultOf = map[string]string{UsersFile: UsersResult, SchoolsFile: SchoolsResult}

// Config is what the service needs from the daemon's configuration.
type Config struct {
	PersonalDomains []string          // email domains refused
	Listen          string            // the SFTP address, for the new-account email
	LANumbers       routing.LANumbers // the valid LA numbers
	Now             func() time.Time  // defaults to time.Now
	Kick            func()            // wakes the mailer after notices are queued; may be nil
}

// DBA is the user at work in /admin/: an la-dba, who may change things,
// or an la-dba-view, who may only read them.
type DBA struct {
	Login   string
	Mailbox string // the LA's own mailbox, LLLLLLL
	Role    string
	Remote  string
}

// la returns the number of the DBA's LA.
func (d DBA) la() (string, error) {
	if (d.Role != string(routing.RoleLADBA) && d.Role != string(routing.RoleLADBAView)) ||
		len(d.Mailbox) != 7 || d.Mailbox[3:] != "LLLL" {
		return "", denied("/admin/ is for LA database administrators (la-dba and la-dba-view) only")
	}
	return d.Mailbox[:3], nil
}

// File is a file of /admin/.
type File struct {
	Name     string
	Size     int64
	Modified time.Time
	Writable bool // it may be uploaded
}

// Service keeps the /admin/ files of every LA.
type Service struct {
	ledger *ledger.Ledger
	hasher *auth.Hasher
	cfg    Config
	log    zerolog.Logger

	mu sync.Mutex // one upload is applied at a time
}

// New returns the service over the ledger l, hashing temporary passwords
// with h.
func New(l *ledger.Ledger, h *auth.Hasher, cfg Config, log zerolog.Logger) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{ledger: l, hasher: h, cfg: cfg, log: log}
}

// refusal is an error the user reads, of a kind the SFTP server answers
// with its own status (fs.ErrPermission, fs.ErrNotExist).
type refusal struct {
	msg  string
	kind error
}

func (r *refusal) Error() string { return r.msg }
func (r *refusal) Unwrap() error { return r.kind }

func denied(format string, args ...any) error {
	return &refusal{msg: fmt.Sprintf(format, args...), kind: fs.ErrPermission}
}

func notFound(name string) error {
	return &refusal{msg: name + " does not exist", kind: fs.ErrNotExist}
}

// List lists /admin/: users.csv and schools.csv, and the result of the
// last upload of each, if it has not been deleted.
func (s *Service) List(ctx context.Context, who DBA) ([]File, error) {
	la, err := who.la()
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	var out []File
	for _, name := range []string{SchoolsFile, UsersFile} {
		b, err := s.generate(ctx, la, name)
		if err != nil {
			return nil, err
		}
		out = append(out, File{Name: name, Size: int64(len(b)), Modified: now, Writable: who.Role == string(routing.RoleLADBA)})
	}
	results, err := s.ledger.AdminResults(ctx, la)
	if err != nil {
		return nil, err
	}
	for _, r := range results {
		out = append(out, File{Name: r.File, Size: int64(len(r.Body)), Modified: r.At})
	}
	return out, nil
}

// Read returns a file of /admin/.
func (s *Service) Read(ctx context.Context, who DBA, name string) ([]byte, error) {
	la, err := who.la()
	if err != nil {
		return nil, err
	}
	switch name {
	case UsersFile, SchoolsFile:
		return s.generate(ctx, la, name)
	case UsersResult, SchoolsResult:
		results, err := s.ledger.AdminResults(ctx, la)
		if err != nil {
			return nil, err
		}
		for _, r := range results {
			if r.File == name {
				return r.Body, nil
			}
		}
	}
	return nil, notFound(name)
}

func (s *Service) generate(ctx context.Context, la, name string) ([]byte, error) {
	if name == UsersFile {
		return s.usersCSV(ctx, la)
	}
	return s.schoolsCSV(ctx, la)
}

// CheckPut says, before any data is sent, whether the DBA may upload a
// file of this name.
func (s *Service) CheckPut(who DBA, name string) error {
	if _, err := who.la(); err != nil {
		return err
	}
	if who.Role != string(routing.RoleLADBA) {
		return denied("%s users can read /admin/ but not change it; ask your LA's database administrator (la-dba)", who.Role)
	}
	if _, ok := resultOf[name]; !ok {
		return denied("only %s and %s can be uploaded to /admin/: download one, edit it and upload it under the same name", UsersFile, SchoolsFile)
	}
	return nil
}

// Put applies an uploaded users.csv or schools.csv to the DBA's LA and
// keeps its result file beside it. A file refused as a whole (a wrong
// header, too many deletions) is an error, with nothing applied; a
// refused row is not: its reason is in the result file.
func (s *Service) Put(ctx context.Context, who DBA, name string, data []byte) error {
	if err := s.CheckPut(who, name); err != nil {
		return err
	}
	la, _ := who.la()
	s.mu.Lock()
	defer s.mu.Unlock()
	at := s.cfg.Now()
	var res *result
	var err error
	if name == UsersFile {
		res, err = s.applyUsers(ctx, who, la, data)
	} else {
		res, err = s.applySchools(ctx, who, la, data)
	}
	var fe *FileError
	switch {
	case errors.As(err, &fe):
		res = &result{refused: fe.Reason}
	case err != nil:
		s.log.Error().Err(err).Str("file", name).Str("user", who.Login).Msg("applying an /admin/ upload failed")
		return fmt.Errorf("%s could not be applied: try again, and contact the service desk if it persists", name)
	}
	if s.cfg.Kick != nil {
		s.cfg.Kick()
	}
	body := res.text(name, who.Login, at)
	if serr := s.ledger.SetAdminResult(ctx, ledger.AdminResult{LA: la, File: resultOf[name], Body: body, At: at}); serr != nil {
		s.log.Error().Err(serr).Str("file", resultOf[name]).Msg("keeping an /admin/ result failed")
	}
	s.log.Info().Str("file", name).Str("user", who.Login).Str("la", la).Str("summary", res.summary()).Msg("/admin/ upload applied")
	if fe != nil {
		return fmt.Errorf("%s; %s says the same", fe.Error(), resultOf[name])
	}
	if res.failed > 0 {
		return fmt.Errorf("%d rows of %s could not be applied: see %s, and upload the file again", res.failed, name, resultOf[name])
	}
	return nil
}

// Remove deletes a result file. users.csv and schools.csv are made when
// read and cannot be deleted; for an la-dba, removing one does nothing,
// since WinSCP removes the old file before it renames its upload from
// its temporary name to the final one.
func (s *Service) Remove(ctx context.Context, who DBA, name string) error {
	la, err := who.la()
	if err != nil {
		return err
	}
	if who.Role != string(routing.RoleLADBA) {
		return denied("%s users can read /admin/ but not change it", who.Role)
	}
	switch name {
	case UsersFile, SchoolsFile:
		return nil
	case UsersResult, SchoolsResult:
		if err := s.ledger.DeleteAdminResult(ctx, la, name); errors.Is(err, ledger.ErrNotFound) {
			return notFound(name)
		} else if err != nil {
			return err
		}
		return nil
	}
	return notFound(name)
}

// audit is an audit entry for a change the DBA made.
func (s *Service) audit(who DBA, at time.Time, mailbox, object, detail string) ledger.Event {
	return ledger.Event{At: at, Event: ledger.EventAdmin, Login: who.Login, Mailbox: mailbox,
		Remote: who.Remote, Object: object, Detail: detail}
}

// ukTime formats an instant in UK time to the minute.
func ukTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(london).Format("2006-01-02 15:04")
}

var london = func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		return time.UTC
	}
	return loc
}()

// same compares logins or codes as the ledger does: ignoring case.
func same(a, b string) bool { return strings.EqualFold(a, b) }
