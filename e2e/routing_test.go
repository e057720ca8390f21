package e2e

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/s2sd/s2sd/internal/ctftest"
)

// More parties for the routing tests, besides ampthill, biggleswade and
// centralBeds.
const (
	centralBedsPlasc = "823PLAS" // Central Bedfordshire's census team
	centralBedsAdms  = "823ADMS" // its admissions team
	anglesey         = "660LLLL" // a Welsh LA
	ysgolMon         = "6601234" // a school in it
	cardiff          = "681LLLL" // a Welsh LA that takes no copies
	ysgolCaerdydd    = "6812345" // a school in it
	potton           = "8233456" // the academy Biggleswade became
)

// addMailbox adds a mailbox with extra `mailbox add` flags (--kind,
// --no-copies).
func (d *daemon) addMailbox(t *testing.T, code, name, email string, flags ...string) {
	t.Helper()
	out := d.cli(t, "", append([]string{"mailbox", "add", code, "--name", name, "--email", email}, flags...)...)
	if !strings.HasPrefix(out, "added ") {
		t.Fatalf("mailbox add %s printed %q", code, out)
	}
}

// routingDaemon is the fixture of the routing tests, started: two schools
// of Central Bedfordshire, its LA, census and admissions mailboxes; a
// Welsh LA with a school; a Welsh LA that takes no copies, with a school;
// and a user in each.
func routingDaemon(t *testing.T) *daemon {
	t.Helper()
	d := newDaemon(t, options{})
	d.addMailbox(t, ampthill, "Ampthill Lower School", "office@ampthill.sch.uk")
	d.addMailbox(t, biggleswade, "Biggleswade Academy", "office@biggleswade.sch.uk")
	d.addMailbox(t, centralBeds, "Central Bedfordshire Council", "s2s@centralbedfordshire.gov.uk")
	d.addMailbox(t, centralBedsPlasc, "Central Bedfordshire Census", "census@centralbedfordshire.gov.uk", "--kind", "la-plasc")
	d.addMailbox(t, centralBedsAdms, "Central Bedfordshire Admissions", "admissions@centralbedfordshire.gov.uk", "--kind", "la-admissions")
	d.addMailbox(t, anglesey, "Isle of Anglesey County Council", "s2s@anglesey.gov.uk")
	d.addMailbox(t, ysgolMon, "Ysgol Môn", "swyddfa@ysgolmon.sch.uk")
	d.addMailbox(t, cardiff, "Cardiff Council", "s2s@cardiff.gov.uk", "--no-copies")
	d.addMailbox(t, ysgolCaerdydd, "Ysgol Caerdydd", "swyddfa@ysgolcaerdydd.sch.uk")
	d.user(t, "ampthill", ampthill, "school")
	d.user(t, "biggleswade", biggleswade, "school")
	d.user(t, "cbc", centralBeds, "la-user")
	d.user(t, "census", centralBedsPlasc, "la-plasc")
	d.user(t, "admissions", centralBedsAdms, "la-admissions")
	d.user(t, "ysgolmon", ysgolMon, "school")
	d.start(t)
	return d
}

// between is a valid one-pupil CTF from one code to another, with the
// header's LEA and Estab taken from the codes, padded to about size bytes.
func between(from, to string, serial, size int) []byte {
	doc := ctftest.CTF(ctftest.Options{SourceLEA: from[:3], SourceEstab: from[3:], DestLEA: to[:3], DestEstab: to[3:], Serial: serial})
	// Comments shorter than the reader's 64 KiB cap on a run of bytes
	// without a '<'.
	var pad strings.Builder
	for n := size - len(doc); n > 0; n -= 16 << 10 {
		fmt.Fprintf(&pad, "<!-- %s -->\n", strings.Repeat(string(rune('a'+serial%26)), min(n, 16<<10)))
	}
	return []byte(strings.Replace(doc, "</CTfile>", pad.String()+"</CTfile>", 1))
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// sendBatch uploads files to /outbox with OpenSSH sftp in one session;
// every put must succeed.
func (d *daemon) sendBatch(t *testing.T, l login, names []string, files map[string][]byte) {
	t.Helper()
	var batch strings.Builder
	for _, name := range names {
		fmt.Fprintf(&batch, "put %s /outbox/%s\n", d.localFile(t, name, files[name]), name)
	}
	if r := d.sftp(t, l, batch.String()); r.code != 0 || r.stderr != "" {
		t.Fatalf("sftp put as %s: exit %d\nstdout:\n%s\nstderr:\n%s", l.name, r.code, r.stdout, r.stderr)
	}
}

// waitPath waits up to 5s for a file to exist.
func (d *daemon) waitPath(t *testing.T, path string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Lstat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear within 5s\n%s", path, d.logText())
		}
	}
}

// inode returns a file's inode number and link count.
func inode(t *testing.T, path string) (ino uint64, links uint64) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return st.Ino, uint64(st.Nlink)
}

// transferRow is what the tests assert of a row of the transfers table.
type transferRow struct {
	ID          int64
	Name        string
	Kind        string
	Sender      string
	SenderLogin string
	Addressed   string
	Dest        string
	State       string
	StateBy     string
	Pupils      int
	Size        int64
	SHA256      string
	Path        string
	Removed     bool
}

// transferRows reads every transfer of a name, oldest first.
func (d *daemon) transferRows(t *testing.T, name string) []transferRow {
	t.Helper()
	db := openLedger(t, filepath.Join(d.data, "ledger.db"))
	rows, err := db.Query(`SELECT id, name, kind, sender, sender_login, addressed, dest, state, state_by, pupils, size, sha256, path,
		removed_at IS NOT NULL FROM transfers WHERE name = ? ORDER BY id`, name)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []transferRow
	for rows.Next() {
		var r transferRow
		if err := rows.Scan(&r.ID, &r.Name, &r.Kind, &r.Sender, &r.SenderLogin, &r.Addressed, &r.Dest, &r.State, &r.StateBy,
			&r.Pupils, &r.Size, &r.SHA256, &r.Path, &r.Removed); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// transferOf waits up to 3s for the one transfer of a name and returns it;
// there must never be two.
func (d *daemon) transferOf(t *testing.T, name string) transferRow {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		rows := d.transferRows(t, name)
		if len(rows) > 1 {
			t.Fatalf("%d transfers of %s, want one: %+v", len(rows), name, rows)
		}
		if len(rows) == 1 {
			return rows[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no transfer of %s within 3s\n%s", name, d.logText())
		}
	}
}

// assertTransfer checks the one transfer of a name against want; ID and
// Path are not compared when zero in want.
func (d *daemon) assertTransfer(t *testing.T, want transferRow) transferRow {
	t.Helper()
	got := d.transferOf(t, want.Name)
	cmp := got
	if want.ID == 0 {
		cmp.ID = 0
	}
	if want.Path == "" {
		cmp.Path = ""
	}
	if cmp != want {
		t.Errorf("transfer of %s:\n got %+v\nwant %+v", want.Name, cmp, want)
	}
	return got
}

// uploadOutcomes lists the outcome of every uploads row of box/name,
// oldest first.
func (d *daemon) uploadOutcomes(t *testing.T, box, name string) []string {
	t.Helper()
	db := openLedger(t, filepath.Join(d.data, "ledger.db"))
	rows, err := db.Query(`SELECT outcome FROM uploads WHERE box = ? AND name = ? ORDER BY id`, box, name)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			t.Fatal(err)
		}
		out = append(out, o)
	}
	return out
}

// assertUpload checks that box/name has exactly one uploads row, with
// the outcome and login given. It waits up to 3s for the row to leave
// pending: the file moves before its outcome is recorded.
func (d *daemon) assertUpload(t *testing.T, box, name, login, outcome string) {
	t.Helper()
	db := openLedger(t, filepath.Join(d.data, "ledger.db"))
	want := []string{login + " " + outcome}
	var got []string
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		got = nil
		rows, err := db.Query(`SELECT login || ' ' || outcome FROM uploads WHERE box = ? AND name = ? ORDER BY id`, box, name)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			got = append(got, s)
		}
		rows.Close()
		if slices.Equal(got, want) || time.Now().After(deadline) {
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("uploads of %s/%s: %q, want %q", box, name, got, want)
	}
}

// copiesOf lists the LA copies the ledger records for a transfer, as
// "LA path".
func (d *daemon) copiesOf(t *testing.T, id int64) []string {
	t.Helper()
	db := openLedger(t, filepath.Join(d.data, "ledger.db"))
	rows, err := db.Query(`SELECT la_code || ' ' || path FROM transfer_copies WHERE transfer_id = ? ORDER BY la_code`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// assertAudit checks that exactly one audit row of event names object,
// and that it has the login and detail given; a remote of "sftp" means
// the loopback address the clients connect from.
func (d *daemon) assertAudit(t *testing.T, event, object, login, remote, detail string) {
	t.Helper()
	var found []auditEvent
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		found = nil
		for _, e := range d.audit(t, event) {
			if e.Object == object {
				found = append(found, e)
			}
		}
		if len(found) > 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(found) != 1 {
		t.Errorf("%d %q audit events for %s, want 1: %+v", len(found), event, object, found)
		return
	}
	e := found[0]
	remoteOK := e.Remote == remote || remote == "sftp" && e.Remote == "127.0.0.1"
	if e.Login != login || !remoteOK || e.Detail != detail {
		t.Errorf("%q audit event for %s: %+v; want login %q remote %q detail %q", event, object, e, login, remote, detail)
	}
}

// inboxListing lists a user's /inbox with OpenSSH sftp.
func (d *daemon) listFolder(t *testing.T, l login, folder string) []string {
	t.Helper()
	r := d.sftp(t, l, "ls -1 /"+folder+"\n")
	if r.code != 0 {
		t.Fatalf("sftp ls /%s as %s: exit %d\n%s", folder, l.name, r.code, r.stderr)
	}
	out := []string{}
	for _, line := range lines(r.stdout) {
		if s, ok := strings.CutPrefix(strings.TrimSpace(line), "/"+folder+"/"); ok {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// TestRoutingSchoolToSchool sends a CTF from one school to another with
// OpenSSH: it lands in the other school's inbox byte for byte, as a hard
// link in the LA's copies, with one transfer, one routed upload and the
// audit of both.
func TestRoutingSchoolToSchool(t *testing.T) {
	t.Parallel()
	d := routingDaemon(t)
	name := ctfName(ampthill, biggleswade, 1)
	data := between(ampthill, biggleswade, 1, 40_000)
	d.sendBatch(t, passwordLogin("ampthill"), []string{name}, map[string][]byte{name: data})

	inbox := filepath.Join(d.box(biggleswade, "inbox"), name)
	d.waitPath(t, inbox)
	assertFile(t, inbox, data)
	tr := d.assertTransfer(t, transferRow{Name: name, Kind: "ctf", Sender: ampthill, SenderLogin: "ampthill", Addressed: biggleswade,
		Dest: biggleswade, State: "awaiting", StateBy: "ampthill", Pupils: 1, Size: int64(len(data)), SHA256: sha(data),
		Path: filepath.Join("spool", biggleswade, "inbox", name)})
	d.assertUpload(t, ampthill, name, "ampthill", "routed")
	copyPath := filepath.Join(d.box(centralBeds, "copies"), name)
	assertFile(t, copyPath, data)
	if a, _ := inode(t, inbox); a != func() uint64 { b, _ := inode(t, copyPath); return b }() {
		t.Errorf("the LA copy %s is not a hard link of the inbox file", copyPath)
	}
	if got, want := d.copiesOf(t, tr.ID), []string{centralBeds + " " + filepath.Join("spool", centralBeds, "copies", name)}; !slices.Equal(got, want) {
		t.Errorf("transfer_copies: %q, want %q", got, want)
	}
	waitEntries(t, d.box(ampthill, "outbox"))
	waitEntries(t, d.box(ampthill, ".staging"))
	waitEntries(t, d.box(ampthill, "rejected"))
	waitEntries(t, d.box(biggleswade, "inbox"), name)
	d.assertAudit(t, "upload", name, "ampthill", "sftp", fmt.Sprintf("size=%d", len(data)))
	d.assertAudit(t, "routed", name, "ampthill", "sftp", fmt.Sprintf("transfer=%d dest=%s", tr.ID, biggleswade))
	if got := d.listFolder(t, passwordLogin("biggleswade"), "inbox"); !slices.Equal(got, []string{name}) {
		t.Errorf("biggleswade's /inbox lists %q, want %q", got, name)
	}
	d.verify(t)
}

// TestRoutingLA sends from a school to its LA (no copy to the LA itself),
// to the LA's census and admissions teams, from the LA to a school in the
// guide's form without the second underscore, and CML and CMJ returns to
// the school's own LA.
func TestRoutingLA(t *testing.T) {
	t.Parallel()
	d := routingDaemon(t)
	type leg struct {
		login, from, to, name, kind string
		data                        []byte
		copies                      []string // LAs that get a copy
	}
	atf := []byte(strings.ReplaceAll(string(between(ampthill, centralBedsAdms, 3, 0)), "CTfile>", "ATfile>"))
	legs := []leg{
		{login: "ampthill", from: ampthill, to: centralBeds, name: "8231234_CTF_823LLLL_001.XML", kind: "ctf", data: between(ampthill, centralBeds, 1, 5_000)},
		{login: "ampthill", from: ampthill, to: centralBedsPlasc, name: "8231234_CTF_823PLAS_001.XML", kind: "ctf", data: between(ampthill, centralBedsPlasc, 2, 6_000), copies: []string{centralBeds}},
		{login: "ampthill", from: ampthill, to: centralBedsAdms, name: "8231234_CTF_823ADMS_001.XML", kind: "ctf", data: atf, copies: []string{centralBeds}},
		{login: "ampthill", from: ampthill, to: centralBeds, name: "8231234_CML_823LLLL_001.XML", kind: "cml", data: between(ampthill, centralBeds, 4, 7_000)},
		{login: "ampthill", from: ampthill, to: centralBeds, name: "8231234_CMJ_823LLLL_001.XML", kind: "cmj", data: between(ampthill, centralBeds, 5, 8_000)},
		{login: "cbc", from: centralBeds, to: ampthill, name: "823LLLL_CTF8231234_001.XML", kind: "ctf", data: between(centralBeds, ampthill, 6, 9_000)},
	}
	files := map[string][]byte{}
	var fromSchool []string
	for _, lg := range legs {
		files[lg.name] = lg.data
		if lg.login == "ampthill" {
			fromSchool = append(fromSchool, lg.name)
		}
	}
	d.sendBatch(t, passwordLogin("ampthill"), fromSchool, files)
	d.sendBatch(t, passwordLogin("cbc"), []string{legs[5].name}, files)

	for _, lg := range legs {
		t.Run(lg.name, func(t *testing.T) {
			inbox := filepath.Join(d.box(lg.to, "inbox"), lg.name)
			d.waitPath(t, inbox)
			assertFile(t, inbox, lg.data)
			tr := d.assertTransfer(t, transferRow{Name: lg.name, Kind: lg.kind, Sender: lg.from, SenderLogin: lg.login, Addressed: lg.to,
				Dest: lg.to, State: "awaiting", StateBy: lg.login, Pupils: 1, Size: int64(len(lg.data)), SHA256: sha(lg.data),
				Path: filepath.Join("spool", lg.to, "inbox", lg.name)})
			d.assertUpload(t, lg.from, lg.name, lg.login, "routed")
			d.assertAudit(t, "routed", lg.name, lg.login, "sftp", fmt.Sprintf("transfer=%d dest=%s", tr.ID, lg.to))
			want := []string{}
			for _, la := range lg.copies {
				want = append(want, la+" "+filepath.Join("spool", la, "copies", lg.name))
				ino, _ := inode(t, inbox)
				if c, _ := inode(t, filepath.Join(d.box(la, "copies"), lg.name)); c != ino {
					t.Errorf("%s's copy of %s is not a hard link of the inbox file", la, lg.name)
				}
			}
			if got := d.copiesOf(t, tr.ID); !slices.Equal(got, want) {
				t.Errorf("transfer_copies of %s: %q, want %q", lg.name, got, want)
			}
		})
	}
	// The LA's own copies folder holds only the census and admissions
	// files of its school: not what the school sent the LA, nor what the
	// LA sent the school.
	waitEntries(t, d.box(centralBeds, "copies"), legs[1].name, legs[2].name)
	waitEntries(t, d.box(centralBeds, "inbox"), legs[0].name, legs[3].name, legs[4].name)
	waitEntries(t, d.box(ampthill, "outbox"))
	waitEntries(t, d.box(centralBeds, "outbox"))
	waitEntries(t, d.box(ampthill, "rejected"))
	waitEntries(t, d.box(centralBeds, "rejected"))
	if got := d.listFolder(t, passwordLogin("census"), "inbox"); !slices.Equal(got, []string{legs[1].name}) {
		t.Errorf("the census team's /inbox lists %q, want %q", got, legs[1].name)
	}
	if got := d.listFolder(t, passwordLogin("admissions"), "inbox"); !slices.Equal(got, []string{legs[2].name}) {
		t.Errorf("the admissions team's /inbox lists %q, want %q", got, legs[2].name)
	}
	if got := d.listFolder(t, passwordLogin("ampthill"), "inbox"); !slices.Equal(got, []string{legs[5].name}) {
		t.Errorf("ampthill's /inbox lists %q, want %q", got, legs[5].name)
	}
	d.verify(t)
}

// TestRoutingCrossBorder sends a CTF from an English school to a Welsh
// one: both LAs get a copy, each a hard link of the inbox file; and to a
// school whose LA has copies off, which gets none.
func TestRoutingCrossBorder(t *testing.T) {
	t.Parallel()
	d := routingDaemon(t)
	toMon, toCaerdydd := ctfName(ampthill, ysgolMon, 1), ctfName(ampthill, ysgolCaerdydd, 1)
	files := map[string][]byte{toMon: between(ampthill, ysgolMon, 1, 30_000), toCaerdydd: between(ampthill, ysgolCaerdydd, 2, 31_000)}
	d.sendBatch(t, passwordLogin("ampthill"), []string{toMon, toCaerdydd}, files)

	inbox := filepath.Join(d.box(ysgolMon, "inbox"), toMon)
	d.waitPath(t, inbox)
	assertFile(t, inbox, files[toMon])
	tr := d.assertTransfer(t, transferRow{Name: toMon, Kind: "ctf", Sender: ampthill, SenderLogin: "ampthill", Addressed: ysgolMon,
		Dest: ysgolMon, State: "awaiting", StateBy: "ampthill", Pupils: 1, Size: int64(len(files[toMon])), SHA256: sha(files[toMon])})
	ino, links := inode(t, inbox)
	if links != 3 {
		t.Errorf("%s has %d links, want 3: the inbox and both LAs' copies", inbox, links)
	}
	for _, la := range []string{centralBeds, anglesey} {
		cp := filepath.Join(d.box(la, "copies"), toMon)
		d.waitPath(t, cp)
		if c, _ := inode(t, cp); c != ino {
			t.Errorf("%s is not a hard link of %s", cp, inbox)
		}
	}
	if got, want := d.copiesOf(t, tr.ID), []string{
		anglesey + " " + filepath.Join("spool", anglesey, "copies", toMon),
		centralBeds + " " + filepath.Join("spool", centralBeds, "copies", toMon),
	}; !slices.Equal(got, want) {
		t.Errorf("transfer_copies of %s: %q, want %q", toMon, got, want)
	}

	inbox = filepath.Join(d.box(ysgolCaerdydd, "inbox"), toCaerdydd)
	d.waitPath(t, inbox)
	assertFile(t, inbox, files[toCaerdydd])
	tr = d.assertTransfer(t, transferRow{Name: toCaerdydd, Kind: "ctf", Sender: ampthill, SenderLogin: "ampthill", Addressed: ysgolCaerdydd,
		Dest: ysgolCaerdydd, State: "awaiting", StateBy: "ampthill", Pupils: 1, Size: int64(len(files[toCaerdydd])), SHA256: sha(files[toCaerdydd])})
	if _, links := inode(t, inbox); links != 2 {
		t.Errorf("%s has %d links, want 2: the inbox and the sending LA's copy", inbox, links)
	}
	if got, want := d.copiesOf(t, tr.ID), []string{centralBeds + " " + filepath.Join("spool", centralBeds, "copies", toCaerdydd)}; !slices.Equal(got, want) {
		t.Errorf("transfer_copies of %s: %q, want %q", toCaerdydd, got, want)
	}
	waitEntries(t, d.box(centralBeds, "copies"), toMon, toCaerdydd)
	waitEntries(t, d.box(anglesey, "copies"), toMon)
	waitEntries(t, d.box(cardiff, "copies"))
	d.verify(t)
}

// TestRoutingLostPupil sends one-pupil CTFs to XXXXXXX and MMMMMMM: each
// is stored in the Lost Pupil Database, never in a mailbox, with the
// pupil's fields in its record.
func TestRoutingLostPupil(t *testing.T) {
	t.Parallel()
	d := routingDaemon(t)
	type lostCase struct {
		via, name string
		data      []byte
		upn       string
		surname   string
	}
	cases := []*lostCase{{via: "XXXXXXX", surname: "Testpupil"}, {via: "MMMMMMM", surname: "Wanderer"}}
	files := map[string][]byte{}
	var names []string
	for i, c := range cases {
		c.name = ctfName(ampthill, c.via, i+1)
		c.data = []byte(ctftest.CTF(ctftest.Options{SourceLEA: "823", SourceEstab: "1234", DestLEA: c.via[:3], DestEstab: c.via[3:],
			Serial: 40 + i, Surname: c.surname}))
		c.upn = ctftest.UPN("823", "1234", 40+i)
		files[c.name] = c.data
		names = append(names, c.name)
	}
	d.sendBatch(t, passwordLogin("ampthill"), names, files)

	lost := filepath.Join(d.data, "lost")
	for _, c := range cases {
		t.Run(c.via, func(t *testing.T) {
			tr := d.assertTransfer(t, transferRow{Name: c.name, Kind: "ctf", Sender: ampthill, SenderLogin: "ampthill", Addressed: c.via,
				Dest: c.via, State: "awaiting", StateBy: "ampthill", Pupils: 1, Size: int64(len(c.data)), SHA256: sha(c.data)})
			if dir, file := filepath.Split(tr.Path); dir != "lost/" || !strings.HasSuffix(file, "_"+c.name) {
				t.Errorf("the transfer is stored at %s, want lost/…_%s", tr.Path, c.name)
			}
			assertFile(t, filepath.Join(d.data, tr.Path), c.data)
			d.assertUpload(t, ampthill, c.name, "ampthill", "routed")
			db := openLedger(t, filepath.Join(d.data, "ledger.db"))
			var got [14]string
			var transfer int64
			err := db.QueryRow(`SELECT transfer_id, upn, surname, forename, dob, gender, town, postcode, la, school, school_name, via, state,
				former_upn, path FROM lost_pupils WHERE via = ?`, c.via).Scan(&transfer, &got[0], &got[1], &got[2], &got[3], &got[4], &got[5],
				&got[6], &got[7], &got[8], &got[9], &got[10], &got[11], &got[12], &got[13])
			if err != nil {
				t.Fatalf("lost_pupils row via %s: %v", c.via, err)
			}
			want := [14]string{c.upn, c.surname, "Pupil0", "2015-01-10", "M", "Fernhollow", "ZZ99 1AA", "823", ampthill,
				"Ampthill Lower School", c.via, "lost", "", tr.Path}
			if got != want || transfer != tr.ID {
				t.Errorf("lost_pupils row of transfer %d:\n got %q\nwant %q (transfer %d)", transfer, got, want, tr.ID)
			}
			// The sending school's LA has copies on: it gets one.
			cp := filepath.Join(d.box(centralBeds, "copies"), c.name)
			assertFile(t, cp, c.data)
			if a, _ := inode(t, cp); a != func() uint64 { b, _ := inode(t, filepath.Join(d.data, tr.Path)); return b }() {
				t.Errorf("%s is not a hard link of the stored file", cp)
			}
		})
	}
	if got := entries(t, lost); len(got) != 2 {
		t.Errorf("%s holds %q, want the two files", lost, got)
	}
	for _, box := range []string{"XXXXXXX", "MMMMMMM"} {
		if _, err := os.Lstat(filepath.Join(d.data, "spool", box)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a mailbox folder was made for %s (%v)", box, err)
		}
	}
	waitEntries(t, d.box(ampthill, "outbox"))
	waitEntries(t, d.box(ampthill, "rejected"))
	d.verify(t)
}

// TestRoutingSuccessor closes a school with a successor: a CTF addressed
// to it lands in the successor's inbox, and the ledger says both.
func TestRoutingSuccessor(t *testing.T) {
	t.Parallel()
	d := routingDaemon(t)
	d.addMailbox(t, potton, "Biggleswade Academy Trust", "office@biggleswade-academy.sch.uk")
	if out := d.cli(t, "", "mailbox", "close", biggleswade, "--successor", potton); out != "closed mailbox "+biggleswade+": files for it now go to "+potton+"\n" {
		t.Errorf("mailbox close printed %q", out)
	}
	name := ctfName(ampthill, biggleswade, 1)
	data := between(ampthill, biggleswade, 1, 12_345)
	d.sendBatch(t, passwordLogin("ampthill"), []string{name}, map[string][]byte{name: data})

	inbox := filepath.Join(d.box(potton, "inbox"), name)
	d.waitPath(t, inbox)
	assertFile(t, inbox, data)
	tr := d.assertTransfer(t, transferRow{Name: name, Kind: "ctf", Sender: ampthill, SenderLogin: "ampthill", Addressed: biggleswade,
		Dest: potton, State: "awaiting", StateBy: "ampthill", Pupils: 1, Size: int64(len(data)), SHA256: sha(data),
		Path: filepath.Join("spool", potton, "inbox", name)})
	d.assertUpload(t, ampthill, name, "ampthill", "routed")
	d.assertAudit(t, "routed", name, "ampthill", "sftp", fmt.Sprintf("transfer=%d dest=%s redirected-from=%s", tr.ID, potton, biggleswade))
	db := openLedger(t, filepath.Join(d.data, "ledger.db"))
	var event, detail string
	if err := db.QueryRow(`SELECT event, detail FROM transfer_events WHERE transfer_id = ?`, tr.ID).Scan(&event, &detail); err != nil {
		t.Fatal(err)
	}
	if want := "addressed to " + biggleswade + ", redirected to its successor " + potton; event != "accepted" || detail != want {
		t.Errorf("transfer event %q %q, want accepted %q", event, detail, want)
	}
	waitEntries(t, d.box(biggleswade, "inbox"))
	d.verify(t)
}

// rejectionNote is the text of NAME.txt beside a rejected file.
func rejectionNote(name string, reasons ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s was not sent, for these reasons:\r\n\r\n", name)
	for _, r := range reasons {
		fmt.Fprintf(&b, "- %s\r\n", r)
	}
	b.WriteString("\r\nCorrect the file and send it again. Delete this note and the file once read.\r\n")
	return b.String()
}

// badUPN changes the check letter of every UPN in a CTF.
func badUPN(doc []byte) []byte {
	const letters = "ABCDEFGHJKLMNPQRTUVWXYZ"
	out := bytes.Clone(doc)
	for i := 0; ; {
		j := bytes.Index(out[i:], []byte("<UPN>"))
		if j < 0 {
			return out
		}
		p := i + j + len("<UPN>")
		out[p] = letters[(strings.IndexByte(letters, out[p])+1)%len(letters)]
		i = p
	}
}

// zipOf is a zip archive holding one file.
func zipOf(t *testing.T, name string, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestRoutingRejections sends a CTF with a wrong UPN check letter and a
// header that does not match its name, and a generic file that is no zip:
// each goes back to the sender's /rejected with a note giving every
// reason, never to the recipient. A generic zip over the school limit is
// refused at the write that crosses 4 MiB. A real zip goes through.
func TestRoutingRejections(t *testing.T) {
	t.Parallel()
	needTool(t, "lftp")
	d := routingDaemon(t)
	badCTF := ctfName(ampthill, biggleswade, 5)
	badData := badUPN(between(ampthill, "8239999", 5, 3_000)) // DestSchool 823/9999
	notZip := ampthill + "_" + biggleswade + "_NOTAZIP.ZIP"
	notZipData := content(5_000, 7)
	goodZip := ampthill + "_" + biggleswade + "_REPORTS-2026.ZIP"
	goodZipData := zipOf(t, "reports.pdf", content(100_000, 8))
	d.sendBatch(t, passwordLogin("ampthill"), []string{badCTF, notZip, goodZip},
		map[string][]byte{badCTF: badData, notZip: notZipData, goodZip: goodZipData})

	rejected := d.box(ampthill, "rejected")
	waitEntries(t, rejected, badCTF, badCTF+".txt", notZip, notZip+".txt")
	assertFile(t, filepath.Join(rejected, badCTF), badData)
	assertFile(t, filepath.Join(rejected, notZip), notZipData)
	ctfReasons := []string{
		"the Header's DestSchool (LEA 823, Estab 9999) does not match the file name's destination " + biggleswade + ": export the file again for the right destination",
		"pupil 1: UPN check letter is wrong",
	}
	zipReasons := []string{"the file is not a valid zip archive (its central directory cannot be read): zip your files again and send the .ZIP"}
	assertFile(t, filepath.Join(rejected, badCTF+".txt"), []byte(rejectionNote(badCTF, ctfReasons...)))
	assertFile(t, filepath.Join(rejected, notZip+".txt"), []byte(rejectionNote(notZip, zipReasons...)))
	for name, reasons := range map[string][]string{badCTF: ctfReasons, notZip: zipReasons} {
		d.assertUpload(t, ampthill, name, "ampthill", "rejected")
		d.assertAudit(t, "rejected", name, "ampthill", "sftp", strings.Join(reasons, "; "))
		if rows := d.transferRows(t, name); len(rows) != 0 {
			t.Errorf("rejected %s has transfers %+v", name, rows)
		}
	}

	// The good zip is routed; generic files get no LA copies.
	inbox := filepath.Join(d.box(biggleswade, "inbox"), goodZip)
	d.waitPath(t, inbox)
	assertFile(t, inbox, goodZipData)
	d.assertTransfer(t, transferRow{Name: goodZip, Kind: "generic", Sender: ampthill, SenderLogin: "ampthill", Addressed: biggleswade,
		Dest: biggleswade, State: "awaiting", StateBy: "ampthill", Size: int64(len(goodZipData)), SHA256: sha(goodZipData),
		Path: filepath.Join("spool", biggleswade, "inbox", goodZip)})
	waitEntries(t, d.box(biggleswade, "inbox"), goodZip)
	waitEntries(t, d.box(centralBeds, "copies"))

	// The sender sees the rejections over SFTP and reads the note; the
	// recipient never sees the rejected files.
	got := filepath.Join(d.dir, "note.txt")
	r := d.sftp(t, passwordLogin("ampthill"), "ls -1 /rejected\nget /rejected/"+badCTF+".txt "+got+"\n")
	if r.code != 0 {
		t.Fatalf("sftp as ampthill: exit %d\n%s", r.code, r.stderr)
	}
	var listed []string
	for _, line := range lines(r.stdout) {
		if s, ok := strings.CutPrefix(strings.TrimSpace(line), "/rejected/"); ok {
			listed = append(listed, s)
		}
	}
	slices.Sort(listed)
	if want := slices.Sorted(slices.Values([]string{badCTF, badCTF + ".txt", notZip, notZip + ".txt"})); !slices.Equal(listed, want) {
		t.Errorf("ampthill's /rejected lists %q, want %q", listed, want)
	}
	assertFile(t, got, []byte(rejectionNote(badCTF, ctfReasons...)))
	if got := d.listFolder(t, passwordLogin("biggleswade"), "inbox"); !slices.Equal(got, []string{goodZip}) {
		t.Errorf("biggleswade's /inbox lists %q, want only %s", got, goodZip)
	}
	if got := d.listFolder(t, passwordLogin("biggleswade"), "rejected"); len(got) != 0 {
		t.Errorf("biggleswade's /rejected lists %q, want nothing", got)
	}

	// A generic zip over 4 MiB from a school fails at the write that
	// crosses the limit.
	big := ampthill + "_" + biggleswade + "_BIGFILE.ZIP"
	local := filepath.Join(d.dir, "big")
	if err := os.MkdirAll(local, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(local, big), zipOf(t, "scan.tif", content(5<<20, 9)), 0o600); err != nil {
		t.Fatal(err)
	}
	r = d.lftp(t, passwordLogin("ampthill"), local, "cd /outbox", "put "+big)
	wantErr := []string{"put: Access failed: " + big + " is larger than the 4 MiB limit for this kind of file; the upload has been discarded"}
	if got := lines(r.stderr); !slices.Equal(got, wantErr) {
		t.Errorf("lftp put of a 5 MiB zip: exit %d, stderr:\n%s\nwant:\n%s", r.code, strings.Join(got, "\n"), strings.Join(wantErr, "\n"))
	}
	// lftp gives up on the connection after the failed write, so the
	// upload ends either as a failed write or as an aborted transfer.
	d.waitAudit(t, "upload-aborted", func(e auditEvent) bool {
		return e.Object == big && e.Login == "ampthill" && (e.Detail == "write failed" || e.Detail == "transfer aborted")
	})
	waitEntries(t, d.box(ampthill, ".staging"))
	waitEntries(t, d.box(ampthill, "outbox"))
	waitEntries(t, rejected, badCTF, badCTF+".txt", notZip, notZip+".txt")
	if got := d.uploadOutcomes(t, ampthill, big); len(got) != 0 {
		t.Errorf("the refused upload has uploads rows %q", got)
	}
	d.verify(t)
}

// transferEvents lists a transfer's events as "event login".
func (d *daemon) transferEvents(t *testing.T, id int64) []string {
	t.Helper()
	db := openLedger(t, filepath.Join(d.data, "ledger.db"))
	rows, err := db.Query(`SELECT event || ' ' || login FROM transfer_events WHERE transfer_id = ? ORDER BY id`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// waitTransferEvents waits up to 3s for a transfer's events to be want.
func (d *daemon) waitTransferEvents(t *testing.T, id int64, want ...string) {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		got := d.transferEvents(t, id)
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("events of transfer %d: %q, want %q", id, got, want)
		}
	}
}

// TestRoutingDownloads has the receiving school download, download again
// and delete: a complete read collects the transfer, a second is a
// re-download, deleting an uncollected file rejects it and deleting a
// collected one keeps it collected. `s2sd transfers list` shows it all.
func TestRoutingDownloads(t *testing.T) {
	t.Parallel()
	d := routingDaemon(t)
	files := map[string][]byte{}
	var names []string
	for seq := 1; seq <= 3; seq++ {
		name := ctfName(ampthill, biggleswade, seq)
		files[name] = between(ampthill, biggleswade, seq, 20_000*seq)
		names = append(names, name)
	}
	other := "8231234_CTF_823LLLL_001.XML" // not to or from biggleswade
	files[other] = between(ampthill, centralBeds, 9, 1_000)
	d.sendBatch(t, passwordLogin("ampthill"), append(slices.Clone(names), other), files)
	ids := map[string]int64{}
	for _, name := range append(slices.Clone(names), other) {
		ids[name] = d.transferOf(t, name).ID
	}
	taken, refused := names[0], names[1]

	bigg := passwordLogin("biggleswade")
	got := filepath.Join(d.dir, "got")
	if err := os.MkdirAll(got, 0o700); err != nil {
		t.Fatal(err)
	}
	if r := d.sftp(t, bigg, "get /inbox/"+taken+" "+filepath.Join(got, taken)+"\n"); r.code != 0 {
		t.Fatalf("sftp get: exit %d\n%s", r.code, r.stderr)
	}
	assertFile(t, filepath.Join(got, taken), files[taken])
	d.waitTransferState(t, taken, "collected")
	d.waitTransferEvents(t, ids[taken], "accepted ampthill", "collected biggleswade")
	if r := d.sftp(t, bigg, "get /inbox/"+taken+" "+filepath.Join(got, taken+".again")+"\n"); r.code != 0 {
		t.Fatalf("sftp get again: exit %d\n%s", r.code, r.stderr)
	}
	assertFile(t, filepath.Join(got, taken+".again"), files[taken])
	d.waitTransferEvents(t, ids[taken], "accepted ampthill", "collected biggleswade", "re-downloaded biggleswade")
	d.assertTransfer(t, transferRow{ID: ids[taken], Name: taken, Kind: "ctf", Sender: ampthill, SenderLogin: "ampthill", Addressed: biggleswade,
		Dest: biggleswade, State: "collected", StateBy: "biggleswade", Pupils: 1, Size: int64(len(files[taken])), SHA256: sha(files[taken])})

	// Delete one never collected, and the collected one.
	if r := d.sftp(t, bigg, "rm /inbox/"+refused+"\nrm /inbox/"+taken+"\n"); r.code != 0 {
		t.Fatalf("sftp rm: exit %d\n%s", r.code, r.stderr)
	}
	d.waitTransferEvents(t, ids[refused], "accepted ampthill", "rejected biggleswade")
	d.waitTransferEvents(t, ids[taken], "accepted ampthill", "collected biggleswade", "re-downloaded biggleswade", "deleted biggleswade")
	d.assertTransfer(t, transferRow{ID: ids[refused], Name: refused, Kind: "ctf", Sender: ampthill, SenderLogin: "ampthill", Addressed: biggleswade,
		Dest: biggleswade, State: "rejected", StateBy: "biggleswade", Pupils: 1, Size: int64(len(files[refused])), SHA256: sha(files[refused]),
		Removed: true})
	d.assertTransfer(t, transferRow{ID: ids[taken], Name: taken, Kind: "ctf", Sender: ampthill, SenderLogin: "ampthill", Addressed: biggleswade,
		Dest: biggleswade, State: "collected", StateBy: "biggleswade", Pupils: 1, Size: int64(len(files[taken])), SHA256: sha(files[taken]),
		Removed: true})
	waitEntries(t, d.box(biggleswade, "inbox"), names[2])
	var downloads, deletes []string
	for _, e := range d.audit(t, "download") {
		downloads = append(downloads, e.Login+" "+e.Object+" "+e.Detail)
	}
	for _, e := range d.audit(t, "delete") {
		deletes = append(deletes, e.Login+" "+e.Object)
	}
	if want := []string{"biggleswade /inbox/" + taken + " complete=true", "biggleswade /inbox/" + taken + " complete=true"}; !slices.Equal(downloads, want) {
		t.Errorf("download audit events: %q, want %q", downloads, want)
	}
	if want := []string{"biggleswade /inbox/" + refused, "biggleswade /inbox/" + taken}; !slices.Equal(deletes, want) {
		t.Errorf("delete audit events: %q, want %q", deletes, want)
	}
	d.assertTransferList(t, biggleswade, 3)
	d.verify(t)
}

// assertTransferList checks `s2sd transfers list --mailbox CODE --format
// json` against the ledger's transfers from or to CODE.
func (d *daemon) assertTransferList(t *testing.T, code string, n int) {
	t.Helper()
	type row struct {
		ID           int64  `json:"id"`
		Name         string `json:"name"`
		Kind         string `json:"kind"`
		Sender       string `json:"sender"`
		SenderUser   string `json:"sender_user"`
		AddressedTo  string `json:"addressed_to"`
		Destination  string `json:"destination"`
		Size         int64  `json:"size"`
		SHA256       string `json:"sha256"`
		Pupils       int    `json:"pupils"`
		Uploaded     string `json:"uploaded"`
		State        string `json:"state"`
		StateChanged string `json:"state_changed"`
		StateBy      string `json:"state_by"`
		Warnings     int    `json:"warnings"`
	}
	out := d.cli(t, "", "transfers", "list", "--mailbox", code, "--format", "json")
	var listed []row
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&listed); err != nil {
		t.Fatalf("transfers list --format json: %v\n%s", err, out)
	}
	db := openLedger(t, filepath.Join(d.data, "ledger.db"))
	rows, err := db.Query(`SELECT id, name, kind, sender, sender_login, addressed, dest, size, sha256, pupils, uploaded_at, state,
		state_at, state_by, warnings FROM transfers WHERE sender = ? OR dest = ? ORDER BY id DESC`, code, code)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var want []row
	rfc := func(s string) string {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatalf("ledger time %q: %v", s, err)
		}
		return tm.UTC().Format(time.RFC3339)
	}
	for rows.Next() {
		var r row
		var uploaded, stateAt, warnings string
		if err := rows.Scan(&r.ID, &r.Name, &r.Kind, &r.Sender, &r.SenderUser, &r.AddressedTo, &r.Destination, &r.Size, &r.SHA256,
			&r.Pupils, &uploaded, &r.State, &stateAt, &r.StateBy, &warnings); err != nil {
			t.Fatal(err)
		}
		r.Uploaded, r.StateChanged = rfc(uploaded), rfc(stateAt)
		if warnings != "" {
			r.Warnings = len(strings.Split(warnings, "\n"))
		}
		want = append(want, r)
	}
	if len(want) != n || !slices.Equal(listed, want) {
		t.Errorf("transfers list --mailbox %s --format json:\n%s\nwant the ledger's %d rows:\n%+v", code, out, n, want)
	}
}

// TestRoutingWinSCPFilepart replays WinSCP's upload through NAME.filepart:
// until the rename, the recipient sees nothing in /inbox over SFTP and
// the inbox on disk is empty; after it the file is there.
func TestRoutingWinSCPFilepart(t *testing.T) {
	t.Parallel()
	d := routingDaemon(t)
	name, data := ctf(ampthill, biggleswade, 1, 150_000)
	name2, data2 := ctf(ampthill, biggleswade, 2, 40_000)
	bigg := passwordLogin("biggleswade")
	inbox := d.box(biggleswade, "inbox")
	paused := 0
	r := d.py(t, "winscp_replay.py", map[string]any{
		"user": "ampthill", "password": password("ampthill"),
		"name": name, "file": d.localFile(t, name, data), "name2": name2, "file2": d.localFile(t, name2, data2),
	}, func(step string) {
		paused++
		switch step {
		case "before_rename":
			// Give routing every chance to get it wrong.
			time.Sleep(300 * time.Millisecond)
			if got := entries(t, inbox); len(got) != 0 {
				t.Errorf("before the rename the inbox on disk holds %q", got)
			}
			if got := d.listFolder(t, bigg, "inbox"); len(got) != 0 {
				t.Errorf("before the rename biggleswade's /inbox lists %q", got)
			}
			if got := entries(t, d.box(centralBeds, "copies")); len(got) != 0 {
				t.Errorf("before the rename the LA's copies hold %q", got)
			}
			if got := d.uploadOutcomes(t, ampthill, name+".filepart"); len(got) != 0 {
				t.Errorf("the .filepart has uploads rows %q", got)
			}
		case "sent":
			d.waitPath(t, filepath.Join(inbox, name))
			if got := d.listFolder(t, bigg, "inbox"); !slices.Equal(got, []string{name}) {
				t.Errorf("after the rename biggleswade's /inbox lists %q, want %q", got, name)
			}
		}
	})
	if paused != 2 {
		t.Fatalf("the replay paused %d times, want 2", paused)
	}
	r.ok("close", nil)
	r.ok("rename", nil)
	r.ok("rename2", nil)
	d.assertRouted(t, ampthill, biggleswade, name, data)
	d.assertRouted(t, ampthill, biggleswade, name2, data2)
	waitEntries(t, inbox, name, name2)
	d.assertTransfer(t, transferRow{Name: name, Kind: "ctf", Sender: ampthill, SenderLogin: "ampthill", Addressed: biggleswade,
		Dest: biggleswade, State: "awaiting", StateBy: "ampthill", Pupils: 1, Size: int64(len(data)), SHA256: sha(data),
		Path: filepath.Join("spool", biggleswade, "inbox", name)})
	d.assertUpload(t, ampthill, name, "ampthill", "routed")
	for _, n := range []string{name + ".filepart", name2 + ".filepart"} {
		if got := d.uploadOutcomes(t, ampthill, n); len(got) != 0 {
			t.Errorf("%s has uploads rows %q", n, got)
		}
		if rows := d.transferRows(t, n); len(rows) != 0 {
			t.Errorf("%s has transfers %+v", n, rows)
		}
	}
	if got := d.listFolder(t, bigg, "inbox"); !slices.Equal(got, []string{name, name2}) {
		t.Errorf("biggleswade's /inbox lists %q, want %q", got, []string{name, name2})
	}
	d.verify(t)
}

// TestRoutingMput sends a hundred CTFs with one lftp mput: all are routed,
// byte for byte, once each.
func TestRoutingMput(t *testing.T) {
	t.Parallel()
	needTool(t, "lftp")
	d := routingDaemon(t)
	send := filepath.Join(d.dir, "mput")
	if err := os.MkdirAll(send, 0o700); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	var names []string
	for seq := 1; seq <= 100; seq++ {
		name := ctfName(ampthill, biggleswade, seq)
		files[name] = between(ampthill, biggleswade, seq, 2_000+seq*97)
		if err := os.WriteFile(filepath.Join(send, name), files[name], 0o600); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	r := d.lftp(t, passwordLogin("ampthill"), send, "cd /outbox", "mput *.XML")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("lftp mput: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	inbox := d.box(biggleswade, "inbox")
	for deadline := time.Now().Add(10 * time.Second); len(entries(t, inbox)) < 100 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	waitEntries(t, inbox, names...)
	waitEntries(t, d.box(centralBeds, "copies"), names...)
	for _, name := range names {
		assertFile(t, filepath.Join(inbox, name), files[name])
	}
	waitEntries(t, d.box(ampthill, "outbox"))
	waitEntries(t, d.box(ampthill, "rejected"))
	db := openLedger(t, filepath.Join(d.data, "ledger.db"))
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var n, distinct, routed int
		if err := db.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT name) FROM transfers WHERE sender = ? AND dest = ? AND sender_login = 'ampthill'
			AND state = 'awaiting'`, ampthill, biggleswade).Scan(&n, &distinct); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(`SELECT COUNT(*) FROM uploads WHERE box = ? AND outcome = 'routed'`, ampthill).Scan(&routed); err != nil {
			t.Fatal(err)
		}
		if n == 100 && distinct == 100 && routed == 100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d transfers (%d names) and %d routed uploads, want 100 of each", n, distinct, routed)
		}
	}
	for _, name := range names {
		if tr := d.transferOf(t, name); tr.Size != int64(len(files[name])) || tr.SHA256 != sha(files[name]) {
			t.Errorf("transfer of %s: size %d sha256 %s, want %d %s", name, tr.Size, tr.SHA256, len(files[name]), sha(files[name]))
		}
	}
	d.verify(t)
}

// TestRoutingLocalDrop drops a file into an outbox on disk the way a
// local process does, under NAME.tmp then renamed: it is routed as sent by
// "local", and the temporary name never is.
func TestRoutingLocalDrop(t *testing.T) {
	t.Parallel()
	d := routingDaemon(t)
	outbox := d.box(ampthill, "outbox")
	if err := os.MkdirAll(outbox, 0o700); err != nil {
		t.Fatal(err)
	}
	name := ctfName(ampthill, biggleswade, 1)
	data := between(ampthill, biggleswade, 1, 80_000)
	tmp := filepath.Join(outbox, name+".tmp")
	f, err := os.Create(tmp)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(data[:len(data)/2])
	time.Sleep(400 * time.Millisecond) // well past the watcher's settling time
	f.Write(data[len(data)/2:])
	f.Close()
	// A leftover temporary file that is never renamed.
	leftover := filepath.Join(outbox, ctfName(ampthill, biggleswade, 2)+".tmp")
	if err := os.WriteFile(leftover, between(ampthill, biggleswade, 2, 1_000), 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(400 * time.Millisecond)
	if got := entries(t, outbox); !slices.Equal(got, []string{filepath.Base(tmp), filepath.Base(leftover)}) {
		t.Fatalf("the outbox holds %q before the rename", got)
	}
	if got := entries(t, d.box(biggleswade, "inbox")); len(got) != 0 {
		t.Fatalf("the inbox holds %q before the rename", got)
	}
	if err := os.Rename(tmp, filepath.Join(outbox, name)); err != nil {
		t.Fatal(err)
	}

	inbox := filepath.Join(d.box(biggleswade, "inbox"), name)
	d.waitPath(t, inbox)
	assertFile(t, inbox, data)
	tr := d.assertTransfer(t, transferRow{Name: name, Kind: "ctf", Sender: ampthill, SenderLogin: "local", Addressed: biggleswade,
		Dest: biggleswade, State: "awaiting", StateBy: "local", Pupils: 1, Size: int64(len(data)), SHA256: sha(data),
		Path: filepath.Join("spool", biggleswade, "inbox", name)})
	d.assertUpload(t, ampthill, name, "local", "routed")
	d.assertAudit(t, "routed", name, "local", "", fmt.Sprintf("transfer=%d dest=%s", tr.ID, biggleswade))
	assertFile(t, filepath.Join(d.box(centralBeds, "copies"), name), data)
	time.Sleep(300 * time.Millisecond)
	waitEntries(t, outbox, filepath.Base(leftover))
	for _, n := range []string{name + ".tmp", filepath.Base(leftover)} {
		if got := d.uploadOutcomes(t, ampthill, n); len(got) != 0 {
			t.Errorf("the temporary name %s has uploads rows %q", n, got)
		}
	}
	waitEntries(t, d.box(biggleswade, "inbox"), name)
	d.verify(t)
}

// TestRoutingSameNameWhileRouting drops a file into an outbox under the
// name of one that is still being routed: the first has left the outbox
// for /rejected, but its outcome is not yet recorded (the test holds the
// ledger's write lock at that moment). The second must be routed as well,
// not left in the outbox until the next restart. After a crash this is
// what a client does that resends a file whose acknowledgement the crash
// swallowed (TestCrashExactlyOnce saw it happen).
func TestRoutingSameNameWhileRouting(t *testing.T) {
	t.Parallel()
	d := routingDaemon(t)
	outbox := d.box(ampthill, "outbox")
	if err := os.MkdirAll(outbox, 0o700); err != nil {
		t.Fatal(err)
	}
	db := openLedger(t, filepath.Join(d.data, "ledger.db"))
	drop := func(name string, data []byte) {
		t.Helper()
		tmp := filepath.Join(outbox, name+".tmp")
		if err := os.WriteFile(tmp, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(outbox, name)); err != nil {
			t.Fatal(err)
		}
	}
	ctx := t.Context()
	for seq := 1; seq <= 20; seq++ {
		name := ctfName(ampthill, biggleswade, seq)
		first := badUPN(between(ampthill, biggleswade, seq, 2_000))
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		drop(name, first)
		// As soon as the file is in /rejected, take the write lock.
		rejected := filepath.Join(d.box(ampthill, "rejected"), name)
		for deadline := time.Now().Add(5 * time.Second); ; {
			if _, err := os.Lstat(rejected); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s was not rejected within 5s\n%s", name, d.logText())
			}
		}
		if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			t.Fatal(err)
		}
		var outcome string
		if err := conn.QueryRowContext(ctx, `SELECT outcome FROM uploads WHERE box = ? AND name = ?`, ampthill, name).Scan(&outcome); err != nil {
			t.Fatal(err)
		}
		if outcome != "pending" {
			// Routing finished before the lock was taken: try again.
			conn.ExecContext(ctx, "ROLLBACK")
			conn.Close()
			continue
		}
		t.Logf("%s left the outbox and its outcome is not yet recorded: dropping it again", name)
		second := badUPN(between(ampthill, biggleswade, seq+100, 3_000))
		drop(name, second)
		time.Sleep(500 * time.Millisecond) // the watcher sees it and submits it
		if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
			t.Fatal(err)
		}
		conn.Close()

		deadline := time.Now().Add(5 * time.Second)
		for len(entries(t, outbox)) > 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if left := entries(t, outbox); len(left) > 0 {
			t.Errorf("5s after the second drop the outbox still holds %q, unrouted; uploads %q\nlog:\n%s",
				left, d.uploadOutcomes(t, ampthill, name), d.logText())
			// Only a restart's scan of the outboxes routes it.
			d.stop(t)
			d.start(t)
			waitEntries(t, outbox)
		}
		for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if got := d.uploadOutcomes(t, ampthill, name); slices.Equal(got, []string{"rejected", "rejected"}) {
				break
			} else if time.Now().After(deadline) {
				t.Fatalf("uploads of %s: %q, want two rejections", name, got)
			}
		}
		assertFile(t, rejected, second)
		d.verify(t)
		return
	}
	t.Skip("routing always recorded the outcome before the test could take the ledger's lock")
}
