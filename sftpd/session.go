package sftpd

import (
	"context"
	"io"
	"net"
	"os"

	"github.com/pkg/sftp"
	"github.com/rs/zerolog"

	"github.com/s2sd/s2sd/ledger"
)

// Identity is who a session acts for. It comes only from the verified
// credentials of the SSH handshake.
type Identity struct {
	Login   string
	Mailbox string // empty for admins
	Role    string
	Remote  string
}

// session is one SFTP subsystem channel: one identity, one view.
type session struct {
	srv  *Server
	ctx  context.Context
	conn net.Conn // the connection it runs on: Close spares it while it uploads
	who  Identity
	view view
	log  zerolog.Logger

	searches searchCache // recent Lost Pupil Database searches
	spare    spareFile   // the next upload's staging file, made ahead
}

var (
	_ sftp.FileReader           = (*session)(nil)
	_ sftp.FileWriter           = (*session)(nil)
	_ sftp.PosixRenameFileCmder = (*session)(nil)
	_ sftp.StatVFSFileCmder     = (*session)(nil)
	_ sftp.LstatFileLister      = (*session)(nil)
	_ sftp.RealPathFileLister   = (*session)(nil)
	_ sftp.NameLookupFileLister = (*session)(nil)
)

// serve runs the SFTP request server on ch until the client ends it, then
// discards the session's unacknowledged uploads.
func (s *session) serve(ch io.ReadWriteCloser) error {
	h := sftp.Handlers{FileGet: s, FilePut: s, FileCmd: s, FileList: s}
	// limitsStream lets OpenSSH's client move 255 KiB per request, and
	// the request server answers reads that large.
	rs := sftp.NewRequestServer(newLimitsStream(ch), h, sftp.WithStartDirectory("/"), sftp.WithRSMaxTxPacket(maxDataLength), sftp.WithRSAllocator())
	err := rs.Serve()
	rs.Close()
	s.cleanup()
	if err == io.EOF {
		return nil
	}
	return err
}

// cleanup discards the uploads this session left unfinished, including
// temporary names never renamed: nothing unacknowledged stays behind.
func (s *session) cleanup() {
	box := s.srv.boxes.get(s.view.box)
	box.mu.Lock()
	var left []*upload
	for _, u := range box.uploads {
		if u.sess == s {
			left = append(left, u)
		}
	}
	box.mu.Unlock()
	for _, u := range left {
		s.discard(u, "session ended before the upload completed")
	}
	s.keptCleanup()
	s.dropSpare()
}

func (s *session) audit(event, object, detail string) {
	err := s.srv.ledger.Audit(context.Background(), ledger.Event{
		At: s.srv.now(), Event: event, Login: s.who.Login, Mailbox: s.who.Mailbox,
		Remote: s.who.Remote, Object: object, Detail: detail,
	})
	if err != nil {
		s.log.Error().Err(err).Str("event", event).Msg("audit write failed")
	}
}

// LookupUserName shows the login as every file's owner, so that WinSCP
// sees the files as the user's own.
func (s *session) LookupUserName(string) string { return s.who.Login }

// LookupGroupName shows the mailbox code as the group.
func (s *session) LookupGroupName(string) string {
	if s.who.Mailbox == "" {
		return "admin"
	}
	return s.who.Mailbox
}

// RealPath resolves a path lexically against the root.
func (s *session) RealPath(p string) (string, error) {
	t, err := s.view.resolve(p)
	if err != nil {
		var se *statusError
		if !asStatus(err, &se) || se.code != sftp.ErrSSHFxNoSuchFile {
			return "", err
		}
		return cleanPath(p), nil
	}
	return t.path, nil
}

func (s *session) diskPath(t target) string {
	return s.srv.spool.Dir(s.view.box, t.folder.name) + string(os.PathSeparator) + t.name
}
