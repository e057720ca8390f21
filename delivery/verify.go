package delivery

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/spool"
)

// Difference is one way the ledger and the files on disk disagree.
type Difference struct {
	Path    string // data-relative
	Problem string
}

func (d Difference) String() string { return d.Path + ": " + d.Problem }

// Verify compares the ledger with the files on disk under data: every
// stored transfer and LA copy the ledger knows must be on disk with its
// size and SHA-256, every file in an inbox, copies folder or the Lost
// Pupil Database store must be known to the ledger, no upload may be left
// pending, and no acknowledged file may wait unrouted in an outbox.
func Verify(ctx context.Context, data string, l *ledger.Ledger, tempSuffixes []string) ([]Difference, error) {
	var diffs []Difference
	add := func(path, format string, args ...any) {
		diffs = append(diffs, Difference{Path: path, Problem: fmt.Sprintf(format, args...)})
	}
	pending, err := l.PendingUploads(ctx)
	if err != nil {
		return nil, err
	}
	for _, up := range pending {
		add(spoolRel(up.Box, spool.Outbox, up.Name), "upload %d is still being routed: start s2sd to finish it", up.ID)
	}
	transfers, err := l.Transfers(ctx, ledger.TransferFilter{})
	if err != nil {
		return nil, err
	}
	for _, t := range transfers {
		if !t.RemovedAt.IsZero() {
			continue
		}
		size, sum, err := fileSum(filepath.Join(data, t.Path))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			add(t.Path, "transfer %d (%s) is missing from disk", t.ID, t.State)
		case err != nil:
			add(t.Path, "transfer %d cannot be read: %v", t.ID, err)
		case size != t.Size || sum != t.SHA256:
			add(t.Path, "transfer %d differs from what was sent (size %d, want %d)", t.ID, size, t.Size)
		}
	}
	live, err := l.LiveFiles(ctx)
	if err != nil {
		return nil, err
	}
	for path, id := range live {
		if _, err := os.Lstat(filepath.Join(data, path)); err != nil {
			if strings.Contains(path, "/"+spool.Copies+"/") {
				add(path, "LA copy of transfer %d is missing from disk", id)
			}
		}
	}
	onDisk, err := storedFiles(data, tempSuffixes)
	if err != nil {
		return nil, err
	}
	for _, f := range onDisk {
		switch {
		case f.folder == spool.Outbox:
			add(f.rel, "acknowledged upload waits unrouted in an outbox: start s2sd to route it")
		case live[f.rel] == 0:
			add(f.rel, "file on disk is not in the ledger")
		}
	}
	sort.Slice(diffs, func(i, j int) bool { return diffs[i].Path < diffs[j].Path })
	return diffs, nil
}

type storedFile struct {
	rel    string
	folder string
}

// storedFiles lists the files of every inbox, copies folder and outbox,
// and of the Lost Pupil Database store.
func storedFiles(data string, tempSuffixes []string) ([]storedFile, error) {
	var out []storedFile
	boxes, err := os.ReadDir(filepath.Join(data, "spool"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for _, b := range boxes {
		for _, folder := range []string{spool.Inbox, spool.Copies, spool.Outbox} {
			entries, err := os.ReadDir(filepath.Join(data, "spool", b.Name(), folder))
			if err != nil {
				continue
			}
			for _, e := range entries {
				if e.Name()[0] == '.' || folder == spool.Outbox && isTemp(e.Name(), tempSuffixes) {
					continue
				}
				out = append(out, storedFile{rel: spoolRel(b.Name(), folder, e.Name()), folder: folder})
			}
		}
	}
	lost, err := os.ReadDir(filepath.Join(data, "lost"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for _, e := range lost {
		out = append(out, storedFile{rel: filepath.Join("lost", e.Name()), folder: "lost"})
	}
	return out, nil
}

func isTemp(name string, suffixes []string) bool {
	lower := strings.ToLower(name)
	for _, s := range suffixes {
		if strings.HasSuffix(lower, strings.ToLower(s)) {
			return true
		}
	}
	return false
}

func fileSum(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return n, hex.EncodeToString(h.Sum(nil)), err
}
