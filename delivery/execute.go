package delivery

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
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

// syncSources fsyncs the outbox and staging folder of each mailbox the
// jobs move files out of, before any moves. sftpd acknowledges a small
// upload through its record in staging and renames it into the outbox
// without an fsync (see spool.RecoverStaging): until that rename is on
// disk, a crash would leave the file in staging with its record, and a
// file routed meanwhile would then be moved into the outbox again at
// start-up and routed twice. If an fsync fails, nothing is moved, as when
// the fsync after the moves fails.
func (r *Router) syncSources(jobs []*job) {
	seen := map[string]bool{}
	var dirs []string
	var todo []*job
	for _, j := range jobs {
		if j.err != nil || j.done {
			continue
		}
		todo = append(todo, j)
		if seen[j.k.box] {
			continue
		}
		seen[j.k.box] = true
		dirs = append(dirs, r.cfg.abs(spoolRel(j.k.box, spool.Outbox, "")))
		if staging := r.cfg.abs(spoolRel(j.k.box, spool.Staging, "")); isDir(staging) {
			dirs = append(dirs, staging)
		}
	}
	if err := spool.SyncDirs(dirs...); err != nil {
		for _, j := range todo {
			j.err = fmt.Errorf("fsync of the outbox before routing: %w", err)
		}
	}
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// dirSet is the directories a batch of moves changed.
type dirSet map[string]bool

func (d dirSet) add(dir string) { d[dir] = true }

// syncAll fsyncs every directory of the set, several at once.
func (d dirSet) syncAll() error {
	return spool.SyncDirs(slices.Collect(maps.Keys(d))...)
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
