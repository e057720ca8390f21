package e2e

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/s2sd/s2sd/internal/ctftest"
)

// What a crash-test file is.
const (
	crashValid   = "valid"   // a CTF to a school: routed to its inbox
	crashLost    = "lost"    // a one-pupil CTF to the Lost Pupil Database
	crashInvalid = "invalid" // a CTF with a wrong UPN check letter: rejected
)

// crashFile is one file of the crash test and what its sender saw.
type crashFile struct {
	name, kind   string
	from, to     string // sender and destination codes
	login        string
	data         []byte
	closes       int  // uploads that reached CLOSE: each may have been stored
	acked        bool // a CLOSE returned OK
	refused      bool // a resend was refused as already sent or still waiting
	refusalError string
}

// sftpSender is one client of the crash test: one login, its files in
// order, reconnecting to wherever the daemon listens now.
type sftpSender struct {
	login string
	files []*crashFile
	addr  *atomic.Pointer[string]
	host  ssh.PublicKey
	done  *atomic.Int64 // files finished, over every sender

	conn   *ssh.Client
	client *sftp.Client
	errs   []string // unexpected outcomes, reported by the test
	dials  int
}

func (s *sftpSender) disconnect() {
	if s.client != nil {
		s.client.Close()
	}
	if s.conn != nil {
		s.conn.Close()
	}
	s.client, s.conn = nil, nil
}

// connect logs in, retrying while the daemon is down.
func (s *sftpSender) connect(ctx context.Context) error {
	cfg := &ssh.ClientConfig{
		User:              s.login,
		Auth:              []ssh.AuthMethod{ssh.Password(password(s.login))},
		HostKeyCallback:   ssh.FixedHostKey(s.host),
		HostKeyAlgorithms: []string{ssh.KeyAlgoED25519},
		Timeout:           5 * time.Second,
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		s.dials++
		conn, err := ssh.Dial("tcp", *s.addr.Load(), cfg)
		if err == nil {
			client, err := sftp.NewClient(conn)
			if err == nil {
				s.conn, s.client = conn, client
				return nil
			}
			conn.Close()
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// run sends every file, each until it is acknowledged or refused as sent
// already, reconnecting after each connection loss.
func (s *sftpSender) run(ctx context.Context) {
	defer s.disconnect()
	for _, f := range s.files {
		for {
			if s.client == nil {
				if err := s.connect(ctx); err != nil {
					s.errs = append(s.errs, fmt.Sprintf("%s: connecting: %v", f.name, err))
					return
				}
			}
			retry, err := s.send(f)
			if err != nil {
				s.errs = append(s.errs, err.Error())
				return
			}
			if !retry {
				break
			}
			s.disconnect()
		}
		s.done.Add(1)
	}
}

// send uploads one file once. It reports whether to retry on a new
// connection, or an error for an outcome the test does not expect.
func (s *sftpSender) send(f *crashFile) (retry bool, err error) {
	var status *sftp.StatusError
	h, err := s.client.OpenFile("/outbox/"+f.name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if errors.As(err, &status) {
		msg := err.Error()
		if strings.Contains(msg, f.name+" has already been sent and is being processed") ||
			strings.Contains(msg, f.name+" is still waiting at "+f.to) ||
			strings.Contains(msg, f.name+" is already in the Lost Pupil Database: send the file again under the next sequence number") {
			f.refused, f.refusalError = true, msg
			return false, nil
		}
		return false, fmt.Errorf("%s: OPEN refused: %v", f.name, err)
	}
	if err != nil {
		return true, nil
	}
	if _, err := h.Write(f.data); err != nil {
		h.Close()
		if errors.As(err, &status) {
			return false, fmt.Errorf("%s: WRITE refused: %v", f.name, err)
		}
		return true, nil
	}
	f.closes++
	err = h.Close()
	if errors.As(err, &status) {
		return false, fmt.Errorf("%s: CLOSE refused: %v", f.name, err)
	}
	if err != nil {
		return true, nil
	}
	f.acked = true
	return false, nil
}

// crashFiles makes n files from sender to the schools in to: mostly valid
// CTFs, every tenth with a wrong UPN check letter, every fifteenth to the
// Lost Pupil Database.
func crashFiles(r *rand.Rand, from, login string, to []string, n int) []*crashFile {
	seq := map[string]int{}
	var out []*crashFile
	for i := range n {
		f := &crashFile{from: from, login: login, kind: crashValid, to: to[i%len(to)]}
		switch {
		case i%10 == 3:
			f.kind = crashInvalid
		case i%15 == 7:
			f.kind, f.to = crashLost, []string{"XXXXXXX", "MMMMMMM"}[i/15%2]
		}
		seq[f.to]++
		f.name = ctfName(from, f.to, seq[f.to])
		doc := ctftest.CTF(ctftest.Options{SourceLEA: from[:3], SourceEstab: from[3:], DestLEA: f.to[:3], DestEstab: f.to[3:],
			Serial: i, Surname: "Crash" + strings.Repeat("o", i%7)})
		// Pad to between 1 and 60 KB, so that some uploads take several
		// WRITEs.
		var pad strings.Builder
		for left := 1_000 + r.IntN(59_000) - len(doc); left > 0; left -= 16 << 10 {
			fmt.Fprintf(&pad, "<!-- %s -->\n", strings.Repeat(string(rune('a'+r.IntN(26))), min(left, 16<<10)))
		}
		f.data = []byte(strings.Replace(doc, "</CTfile>", pad.String()+"</CTfile>", 1))
		if f.kind == crashInvalid {
			f.data = badUPN(f.data)
		}
		out = append(out, f)
	}
	return out
}

// diskFiles lists every file under the spool and the Lost Pupil Database
// store, relative to the data directory.
func diskFiles(t *testing.T, data string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, top := range []string{"spool", "lost"} {
		err := filepath.WalkDir(filepath.Join(data, top), func(path string, e fs.DirEntry, err error) error {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			if err != nil {
				return err
			}
			if !e.IsDir() {
				rel, _ := filepath.Rel(data, path)
				out[rel] = true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestCrashExactlyOnce uploads 520 files from four concurrent clients,
// kills the daemon with SIGKILL at three random moments of the batch and
// restarts it on the same data each time; the clients reconnect and send
// again what was not acknowledged. In the end every acknowledged file
// (and every file whose resend was refused as sent already) is routed or
// rejected exactly once, nothing else is anywhere, and `s2sd verify`
// agrees.
func TestCrashExactlyOnce(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 0xc2a5))

	d := newDaemon(t, options{})
	senders := []struct{ code, login, name string }{
		{ampthill, "ampthill", "Ampthill Lower School"},
		{biggleswade, "biggleswade", "Biggleswade Academy"},
		{potton, "potton", "Potton Lower School"},
		{"8234567", "sandy", "Sandy Upper School"},
	}
	for _, s := range senders {
		d.addMailbox(t, s.code, s.name, "office@"+s.login+".sch.uk")
		d.user(t, s.login, s.code, "school")
	}
	d.addMailbox(t, centralBeds, "Central Bedfordshire Council", "s2s@centralbedfordshire.gov.uk")
	d.addMailbox(t, anglesey, "Isle of Anglesey County Council", "s2s@anglesey.gov.uk")
	d.addMailbox(t, ysgolMon, "Ysgol Môn", "swyddfa@ysgolmon.sch.uk")
	d.start(t)

	key, err := os.ReadFile(filepath.Join(d.data, "hostkeys", "ssh_host_ed25519_key"))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	var addr atomic.Pointer[string]
	setAddr := func() { a := d.addr(); addr.Store(&a) }
	setAddr()

	const perSender = 130
	var done atomic.Int64
	var clients []*sftpSender
	var all []*crashFile
	for _, s := range senders {
		var to []string
		for _, o := range senders {
			if o.code != s.code {
				to = append(to, o.code)
			}
		}
		to = append(to, ysgolMon)
		files := crashFiles(r, s.code, s.login, to, perSender)
		all = append(all, files...)
		clients = append(clients, &sftpSender{login: s.login, files: files, addr: &addr, host: signer.PublicKey(), done: &done})
	}
	total := int64(len(all))

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.run(ctx)
		}()
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()

	// Three kills, each once a random share of the batch (10% to 85%) is
	// done, a few milliseconds later.
	var at []int64
	for range 3 {
		at = append(at, total/10+r.Int64N(total*3/4))
	}
	slices.Sort(at)
	kills := 0
	for _, n := range at {
	wait:
		for done.Load() < n {
			select {
			case <-finished:
				break wait
			case <-time.After(2 * time.Millisecond):
			}
		}
		select {
		case <-finished:
		default:
			time.Sleep(time.Duration(r.IntN(15)) * time.Millisecond)
			d.crash(t)
			kills++
			t.Logf("SIGKILL %d after %d of %d files", kills, done.Load(), total)
			d.start(t)
			setAddr()
		}
	}
	select {
	case <-finished:
	case <-ctx.Done():
		t.Fatalf("the clients did not finish within 50s: %d of %d files done", done.Load(), total)
	}
	for _, c := range clients {
		for _, e := range c.errs {
			t.Errorf("client %s: %s", c.login, e)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	if kills < 3 {
		t.Fatalf("the batch finished after %d kills, want 3", kills)
	}
	var acked, refused, resent int
	for _, f := range all {
		switch {
		case f.acked:
			acked++
		case f.refused:
			refused++
		default:
			t.Errorf("%s was neither acknowledged nor refused", f.name)
		}
		if f.closes > 1 {
			resent++
		}
	}
	t.Logf("%d files: %d acknowledged, %d refused as sent already, %d sent more than once", total, acked, refused, resent)

	// Wait for routing to finish: every outbox and staging folder empty,
	// no upload pending.
	d.waitRouted(t)
	db := openLedger(t, filepath.Join(d.data, "ledger.db"))

	// The ledger: uploads by box/name, transfers, lost pupils and the
	// audit of routing decisions, by name.
	type upload struct{ login, outcome string }
	uploads := map[string][]upload{}
	rows, err := db.Query(`SELECT box, name, login, outcome FROM uploads ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var box, name string
		var u upload
		if err := rows.Scan(&box, &name, &u.login, &u.outcome); err != nil {
			t.Fatal(err)
		}
		uploads[box+"/"+name] = append(uploads[box+"/"+name], u)
	}
	rows.Close()
	type transfer struct {
		id                                        int64
		sender, login, addressed, dest, sha, path string
		size                                      int64
	}
	transfers := map[string][]transfer{}
	rows, err = db.Query(`SELECT id, name, sender, sender_login, addressed, dest, sha256, path, size FROM transfers ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		var tr transfer
		if err := rows.Scan(&tr.id, &name, &tr.sender, &tr.login, &tr.addressed, &tr.dest, &tr.sha, &tr.path, &tr.size); err != nil {
			t.Fatal(err)
		}
		transfers[name] = append(transfers[name], tr)
	}
	rows.Close()
	lostRecords := map[int64]int{}
	rows, err = db.Query(`SELECT transfer_id FROM lost_pupils`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		lostRecords[id]++
	}
	rows.Close()
	decisions := map[string]int{}
	for _, event := range []string{"routed", "rejected"} {
		for _, e := range d.audit(t, event) {
			decisions[event+" "+e.Object]++
		}
	}

	onDisk := diskFiles(t, d.data)
	expected := map[string]bool{}
	known := map[string]bool{}
	var wrongLogin []string // uploads and transfers recorded as sent by another login
	for _, f := range all {
		// Every file was acknowledged or refused as held already: either
		// way the daemon has it, and must route or reject it once.
		how := fmt.Sprintf("%s, reached CLOSE %d times, acknowledged %t, resend refused %q", f.kind, f.closes, f.acked, f.refusalError)
		known[f.from+"/"+f.name] = true
		ups := uploads[f.from+"/"+f.name]
		trs := transfers[f.name]
		for _, u := range ups {
			if u.login != f.login {
				wrongLogin = append(wrongLogin, fmt.Sprintf("%s (upload by %q)", f.name, u.login))
			}
		}
		switch f.kind {
		case crashValid, crashLost:
			if len(ups) != 1 || ups[0].outcome != "routed" {
				t.Errorf("%s (%s): uploads %+v, want one routed", f.name, how, ups)
			}
			if n := decisions["routed "+f.name]; n != 1 {
				t.Errorf("%s: %d routed audit events, want 1", f.name, n)
			}
			if len(trs) != 1 {
				t.Errorf("%s (%s): %d transfers, want 1: %+v", f.name, how, len(trs), trs)
				continue
			}
			tr := trs[0]
			path := filepath.Join("spool", f.to, "inbox", f.name)
			if f.kind == crashLost {
				path = tr.path
				if dir, file := filepath.Split(tr.path); dir != "lost/" || !strings.HasSuffix(file, "_"+f.name) {
					t.Errorf("%s is stored at %s, want lost/…_%s", f.name, tr.path, f.name)
				}
				if n := lostRecords[tr.id]; n != 1 {
					t.Errorf("%s: %d Lost Pupil Database records, want 1", f.name, n)
				}
			}
			if tr.login != f.login {
				wrongLogin = append(wrongLogin, fmt.Sprintf("%s (transfer by %q)", f.name, tr.login))
			}
			if tr.sender != f.from || tr.addressed != f.to || tr.dest != f.to || tr.path != path ||
				tr.size != int64(len(f.data)) || tr.sha != sha(f.data) {
				t.Errorf("%s: transfer %+v; want sender %s login %s dest %s path %s size %d sha256 %s", f.name, tr, f.from, f.login, f.to, path,
					len(f.data), sha(f.data))
			}
			expected[path] = true
			assertFile(t, filepath.Join(d.data, path), f.data)
			las := []string{centralBeds}
			if f.to == ysgolMon {
				las = append(las, anglesey)
			}
			for _, la := range las {
				cp := filepath.Join("spool", la, "copies", f.name)
				expected[cp] = true
				assertFile(t, filepath.Join(d.data, cp), f.data)
			}
		case crashInvalid:
			// A resend of a file whose acknowledgement the crash swallowed
			// is a new upload if the first was rejected already: each is
			// rejected once.
			if len(ups) == 0 || len(ups) > f.closes {
				t.Errorf("%s (%s): uploads %+v, want 1 to %d", f.name, how, ups, f.closes)
			}
			for _, u := range ups {
				if u.outcome != "rejected" {
					t.Errorf("%s (invalid): upload %+v, want rejected", f.name, u)
				}
			}
			if n := decisions["rejected "+f.name]; n != len(ups) {
				t.Errorf("%s: %d rejected audit events for %d uploads", f.name, n, len(ups))
			}
			if len(trs) != 0 {
				t.Errorf("%s (invalid): transfers %+v", f.name, trs)
			}
			rej := filepath.Join("spool", f.from, "rejected", f.name)
			expected[rej], expected[rej+".txt"] = true, true
			assertFile(t, filepath.Join(d.data, rej), f.data)
			assertFile(t, filepath.Join(d.data, rej+".txt"), []byte(rejectionNote(f.name, "pupil 1: UPN check letter is wrong")))
		}
	}
	if len(wrongLogin) > 0 {
		sort.Strings(wrongLogin)
		t.Errorf("%d uploads and transfers of files sent over SFTP are recorded with the wrong login (TestCrashKeepsSender): %q",
			len(wrongLogin), wrongLogin)
	}
	for key, ups := range uploads {
		if !known[key] {
			t.Errorf("uploads of %s, which no client sent: %+v", key, ups)
		}
	}
	var extra, missing []string
	for p := range onDisk {
		if !expected[p] {
			extra = append(extra, p)
		}
	}
	for p := range expected {
		if !onDisk[p] {
			missing = append(missing, p)
		}
	}
	sort.Strings(extra)
	sort.Strings(missing)
	if len(extra) > 0 {
		t.Errorf("%d files on disk that should not be there: %q", len(extra), extra)
	}
	if len(missing) > 0 {
		t.Errorf("%d files missing from disk: %q", len(missing), missing)
	}
	d.verify(t)
}

// dialSFTP logs in as login with golang.org/x/crypto/ssh and returns a
// github.com/pkg/sftp client, closed when the test ends.
func (d *daemon) dialSFTP(t *testing.T, login string) *sftp.Client {
	t.Helper()
	key, err := os.ReadFile(filepath.Join(d.data, "hostkeys", "ssh_host_ed25519_key"))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := ssh.Dial("tcp", d.addr(), &ssh.ClientConfig{
		User:              login,
		Auth:              []ssh.AuthMethod{ssh.Password(password(login))},
		HostKeyCallback:   ssh.FixedHostKey(signer.PublicKey()),
		HostKeyAlgorithms: []string{ssh.KeyAlgoED25519},
		Timeout:           5 * time.Second,
	})
	if err != nil {
		t.Fatalf("ssh as %s: %v", login, err)
	}
	c, err := sftp.NewClient(conn)
	if err != nil {
		conn.Close()
		t.Fatalf("sftp as %s: %v", login, err)
	}
	t.Cleanup(func() { c.Close(); conn.Close() })
	return c
}

// putFile uploads data to /outbox/name and returns the error of OPEN,
// WRITE or CLOSE; nil means acknowledged.
func putFile(c *sftp.Client, name string, data []byte) error {
	h, err := c.OpenFile("/outbox/"+name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return err
	}
	if _, err := h.Write(data); err != nil {
		h.Close()
		return err
	}
	return h.Close()
}

// waitRouted waits up to 15s for every outbox to be empty, every staging
// folder to hold no upload and at most one empty spare, and no upload to
// be pending.
func (d *daemon) waitRouted(t *testing.T) {
	t.Helper()
	db := openLedger(t, filepath.Join(d.data, "ledger.db"))
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var pending int
		if err := db.QueryRow(`SELECT COUNT(*) FROM uploads WHERE outcome = 'pending'`).Scan(&pending); err != nil {
			t.Fatal(err)
		}
		var waiting []string
		stagings := map[string]bool{}
		for p := range diskFiles(t, d.data) {
			switch {
			case strings.Contains(p, "/outbox/"):
				waiting = append(waiting, p)
			case strings.Contains(p, "/.staging/"):
				stagings[filepath.Dir(p)] = true
			}
		}
		for dir := range stagings {
			// Every upload, and every empty file but one: the spare of
			// the one open session a test leaves, if it leaves one.
			ups, empty := stagedFiles(t, filepath.Join(d.data, dir))
			if len(empty) > 0 {
				ups = append(ups, empty[1:]...)
			}
			for _, n := range ups {
				waiting = append(waiting, filepath.Join(dir, n))
			}
		}
		if pending == 0 && len(waiting) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d uploads are pending and these files wait: %q\nwhat the daemon logged of them:\n%s",
				pending, waiting, d.logLines(t, waiting))
		}
	}
}

// TestCrashKeepsSender kills the daemon as soon as a large upload is
// acknowledged, while routing is still validating it (reading 4 MiB of
// XML takes a while): after the restart the transfer must still record the
// user who sent it, not "local" (the login of files dropped on disk by a
// local process).
func TestCrashKeepsSender(t *testing.T) {
	t.Parallel()
	d := schools(t, options{})
	name, data := ctf(ampthill, biggleswade, 1, 4<<20)
	c := d.dialSFTP(t, "ampthill")
	if err := putFile(c, name, data); err != nil {
		t.Fatalf("sending %s: %v", name, err)
	}
	d.crash(t)
	t.Logf("uploads rows at the crash: %q", d.uploadOutcomes(t, ampthill, name))
	d.start(t)
	d.waitRouted(t)
	tr := d.transferOf(t, name)
	if tr.Size != int64(len(data)) || tr.SHA256 != sha(data) || tr.Dest != biggleswade {
		t.Errorf("transfer of %s: %+v", name, tr)
	}
	d.assertUpload(t, ampthill, name, "ampthill", "routed")
	if tr.SenderLogin != "ampthill" || tr.StateBy != "ampthill" {
		t.Errorf("the transfer of %s, which ampthill sent over SFTP and had acknowledged before the crash, records sender_login %q and state_by %q, want ampthill",
			name, tr.SenderLogin, tr.StateBy)
	}
	d.assertAudit(t, "routed", name, "ampthill", "sftp", fmt.Sprintf("transfer=%d dest=%s", tr.ID, biggleswade))
	d.verify(t)
}

// TestCrashResendLostPupil sends a file to the Lost Pupil Database and
// kills the daemon, as if the acknowledgement had been lost in the crash:
// the client's resend of the same name must be refused, as a resend of a
// file to a school is, and not make a second Lost Pupil Database record.
func TestCrashResendLostPupil(t *testing.T) {
	t.Parallel()
	d := schools(t, options{})
	name := ctfName(ampthill, "XXXXXXX", 1)
	data := []byte(ctftest.CTF(ctftest.Options{SourceLEA: "823", SourceEstab: "1234", DestLEA: "XXX", DestEstab: "XXXX", Serial: 7}))
	school, schoolData := ctf(ampthill, biggleswade, 1, 5_000)
	c := d.dialSFTP(t, "ampthill")
	for n, b := range map[string][]byte{name: data, school: schoolData} {
		if err := putFile(c, n, b); err != nil {
			t.Fatalf("sending %s: %v", n, err)
		}
	}
	d.waitRouted(t)
	// Before the crash, a resend of either is refused.
	for n, want := range map[string]string{
		name:   name + " is already in the Lost Pupil Database: send the file again under the next sequence number",
		school: school + " is still waiting at " + biggleswade,
	} {
		if err := putFile(c, n, data); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("a resend of %s before the crash: %v; want the refusal %q", n, err, want)
		}
	}
	d.crash(t)
	d.start(t)
	c = d.dialSFTP(t, "ampthill")
	err := putFile(c, school, schoolData)
	if want := school + " is still waiting at " + biggleswade; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a resend of %s after the crash: %v; want the refusal %q", school, err, want)
	}
	err = putFile(c, name, data)
	d.waitRouted(t)
	if want := name + " is already in the Lost Pupil Database: send the file again under the next sequence number"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a resend of %s after the crash: %v; want the refusal %q", name, err, want)
	}
	if rows := d.transferRows(t, name); len(rows) != 1 {
		t.Errorf("%d transfers of %s, want 1: %+v", len(rows), name, rows)
	}
	var records int
	if err := openLedger(t, filepath.Join(d.data, "ledger.db")).QueryRow(`SELECT COUNT(*) FROM lost_pupils`).Scan(&records); err != nil {
		t.Fatal(err)
	}
	if records != 1 {
		t.Errorf("%d Lost Pupil Database records of the one pupil, want 1", records)
	}
	if got := entries(t, filepath.Join(d.data, "lost")); len(got) != 1 {
		t.Errorf("the Lost Pupil Database store holds %q, want one file", got)
	}
	d.verify(t)
}

// logLines returns the lines of every run's log that mention the base
// name of one of paths, each prefixed with its run.
func (d *daemon) logLines(t *testing.T, paths []string) string {
	t.Helper()
	var b strings.Builder
	for run := 1; run <= d.runs; run++ {
		log, err := os.ReadFile(filepath.Join(d.dir, fmt.Sprintf("serve-%d.log", run)))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(log), "\n") {
			for _, p := range paths {
				if strings.Contains(line, filepath.Base(p)) {
					fmt.Fprintf(&b, "run %d: %s\n", run, line)
					break
				}
			}
		}
	}
	return b.String()
}
