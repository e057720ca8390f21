package e2e

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/s2sd/s2sd/internal/ctftest"
)

// box is a folder of a mailbox on disk: outbox, inbox, rejected, copies
// or .staging.
func (d *daemon) box(code, folder string) string {
	return filepath.Join(d.data, "spool", code, folder)
}

// entries lists the names in a directory on disk, hidden ones included.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	names := []string{}
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// staged returns the uploads in a staging folder: every file but the
// empty spare a session that has uploaded keeps ready for its next
// upload (sftpd's spareFile). More than one empty file fails the test.
func staged(t *testing.T, dir string) []string {
	t.Helper()
	ups, empty := stagedFiles(t, dir)
	if len(empty) > 1 {
		t.Fatalf("staging %s holds %d empty files %q, want at most one spare", dir, len(empty), empty)
	}
	return ups
}

// stagedFiles splits a staging folder's files into uploads and empty ones.
func stagedFiles(t *testing.T, dir string) (ups, empty []string) {
	t.Helper()
	for _, n := range entries(t, dir) {
		fi, err := os.Stat(filepath.Join(dir, n))
		if errors.Is(err, os.ErrNotExist) {
			continue // taken meanwhile
		}
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() == 0 {
			empty = append(empty, n)
		} else {
			ups = append(ups, n)
		}
	}
	return ups, empty
}

// waitEntries waits up to a few seconds for a directory to hold exactly
// want, and fails the test if it does not.
func waitEntries(t *testing.T, dir string, want ...string) {
	t.Helper()
	slices.Sort(want)
	if want == nil {
		want = []string{}
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		got := entries(t, dir)
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s holds %q, want %q", dir, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// assertFile checks a file's exact bytes.
func assertFile(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: %d bytes differ from the %d sent", path, len(got), len(want))
	}
}

// content is n deterministic pseudo-random bytes, different per seed.
func content(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 0x5e2d))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// localFile writes data to a file in the test's scratch directory.
func (d *daemon) localFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	dir := filepath.Join(d.dir, "local")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// ctfName is a CTF file name from one school to another.
func ctfName(from, to string, seq int) string {
	return fmt.Sprintf("%s_CTF_%s_%03d.XML", from, to, seq)
}

// ctf is a valid one-pupil CTF from one school to another, padded with
// comments of pseudo-random letters to at least size bytes, and its name.
func ctf(from, to string, seq, size int) (string, []byte) {
	doc := ctftest.CTF(ctftest.Options{SourceLEA: from[:3], SourceEstab: from[3:], DestLEA: to[:3], DestEstab: to[3:], Serial: seq})
	end := strings.LastIndex(doc, "</CTfile>")
	var b strings.Builder
	b.WriteString(doc[:end])
	r := rand.New(rand.NewPCG(uint64(seq), uint64(size)))
	for b.Len()+len(doc)-end < size {
		// Comments shorter than the reader's 64 KiB cap on a run of bytes
		// without a '<'.
		line := make([]byte, min(16<<10, size-b.Len()-(len(doc)-end)))
		for i := range line {
			line[i] = 'a' + byte(r.IntN(26))
		}
		fmt.Fprintf(&b, "<!-- %s -->\n", line)
	}
	b.WriteString(doc[end:])
	return ctfName(from, to, seq), []byte(b.String())
}

// assertRouted waits for an upload to be routed into the destination's
// inbox and checks its bytes there and in the LA's copies, and that it
// has left the sender's outbox.
//
// A file is routed once its transfer is recorded, which is just after it
// appears in the inbox.
func (d *daemon) assertRouted(t *testing.T, from, to, name string, data []byte) {
	t.Helper()
	inbox := filepath.Join(d.box(to, "inbox"), name)
	db := openLedger(t, filepath.Join(d.data, "ledger.db"))
	deadline := time.Now().Add(5 * time.Second)
	for {
		var recorded int
		if _, err := os.Stat(inbox); err == nil {
			err := db.QueryRow(`SELECT COUNT(*) FROM transfers WHERE name = ? AND dest = ?`, name, to).Scan(&recorded)
			if err != nil {
				t.Fatal(err)
			}
		}
		if recorded > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s was not routed to %s within 5s: the outbox of %s holds %q, its rejected %q\n%s",
				name, inbox, from, entries(t, d.box(from, "outbox")), entries(t, d.box(from, "rejected")), d.logText())
		}
		time.Sleep(20 * time.Millisecond)
	}
	assertFile(t, inbox, data)
	assertFile(t, filepath.Join(d.box(to[:3]+"LLLL", "copies"), name), data)
	if _, err := os.Lstat(filepath.Join(d.box(from, "outbox"), name)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s is routed but still in the outbox of %s (%v)", name, from, err)
	}
}

// auditEvent is one row of the ledger's audit table.
type auditEvent struct {
	Event, Login, Remote, Object, Detail string
}

// audit reads the audit rows of one event kind, oldest first.
func (d *daemon) audit(t *testing.T, event string) []auditEvent {
	t.Helper()
	db := openLedger(t, filepath.Join(d.data, "ledger.db"))
	rows, err := db.Query(`SELECT event, login, remote, object, detail FROM audit WHERE event = ? ORDER BY id`, event)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []auditEvent
	for rows.Next() {
		var e auditEvent
		if err := rows.Scan(&e.Event, &e.Login, &e.Remote, &e.Object, &e.Detail); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// waitAudit waits a little for a matching audit row, which the daemon
// may write after it has answered the client.
func (d *daemon) waitAudit(t *testing.T, event string, match func(auditEvent) bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		rows := d.audit(t, event)
		if slices.ContainsFunc(rows, match) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no matching %q audit event in %+v", event, rows)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// openLedger opens a ledger file for reading with the SQLite driver the
// daemon uses.
func openLedger(t *testing.T, path string) *sql.DB {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// transfers counts the ledger's transfers of a name.
func (d *daemon) transfers(t *testing.T, name string) int {
	t.Helper()
	var n int
	if err := openLedger(t, filepath.Join(d.data, "ledger.db")).QueryRow(`SELECT COUNT(*) FROM transfers WHERE name = ?`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// waitTransferState waits up to a few seconds for the one transfer of a
// name to reach a state (awaiting, collected, rejected...): a client may
// end its session without waiting for the reply to its last CLOSE.
func (d *daemon) waitTransferState(t *testing.T, name, want string) {
	t.Helper()
	db := openLedger(t, filepath.Join(d.data, "ledger.db"))
	deadline := time.Now().Add(3 * time.Second)
	for {
		var state string
		if err := db.QueryRow(`SELECT state FROM transfers WHERE name = ?`, name).Scan(&state); err != nil {
			t.Fatalf("transfer of %s: %v", name, err)
		}
		if state == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("transfer of %s is %s, want %s", name, state, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
