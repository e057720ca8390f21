package sftpd

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/pkg/sftp"

	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/spool"
)

// upload is one file being written into /outbox. Its bytes go to a staging
// file; it becomes visible to routing only when acknowledged: at a clean
// CLOSE for a plain name, or at the RENAME of a client temporary name.
type upload struct {
	sess   *session
	name   string // the client's name in /outbox
	temp   bool   // name is a client temporary name
	staged string // staging file path
	limit  int64
	append bool

	mu      sync.Mutex
	f       *os.File
	open    bool  // a handle is open on it
	done    bool  // closed cleanly; a temporary name awaits its rename
	err     error // a write failed: discard at close
	aborted bool  // the transfer broke off
	size    int64
	mtime   time.Time
}

var (
	_ io.WriterAt        = (*upload)(nil)
	_ io.Closer          = (*upload)(nil)
	_ sftp.TransferError = (*upload)(nil)
)

func newStagingFile(dir string) (*os.File, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return os.OpenFile(filepath.Join(dir, hex.EncodeToString(b)), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
}

// WriteAt writes to the staging file. A write that would take the file past
// its limit fails, and the whole upload is then discarded.
func (u *upload) WriteAt(p []byte, off int64) (int, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.err != nil {
		return 0, u.err
	}
	if u.append {
		off = u.size
	}
	if off < 0 || off+int64(len(p)) > u.limit {
		u.err = failure("%s is larger than the %s limit for this kind of file; the upload has been discarded", u.name, formatSize(u.limit))
		return 0, u.err
	}
	n, err := u.f.WriteAt(p, off)
	if end := off + int64(n); end > u.size {
		u.size = end
	}
	u.mtime = time.Now()
	if err != nil {
		u.sess.log.Error().Err(err).Str(logFile, u.name).Msg("write to staging file failed")
		u.err = failure("%s could not be stored; the upload has been discarded, send it again", u.name)
		return n, u.err
	}
	return n, nil
}

// TransferError is called by the SFTP server when the connection breaks
// with the handle still open: the upload is then never acknowledged.
func (u *upload) TransferError(err error) {
	u.mu.Lock()
	u.aborted = true
	u.mu.Unlock()
}

// Close ends a handle. A clean close of a plain name acknowledges the
// upload; of a temporary name it keeps the file for the final rename.
func (u *upload) Close() error {
	u.mu.Lock()
	u.open = false
	failed, aborted := u.err, u.aborted
	var syncErr error
	if failed == nil && !aborted {
		syncErr = u.f.Sync()
	}
	u.f.Close()
	u.f = nil
	if failed == nil && !aborted && syncErr == nil {
		u.done = true
	}
	u.mu.Unlock()

	switch {
	case aborted:
		u.sess.discard(u, "transfer aborted")
		return failure("%s: transfer aborted; the upload has been discarded", u.name)
	case failed != nil:
		u.sess.discard(u, "write failed")
		return failed
	case syncErr != nil:
		u.sess.log.Error().Err(syncErr).Str(logFile, u.name).Msg("fsync of staging file failed")
		u.sess.discard(u, "fsync failed")
		return failure("%s could not be stored durably; the upload has been discarded, send it again", u.name)
	case u.temp:
		return nil
	}
	return u.sess.commit(u, u.name)
}

// reopen opens the staging file of an existing upload again, as a client
// does to resume it.
func (u *upload) reopen(trunc, appendMode bool) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	f, err := os.OpenFile(u.staged, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if trunc {
		if err := f.Truncate(0); err != nil {
			f.Close()
			return err
		}
		u.size = 0
	}
	u.f, u.open, u.done, u.err, u.aborted, u.append = f, true, false, nil, false, appendMode
	return nil
}

// commit moves an acknowledged upload into the outbox under name, durably,
// and records it. Only then does the client get OK.
func (s *session) commit(u *upload, name string) error {
	box := s.srv.boxes.get(s.view.box)
	dst := filepath.Join(s.srv.spool.Dir(s.view.box, spool.Outbox), name)
	s.srv.events.Acknowledging(s.who, s.view.box, name)
	box.mu.Lock()
	err := spool.MoveNoReplace(u.staged, dst)
	if err == nil {
		delete(box.uploads, u.name)
		now := s.srv.now()
		box.recent[name] = sent{size: u.size, mtime: u.mtime, expires: now.Add(s.srv.cfg.RecentWindow)}
	}
	box.mu.Unlock()
	s.srv.events.Acknowledged(s.who, s.view.box, name, err == nil)
	if errors.Is(err, spool.ErrTargetExists) {
		s.discard(u, "name already sent")
		return alreadySent(name)
	}
	if err != nil {
		s.log.Error().Err(err).Str(logFile, name).Msg("commit of upload failed")
		s.discard(u, "commit failed")
		return failure("%s could not be stored; the upload has been discarded, send it again", name)
	}
	s.audit(ledger.EventUpload, name, fmt.Sprintf("size=%d", u.size))
	s.srv.metrics.Uploaded()
	s.log.Info().Str(logFile, name).Int64(logSize, u.size).Msg("upload acknowledged")
	return nil
}

// discard removes an upload that will never be acknowledged.
func (s *session) discard(u *upload, why string) {
	box := s.srv.boxes.get(s.view.box)
	box.mu.Lock()
	if box.uploads[u.name] == u {
		delete(box.uploads, u.name)
	}
	box.mu.Unlock()
	u.mu.Lock()
	if u.f != nil {
		u.f.Close()
		u.f = nil
	}
	u.mu.Unlock()
	os.Remove(u.staged)
	s.audit(ledger.EventUploadAborted, u.name, why)
	s.log.Info().Str(logFile, u.name).Str("reason", why).Msg("upload discarded")
}

func alreadySent(name string) error {
	return failure("%s has already been sent and is being processed; send the file again under the next sequence number", name)
}

// tempName reports whether name is a client temporary name.
func (s *session) tempName(name string) bool {
	lower := strings.ToLower(name)
	for _, suf := range s.srv.cfg.TempSuffixes {
		if strings.HasSuffix(lower, strings.ToLower(suf)) && len(name) > len(suf) {
			return true
		}
	}
	return false
}

// finalName drops a temporary suffix.
func (s *session) finalName(name string) string {
	lower := strings.ToLower(name)
	for _, suf := range s.srv.cfg.TempSuffixes {
		if strings.HasSuffix(lower, strings.ToLower(suf)) && len(name) > len(suf) {
			return name[:len(name)-len(suf)]
		}
	}
	return name
}

func formatSize(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}
