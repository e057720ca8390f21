package delivery

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/s2sd/s2sd/spool"
)

// execute carries out a plan's file moves. Each step checks whether it was
// done already, so a plan interrupted by a crash can be carried out again.
// The file is linked into LA copies first and moved last: the move is the
// step that takes it out of the outbox. The directories it changed are
// added to dirs, which the caller must fsync before it records the plan
// as carried out; a batch of files so shares one fsync per directory.
func (r *Router) execute(k key, p plan, dirs dirSet) error {
	src := r.cfg.abs(spoolRel(k.box, spool.Outbox, k.name))
	dst := r.cfg.abs(p.DestPath)
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	_, srcErr := os.Lstat(src)
	srcGone := errors.Is(srcErr, os.ErrNotExist)
	if p.Reject {
		if err := writeReasons(dst+".txt", k.name, p.Reasons); err != nil {
			return err
		}
		if srcGone {
			return nil
		}
		if err := os.Rename(src, dst); err != nil {
			return err
		}
		dirs.add(filepath.Dir(dst))
		return nil
	}
	for _, c := range p.Copies {
		cp := r.cfg.abs(c.Path)
		if _, err := os.Lstat(cp); err == nil {
			continue
		}
		from := src
		if srcGone {
			from = dst
		}
		if err := os.MkdirAll(filepath.Dir(cp), 0o700); err != nil {
			return err
		}
		if err := os.Link(from, cp); err != nil {
			return fmt.Errorf("LA copy %s: %w", c.Path, err)
		}
		dirs.add(filepath.Dir(cp))
	}
	if srcGone {
		if _, err := os.Lstat(dst); err != nil {
			return fmt.Errorf("%s left the outbox but is not at %s", k.name, p.DestPath)
		}
		return nil
	}
	if err := spool.RenameNoReplace(src, dst); err != nil {
		return err
	}
	dirs.add(filepath.Dir(dst))
	return nil
}

// dirSet is the directories a batch of moves changed.
type dirSet map[string]bool

func (d dirSet) add(dir string) { d[dir] = true }

// syncAll fsyncs every directory of the set.
func (d dirSet) syncAll() error {
	for dir := range d {
		if err := spool.SyncDir(dir); err != nil {
			return err
		}
	}
	return nil
}

// writeReasons writes the NAME.txt beside a rejected file, durably.
func writeReasons(path, name string, reasons []string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s was not sent, for these reasons:\r\n\r\n", name)
	for _, r := range reasons {
		fmt.Fprintf(&b, "- %s\r\n", r)
	}
	b.WriteString("\r\nCorrect the file and send it again. Delete this note and the file once read.\r\n")
	tmp := path + ".new"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(b.String()); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return spool.SyncDir(filepath.Dir(path))
}
