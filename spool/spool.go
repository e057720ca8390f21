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

// ClearStaging removes every unacknowledged upload left by a crash.
func (l Layout) ClearStaging() error {
	boxes, err := os.ReadDir(l.Root)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, b := range boxes {
		if !b.IsDir() {
			continue
		}
		dir := l.Dir(b.Name(), Staging)
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// SyncDir fsyncs a directory so that renames and creations in it are
// durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
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
