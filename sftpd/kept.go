package sftpd

import (
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/pkg/sftp"

	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/spool"
)

// A keeper takes complete uploads into one folder whose files a service
// keeps: /lost-pupils/match/, the folders of /messages/ and /admin/.
// Errors it returns are shown to the user.
type keeper interface {
	// checkPut says at OPEN, before any data is sent, whether a file may be
	// uploaded under name; it returns the size limit and what the limit is
	// for, for the too-large message.
	checkPut(name string) (limit int64, note string, err error)
	// put takes the complete upload named name, staged in the file staged,
	// before the client gets OK. On error the staged file is the caller's
	// to remove.
	put(name, staged string) error
}

// keptUpload is a file being uploaded into a kept folder. Like an outbox
// upload its bytes go to a staging file and it is acknowledged at a clean
// CLOSE, or for a client temporary name at the RENAME to its final name:
// the keeper then takes it before the client gets OK. An aborted upload,
// or one its session leaves unfinished, is discarded.
type keptUpload struct {
	stagedFile
	dir    string // the folder's virtual path, e.g. "/messages/outbox"
	keeper keeper
	commit bool // being handed to the keeper; guarded by mu
}

var (
	_ io.WriterAt        = (*keptUpload)(nil)
	_ io.Closer          = (*keptUpload)(nil)
	_ sftp.TransferError = (*keptUpload)(nil)
)

func (u *keptUpload) path() string { return u.dir + "/" + u.name }

// keptWrite opens dir/name for upload into a kept folder. The name is
// checked before any data is sent.
func (s *session) keptWrite(dir, name string, k keeper, flags sftp.FileOpenFlags) (io.WriterAt, error) {
	if s.srv.ctx.Err() != nil {
		return nil, failure("the server is shutting down; send %s again in a few minutes", name)
	}
	limit, note, err := k.checkPut(s.finalName(name))
	if err != nil {
		return nil, err
	}
	box := s.srv.boxes.get(s.view.box)
	box.mu.Lock()
	defer box.mu.Unlock()
	if u := box.keptUploads()[dir+"/"+name]; u != nil {
		u.mu.Lock()
		defer u.mu.Unlock()
		if u.open || u.commit {
			return nil, failure("%s is being uploaded in another session; wait for it to finish", name)
		}
		if flags.Excl {
			return nil, failure("%s already exists", name)
		}
		f, err := os.OpenFile(u.staged, os.O_WRONLY, 0)
		if err != nil {
			return nil, clientError(s.logged(err))
		}
		if flags.Trunc {
			if err := f.Truncate(0); err != nil {
				f.Close()
				return nil, clientError(s.logged(err))
			}
			u.size = 0
		}
		u.sess, u.keeper, u.limit, u.limitNote = s, k, limit, note
		u.f, u.open, u.done, u.err, u.aborted, u.append = f, true, false, nil, false, flags.Append
		return u, nil
	}
	f, err := newStagingFile(s.srv.spool.Dir(s.view.box, spool.Staging))
	if err != nil {
		return nil, clientError(s.logged(err))
	}
	u := &keptUpload{dir: dir, keeper: k, stagedFile: stagedFile{sess: s, name: name, temp: s.tempName(name), staged: f.Name(),
		limit: limit, limitNote: note, append: flags.Append, f: f, open: true, mtime: s.srv.now()}}
	box.keptUploads()[u.path()] = u
	return u, nil
}

// keptUploads returns the mailbox's uploads into kept folders, by virtual
// path; box.mu must be held.
func (b *boxState) keptUploads() map[string]*keptUpload {
	if b.kept == nil {
		b.kept = make(map[string]*keptUpload)
	}
	return b.kept
}

// Close ends a handle: a clean close of a plain name hands the file to
// the keeper; of a temporary name it keeps the file for the final rename.
func (u *keptUpload) Close() error {
	if why, err := u.closeHandle(""); why != "" {
		u.sess.keptDiscard(u, why)
		return err
	}
	if u.temp {
		return nil
	}
	return u.sess.keptCommit(u, u.name)
}

// keptCommit hands a complete upload to its keeper under name.
func (s *session) keptCommit(u *keptUpload, name string) error {
	u.mu.Lock()
	u.commit = true
	u.mu.Unlock()
	if err := u.keeper.put(name, u.staged); err != nil {
		s.keptDiscard(u, "refused")
		return err
	}
	box := s.srv.boxes.get(s.view.box)
	box.mu.Lock()
	if box.keptUploads()[u.path()] == u {
		delete(box.kept, u.path())
	}
	box.mu.Unlock()
	os.Remove(u.staged) // the keeper has taken or copied it
	s.audit(ledger.EventUpload, u.dir+"/"+name, fmt.Sprintf("size=%d", u.size))
	s.log.Info().Str(logFile, u.dir+"/"+name).Int64(logSize, u.size).Msg("upload taken")
	return nil
}

// keptDiscard removes an upload that will never be taken.
func (s *session) keptDiscard(u *keptUpload, why string) {
	box := s.srv.boxes.get(s.view.box)
	box.mu.Lock()
	if box.keptUploads()[u.path()] == u {
		delete(box.kept, u.path())
	}
	box.mu.Unlock()
	u.mu.Lock()
	if u.f != nil {
		u.f.Close()
		u.f = nil
	}
	u.mu.Unlock()
	os.Remove(u.staged)
	s.audit(ledger.EventUploadAborted, u.path(), why)
	s.log.Info().Str(logFile, u.path()).Str("reason", why).Msg("upload discarded")
}

// keptCleanup discards the session's unfinished uploads into kept
// folders, temporary names never renamed included.
func (s *session) keptCleanup() {
	box := s.srv.boxes.get(s.view.box)
	box.mu.Lock()
	var left []*keptUpload
	for _, u := range box.kept {
		if u.sess == s {
			left = append(left, u)
		}
	}
	box.mu.Unlock()
	for _, u := range left {
		s.keptDiscard(u, "session ended before the upload completed")
	}
}

// keptPending returns the upload in progress at dir/name, if any.
func (s *session) keptPending(dir, name string) *keptUpload {
	box := s.srv.boxes.get(s.view.box)
	box.mu.Lock()
	defer box.mu.Unlock()
	return box.keptUploads()[dir+"/"+name]
}

// keptPendingIn adds to out the uploads in progress into dir that are not
// already listed, and sorts the listing.
func (s *session) keptPendingIn(dir string, out listerAt) listerAt {
	seen := make(map[string]bool, len(out))
	for _, fi := range out {
		seen[fi.Name()] = true
	}
	box := s.srv.boxes.get(s.view.box)
	box.mu.Lock()
	var ups []*keptUpload
	for _, u := range box.kept {
		if u.dir == dir && !seen[u.name] {
			ups = append(ups, u)
		}
	}
	box.mu.Unlock()
	for _, u := range ups {
		out = append(out, u.info())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out
}

// keptRename completes an upload sent under a client temporary name by
// renaming it to its final name in the same folder.
func (s *session) keptRename(u *keptUpload, dstDir, dstName string) error {
	if dstDir != u.dir {
		return denied("rename %s to its final name in %s/", u.name, u.dir)
	}
	u.mu.Lock()
	busy, done, size := u.open || u.commit, u.done, u.size
	u.mu.Unlock()
	switch {
	case busy:
		return failure("%s is still being uploaded; close it before renaming", u.name)
	case !done:
		return failure("%s is incomplete; upload it again", u.name)
	case s.tempName(dstName):
		return denied("rename %s to its final name, without the temporary suffix", u.name)
	}
	limit, note, err := u.keeper.checkPut(dstName)
	if err != nil {
		return err
	}
	if size > limit {
		s.keptDiscard(u, "too large")
		return failure("%s is larger than the %s limit for %s; the upload has been discarded", dstName, formatSize(limit), note)
	}
	return s.keptCommit(u, dstName)
}

// keptRemovePending discards an upload that is not in progress.
func (s *session) keptRemovePending(u *keptUpload) error {
	u.mu.Lock()
	busy := u.open || u.commit
	u.mu.Unlock()
	if busy {
		return failure("%s is still being uploaded", u.name)
	}
	s.keptDiscard(u, "removed by the client")
	return nil
}
