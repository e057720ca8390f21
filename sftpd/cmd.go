package sftpd

import (
	"os"

	"github.com/pkg/sftp"
	"golang.org/x/sys/unix"

	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/spool"
)

// Filecmd serves SETSTAT, RENAME, REMOVE, MKDIR, RMDIR, SYMLINK and LINK.
func (s *session) Filecmd(r *sftp.Request) error {
	switch r.Method {
	case "Setstat":
		return s.setstat(r)
	case "Rename", "PosixRename":
		return s.rename(r)
	case "Remove":
		return s.remove(r)
	case "Mkdir":
		return denied("folders cannot be created; upload files into /outbox/")
	case "Rmdir":
		return denied("folders cannot be removed")
	case "Symlink", "Link":
		return denied("links are not allowed")
	}
	return unsupported("%s is not supported", r.Method)
}

// PosixRename (posix-rename@openssh.com) works like RENAME.
func (s *session) PosixRename(r *sftp.Request) error { return s.rename(r) }

// setstat accepts times and ignores permissions and ownership, as WinSCP
// and paramiko set them after an upload; it changes nothing on disk.
func (s *session) setstat(r *sftp.Request) error {
	t, err := s.view.resolve(r.Filepath)
	if err != nil {
		return err
	}
	if _, err := s.stat(t); err != nil {
		return err
	}
	return nil
}

// rename completes an upload sent under a client temporary name: the
// staged file moves into /outbox under its final name.
func (s *session) rename(r *sftp.Request) error {
	src, err := s.view.resolve(r.Filepath)
	if err != nil {
		return err
	}
	dst, err := s.view.resolve(r.Target)
	if err != nil {
		return err
	}
	if src.lost != nil || dst.lost != nil {
		return s.lostRename(src, dst)
	}
	if src.report != nil || dst.report != nil {
		return denied("reports cannot be renamed: download them")
	}
	if src.doc != nil || dst.doc != nil {
		return s.docRename(src, dst)
	}
	if src.name == "" || dst.name == "" || src.folder.name != spool.Outbox || dst.folder.name != spool.Outbox {
		return denied("only a file uploaded into /outbox/ under a temporary name (such as NAME.filepart) can be renamed, to its final name in /outbox/")
	}
	box := s.srv.boxes.get(s.view.box)
	box.mu.Lock()
	u := box.uploads[src.name]
	var state string
	if u != nil {
		u.mu.Lock()
		switch {
		case u.open:
			state = "open"
		case !u.done:
			state = "incomplete"
		}
		u.mu.Unlock()
	}
	_, recent := box.recentLocked(src.name, s.srv.now())
	box.mu.Unlock()
	switch {
	case u == nil && recent:
		return denied("%s has been sent and can no longer be renamed", src.name)
	case u == nil:
		if _, err := os.Lstat(s.diskPath(src)); err == nil {
			return denied("%s has been sent and can no longer be renamed", src.name)
		}
		return notFound(src.path)
	case state == "open":
		return failure("%s is still being uploaded; close it before renaming", src.name)
	case state == "incomplete":
		return failure("%s is incomplete; upload it again", src.name)
	case !u.temp:
		return denied("%s has been sent and can no longer be renamed", src.name)
	case s.tempName(dst.name):
		return denied("rename %s to its final name, without the temporary suffix", src.name)
	}
	limit, err := s.srv.checker.CheckUpload(s.who, dst.name)
	if err != nil {
		return failure("%s", err.Error())
	}
	if u.size > limit {
		s.discard(u, "too large for its final name")
		return failure("%s is larger than the %s limit for this kind of file; the upload has been discarded", dst.name, formatSize(limit))
	}
	return s.commit(u, dst.name)
}

// remove deletes a file: an unfinished upload in /outbox, or a file in
// /inbox, /rejected or /copies. Sent files cannot be deleted.
func (s *session) remove(r *sftp.Request) error {
	t, err := s.view.resolve(r.Filepath)
	if err != nil {
		return err
	}
	if t.lost != nil {
		return s.lostRemove(t)
	}
	if t.doc != nil {
		return s.docRemove(t)
	}
	if t.folder != nil && t.folder.withdr && t.name != "" {
		return s.withdrawRemove(t)
	}
	if t.name == "" || t.report != nil {
		return denied("%s cannot be deleted", t.path)
	}
	if t.folder.name == spool.Outbox {
		box := s.srv.boxes.get(s.view.box)
		box.mu.Lock()
		u := box.uploads[t.name]
		_, recent := box.recentLocked(t.name, s.srv.now())
		box.mu.Unlock()
		if u != nil {
			u.mu.Lock()
			open := u.open
			u.mu.Unlock()
			if open {
				return failure("%s is still being uploaded", t.name)
			}
			s.discard(u, "removed by the client")
			return nil
		}
		if _, err := os.Lstat(s.diskPath(t)); err == nil || recent {
			return denied("%s has been sent and can no longer be deleted", t.name)
		}
		return notFound(t.path)
	}
	if !t.folder.delete {
		return denied("files cannot be deleted from /%s/", t.folder.name)
	}
	p := s.diskPath(t)
	fi, err := os.Lstat(p)
	if err != nil || !fi.Mode().IsRegular() {
		return notFound(t.path)
	}
	if err := s.srv.events.Removing(s.who, s.view.box, t.folder.name, t.name); err != nil {
		return clientError(s.logged(err))
	}
	if err := os.Remove(p); err != nil {
		return clientError(s.logged(err))
	}
	s.audit(ledger.EventDelete, t.path, "")
	return nil
}

// StatVFS answers statvfs@openssh.com for the spool's filesystem.
func (s *session) StatVFS(r *sftp.Request) (*sftp.StatVFS, error) {
	if _, err := s.view.resolve(r.Filepath); err != nil {
		return nil, err
	}
	var st unix.Statfs_t
	if err := unix.Statfs(s.srv.spool.Root, &st); err != nil {
		return nil, clientError(s.logged(err))
	}
	return &sftp.StatVFS{
		Bsize: uint64(st.Bsize), Frsize: uint64(st.Frsize), Blocks: st.Blocks,
		Bfree: st.Bfree, Bavail: st.Bavail, Files: st.Files, Ffree: st.Ffree,
		Favail: st.Ffree, Fsid: uint64(uint32(st.Fsid.Val[0]))<<32 | uint64(uint32(st.Fsid.Val[1])),
		Namemax: uint64(st.Namelen),
	}, nil
}
