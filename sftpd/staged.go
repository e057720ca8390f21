package sftpd

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/s2sd/s2sd/spool"
)

// stagedFile is a file being uploaded into a staging file, shared by
// uploads into /outbox and into /lost-pupils/match/: writes bounded by a
// limit, aborts marked, and each handle's close made durable or discarded.
type stagedFile struct {
	sess      *session
	name      string // the client's name
	temp      bool   // name is a client temporary name
	staged    string // staging file path
	limit     int64
	limitNote string // what the limit is for, in the too-large message
	append    bool
	carry     bool // record the sender in the file before its fsync
	carried   bool // the file carries its sender (spool.WriteSender, WriteAcked)

	mu      sync.Mutex
	f       *os.File
	open    bool  // a handle is open on it
	done    bool  // closed cleanly; a temporary name awaits its rename
	err     error // a write failed: discard at close
	aborted bool  // the transfer broke off
	size    int64
	mtime   time.Time
	synced  time.Duration // what making it durable took at the last clean close: its record and the fsyncs
	marked  bool          // the last clean close marked it acknowledged (spool.WriteAcked)
	crcOK   bool          // the file was new and every write came in order from its start...
	crc     uint32        // ...so this is the CRC-32C of its size bytes
	written int64         // writeback started up to here (StartWriteback)
}

// writebackChunk is how much of a large upload is written before its
// writeback is started, so that the disk writes it while the client
// sends the rest instead of all of it at CLOSE's fsync.
const writebackChunk = 2 << 20

func newStagingFile(dir string) (*os.File, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return spool.OpenFile(filepath.Join(dir, hex.EncodeToString(b)), os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o600)
}

// WriteAt writes to the staging file. A write that would take the file past
// its limit fails, and the whole upload is then discarded at its close.
func (u *stagedFile) WriteAt(p []byte, off int64) (int, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.err != nil {
		return 0, u.err
	}
	if u.append {
		off = u.size
	}
	if off < 0 || off+int64(len(p)) > u.limit {
		u.err = failure("%s is larger than the %s limit for %s; the upload has been discarded", u.name, formatSize(u.limit), u.limitNote)
		return 0, u.err
	}
	n, err := u.f.WriteAt(p, off)
	if u.crcOK && off == u.size && off+int64(n) <= spool.MarkLimit {
		u.crc = spool.UpdateCRC(u.crc, p[:n])
	} else {
		u.crcOK = false // mark reads the file back
	}
	if end := off + int64(n); end > u.size {
		u.size = end
	}
	if u.size-u.written >= writebackChunk {
		spool.StartWriteback(u.f, u.written, u.size-u.written) // best effort: the fsync at CLOSE writes what is left
		u.written = u.size
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
func (u *stagedFile) TransferError(error) {
	u.mu.Lock()
	u.aborted = true
	u.mu.Unlock()
}

// closeHandle ends a handle, fsyncing the file unless the upload failed.
// If the upload must be discarded, it returns why (for the audit log) and
// the error for the client; otherwise why is "". A close that will
// acknowledge the upload under a name gives ackAs: a small file is then
// marked acknowledged (see acked) and fsynced with its staging folder.
func (u *stagedFile) closeHandle(ackAs string) (why string, err error) {
	u.mu.Lock()
	u.open = false
	failed, aborted := u.err, u.aborted
	var syncErr error
	if failed == nil && !aborted {
		start := time.Now()
		u.marked = false
		if u.carry {
			// One attribute write, best effort: without extended
			// attributes the router records the sender in the ledger
			// instead, and a small upload is acknowledged the slower way.
			if a, ok := u.acked(ackAs); ok {
				u.carried = spool.WriteAcked(u.f, u.sender(), a) == nil
				u.marked = u.carried
			} else {
				u.carried = spool.WriteSender(u.f, u.sender()) == nil
			}
		}
		if u.marked {
			syncErr = u.syncWithStaging()
		} else {
			syncErr = u.f.Sync()
		}
		u.synced = time.Since(start)
	}
	u.f.Close()
	u.f = nil
	if failed == nil && !aborted && syncErr == nil {
		u.done = true
	}
	u.mu.Unlock()
	switch {
	case aborted:
		return "transfer aborted", failure("%s: transfer aborted; the upload has been discarded", u.name)
	case failed != nil:
		return "write failed", failed
	case syncErr != nil:
		u.sess.log.Error().Err(syncErr).Str(logFile, u.name).Msg("fsync of staging file failed")
		return "fsync failed", failure("%s could not be stored durably; the upload has been discarded, send it again", u.name)
	}
	return "", nil
}

// acked returns what the staged file's record says when a close
// acknowledges it under name (spool.WriteAcked), so that start-up can
// finish its move into the outbox: the move need then not be fsynced
// before the client is told. Only a small file acknowledged under a name
// is marked; ok is false for any other. u.mu is held.
func (u *stagedFile) acked(name string) (a spool.Acked, ok bool) {
	if name == "" || u.size > spool.MarkLimit {
		return spool.Acked{}, false
	}
	size, crc := u.size, u.crc
	if !u.crcOK {
		var err error
		if size, crc, err = spool.Checksum(u.f); err != nil {
			return spool.Acked{}, false
		}
	}
	return spool.Acked{Name: name, Size: size, CRC: crc}, true
}

// sender is who the file is from: the session acknowledging it, which may
// have resumed another's upload.
func (u *stagedFile) sender() spool.Sender {
	who := u.sess.who
	return spool.Sender{Login: who.Login, Role: who.Role, Remote: who.Remote}
}

// syncWithStaging fsyncs the file and staging, which holds its name.
func (u *stagedFile) syncWithStaging() error {
	dir, err := u.sess.stagingDir()
	if err != nil {
		return err
	}
	return u.sess.srv.syncer.SyncWithDir(u.f, dir)
}

// info describes the upload in a listing.
func (u *stagedFile) info() fileInfo {
	u.mu.Lock()
	defer u.mu.Unlock()
	return fileInfo{name: u.name, size: u.size, mode: 0o600, mtime: u.mtime}
}
