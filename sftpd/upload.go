package sftpd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pkg/sftp"

	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/spool"
)

// upload is one file being written into /outbox. Its bytes go to a staging
// file; it becomes visible to routing only when acknowledged: at a clean
// CLOSE for a plain name, or at the RENAME of a client temporary name.
type upload struct {
	stagedFile
}

var (
	_ io.WriterAt        = (*upload)(nil)
	_ io.Closer          = (*upload)(nil)
	_ sftp.TransferError = (*upload)(nil)
)

// Close ends a handle. A clean close of a plain name acknowledges the
// upload; of a temporary name it keeps the file for the final rename.
func (u *upload) Close() error {
	ackAs := u.name
	if u.temp {
		ackAs = ""
	}
	if why, err := u.closeHandle(ackAs); why != "" {
		u.sess.discard(u, why)
		return err
	}
	if u.temp {
		return nil
	}
	return u.sess.commit(u, u.name)
}

// reopen opens the staging file of an existing upload again, as a client
// does to resume it.
func (u *upload) reopen(trunc, appendMode bool) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	f, err := os.OpenFile(u.staged, os.O_RDWR, 0)
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
	u.f, u.open, u.done, u.err, u.aborted, u.append, u.marked, u.crcOK = f, true, false, nil, false, appendMode, false, false
	return nil
}

// commit moves an acknowledged upload into the outbox under name, durably,
// and records it. Only then does the client get OK. A file its close
// marked acknowledged (stagedFile.acked) is durable already, in staging
// with its record, so its move is not fsynced here: routing fsyncs the
// outbox before it moves the file on, and start-up finishes a move a
// crash lost.
func (s *session) commit(u *upload, name string) error {
	box := s.srv.boxes.get(s.view.box)
	dst := filepath.Join(s.srv.spool.Dir(s.view.box, spool.Outbox), name)
	u.mu.Lock()
	carried, synced, marked, staged := u.carried, u.synced, u.marked, u.staged
	u.mu.Unlock()
	move := spool.MoveNoReplace
	if marked {
		move = spool.RenameNoReplace
	}
	s.srv.events.Acknowledging(s.who, s.view.box, name, carried)
	box.mu.Lock()
	start := time.Now()
	err := move(staged, dst)
	moved := time.Since(start)
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
	// The router audits the upload when it records it, in the same commit.
	s.srv.metrics.Uploaded(synced + moved)
	s.log.Info().Str(logFile, name).Int64(logSize, u.size).Msg("upload acknowledged")
	s.makeSpare()
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
	marked, staged := u.marked, u.staged
	u.mu.Unlock()
	if err := os.Remove(staged); err == nil && marked {
		// Durably, or start-up would find the record and move the file
		// into the outbox after all.
		if err := spool.SyncDir(filepath.Dir(staged)); err != nil {
			s.log.Error().Err(err).Str(logFile, u.name).Msg("fsync of staging after a discard failed")
		}
	}
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
