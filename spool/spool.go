// Package spool is the on-disk layout of mailboxes: one directory per
// mailbox code holding its outbox, inbox, rejected and copies folders, and
// a hidden staging folder for uploads in progress. All of it lives on one
// filesystem so that files move by rename, never by copy.
package spool

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"
)

// Folders of a mailbox.
const (
	Outbox   = "outbox"
	Inbox    = "inbox"
	Rejected = "rejected"
	Copies   = "copies"
	Staging  = ".staging" // uploads not yet acknowledged; cleared at start-up
)

// AdminBox is the spool directory of admin users, who have no mailbox.
const AdminBox = "admin"

// Layout locates mailbox directories under a root.
type Layout struct {
	Root string
}

// Dir returns the path of a folder of a mailbox.
func (l Layout) Dir(code, folder string) string {
	return filepath.Join(l.Root, code, folder)
}

// Ensure creates a mailbox's folders if they are missing.
func (l Layout) Ensure(code string) error {
	for _, f := range []string{Outbox, Inbox, Rejected, Copies, Staging} {
		if err := os.MkdirAll(l.Dir(code, f), 0o700); err != nil {
			return err
		}
	}
	return nil
}

// RecoverStaging clears staging after a crash. An upload whose record
// says it was acknowledged, and whose bytes match the record, is moved
// into its outbox, the move its acknowledgement left for later (see
// acked.go); every other file is an upload never acknowledged, and is
// removed. It returns how many uploads it moved.
func (l Layout) RecoverStaging() (int, error) {
	boxes, err := os.ReadDir(l.Root)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	moved := 0
	for _, b := range boxes {
		if !b.IsDir() {
			continue
		}
		n, err := l.recoverBox(b.Name())
		moved += n
		if err != nil {
			return moved, err
		}
	}
	return moved, nil
}

func (l Layout) recoverBox(code string) (int, error) {
	dir := l.Dir(code, Staging)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, nil
	}
	moved := 0
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if a, ok := ReadAcked(p); ok && e.Type().IsRegular() {
			if err := os.MkdirAll(l.Dir(code, Outbox), 0o700); err != nil {
				return moved, err
			}
			err := RenameNoReplace(p, filepath.Join(l.Dir(code, Outbox), a.Name))
			if err == nil {
				moved++
				continue
			}
			if !errors.Is(err, ErrTargetExists) {
				return moved, fmt.Errorf("moving %s from staging into the outbox of %s: %w", a.Name, code, err)
			}
			// The name was taken: the upload was refused as already sent.
		}
		if err := os.Remove(p); err != nil {
			return moved, fmt.Errorf("removing an unacknowledged upload from staging: %w", err)
		}
	}
	if moved == 0 {
		return 0, nil
	}
	return moved, SyncDirs(l.Dir(code, Outbox), dir)
}

// SyncDir fsyncs a directory so that renames and creations in it are
// durable.
func SyncDir(dir string) error {
	d, err := OpenFile(dir, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// maxSyncs is how many fsyncs SyncDirs runs at once. The
// device serves fsyncs that wait together with one flush.
const maxSyncs = 8

// SyncDirs fsyncs directories, several at once, and returns their
// errors.
func SyncDirs(dirs ...string) error {
	if len(dirs) == 1 {
		return SyncDir(dirs[0])
	}
	errs := make([]error, len(dirs))
	sem := make(chan struct{}, maxSyncs)
	var wg sync.WaitGroup
	for i, dir := range dirs {
		sem <- struct{}{}
		wg.Go(func() {
			errs[i] = SyncDir(dir)
			<-sem
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// SyncWithDir fsyncs f and dir, the directory that holds it, at the same
// time, for the cost of about one device flush instead of two in turn.
func SyncWithDir(f, dir *os.File) error {
	dirErr := make(chan error, 1)
	go func() { dirErr <- dir.Sync() }()
	err := f.Sync()
	return errors.Join(err, <-dirErr)
}

// StartWriteback asks the kernel to start writing n bytes of f from off to
// the disk, without waiting: a large upload's fsync at its close then has
// less left to write.
func StartWriteback(f *os.File, off, n int64) error {
	return unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}

// ErrTargetExists is returned by MoveNoReplace when the target exists.
var ErrTargetExists = errors.New("target exists")

// MoveNoReplace renames src to dst atomically, failing with ErrTargetExists
// instead of replacing an existing dst, then fsyncs dst's directory.
func MoveNoReplace(src, dst string) error {
	if err := RenameNoReplace(src, dst); err != nil {
		return err
	}
	return SyncDir(filepath.Dir(dst))
}

// RenameNoReplace is MoveNoReplace without the fsync: the caller syncs
// dst's directory before it relies on the move.
func RenameNoReplace(src, dst string) error {
	err := unix.Renameat2(unix.AT_FDCWD, src, unix.AT_FDCWD, dst, unix.RENAME_NOREPLACE)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) {
		// The filesystem lacks RENAME_NOREPLACE: link then unlink is just
		// as exclusive.
		if err = os.Link(src, dst); err == nil {
			err = os.Remove(src)
		}
	}
	if errors.Is(err, unix.EEXIST) || errors.Is(err, os.ErrExist) {
		return fmt.Errorf("move %s: %w", filepath.Base(dst), ErrTargetExists)
	}
	return err
}
