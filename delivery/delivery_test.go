package delivery

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/s2sd/s2sd/internal/ctftest"
	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/routing"
	"github.com/s2sd/s2sd/spool"
)

type env struct {
	t      *testing.T
	data   string
	ledger *ledger.Ledger
	router *Router
	now    time.Time
}

func newEnv(t *testing.T) *env {
	t.Helper()
	data := t.TempDir()
	l, err := ledger.Open(context.Background(), filepath.Join(data, "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	las, _ := routing.NewLANumbers(routing.DefaultLANumbers())
	e := &env{t: t, data: data, ledger: l, now: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)}
	e.router = New(Config{Data: data, LANumbers: las, Limits: routing.DefaultLimits(),
		TempSuffixes: []string{".filepart", ".tmp"}, Now: func() time.Time { return e.now }}, l, zerolog.Nop())
	for _, m := range []ledger.Mailbox{
		{Code: "823LLLL", Name: "Central Beds", Kind: "la", LA: "823", Copies: true},
		{Code: "660LLLL", Name: "Anglesey", Kind: "la", LA: "660", Copies: true},
		{Code: "825LLLL", Name: "Bucks", Kind: "la", LA: "825", Copies: false},
		{Code: "8231234", Name: "Ampthill", Kind: "school", LA: "823"},
		{Code: "8232345", Name: "Biggleswade", Kind: "school", LA: "823"},
		{Code: "6602001", Name: "Amlwch", Kind: "school", LA: "660"},
		{Code: "8251000", Name: "Old Academy", Kind: "school", LA: "825"},
		{Code: "8251001", Name: "New Academy", Kind: "school", LA: "825"},
	} {
		if err := l.AddMailbox(context.Background(), m, e.now); err != nil {
			t.Fatal(err)
		}
	}
	l.CloseMailbox(context.Background(), "8251000", "8251001", e.now)
	return e
}

func (e *env) path(rel ...string) string { return filepath.Join(append([]string{e.data}, rel...)...) }

// drop puts a file into a mailbox's outbox as an acknowledged upload.
func (e *env) drop(box, name, content string) {
	e.t.Helper()
	dir := e.path("spool", box, spool.Outbox)
	os.MkdirAll(dir, 0o700)
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) route(box, name string, who *Sender) {
	e.t.Helper()
	if err := e.router.route(context.Background(), key{box, name}, who); err != nil {
		e.t.Fatalf("route %s/%s: %v", box, name, err)
	}
}

func (e *env) read(rel ...string) string {
	e.t.Helper()
	b, err := os.ReadFile(e.path(rel...))
	if err != nil {
		e.t.Fatalf("read %s: %v", filepath.Join(rel...), err)
	}
	return string(b)
}

func (e *env) missing(rel ...string) {
	e.t.Helper()
	if _, err := os.Lstat(e.path(rel...)); !os.IsNotExist(err) {
		e.t.Fatalf("%s exists (%v), want it gone", filepath.Join(rel...), err)
	}
}

var school = &Sender{Login: "ampthill", Mailbox: "8231234", Role: routing.RoleSchool, Remote: "127.0.0.1"}

func TestRouteCrossBorderWithCopies(t *testing.T) {
	e := newEnv(t)
	ctf := ctftest.Between("8231234", "6602001")
	name := "8231234_CTF_6602001_001.XML"
	e.drop("8231234", name, ctf)
	e.route("8231234", name, school)

	e.missing("spool", "8231234", "outbox", name)
	if got := e.read("spool", "6602001", "inbox", name); got != ctf {
		t.Fatal("inbox file differs from the upload")
	}
	for _, la := range []string{"823LLLL", "660LLLL"} {
		a, _ := os.Stat(e.path("spool", "6602001", "inbox", name))
		b, err := os.Stat(e.path("spool", la, "copies", name))
		if err != nil || !os.SameFile(a, b) {
			t.Fatalf("%s copy is not a hard link of the inbox file: %v", la, err)
		}
	}
	ts, _ := e.ledger.Transfers(context.Background(), ledger.TransferFilter{})
	if len(ts) != 1 {
		t.Fatalf("%d transfers, want 1", len(ts))
	}
	tr := ts[0]
	if tr.Name != name || tr.Kind != "ctf" || tr.Sender != "8231234" || tr.Dest != "6602001" || tr.SenderLogin != "ampthill" ||
		tr.State != ledger.StateAwaiting || tr.Pupils != 1 || tr.Size != int64(len(ctf)) || len(tr.SHA256) != 64 ||
		tr.Path != "spool/6602001/inbox/"+name || tr.DestLA != "660" || tr.SenderLA != "823" {
		t.Fatalf("transfer %+v", tr)
	}
	ev, _ := e.ledger.AuditEvents(context.Background(), ledger.EventRouted)
	if len(ev) != 1 || ev[0].Detail != "transfer=1 dest=6602001" || ev[0].Login != "ampthill" || ev[0].Remote != "127.0.0.1" || ev[0].Object != name {
		t.Fatalf("routing audit %+v", ev)
	}
	// The same name now waits at the destination: refused at OPEN.
	_, err := e.router.CheckUpload(context.Background(), *school, name)
	if err == nil || err.Error() != name+" is still waiting at 6602001: send the file again under the next sequence number" {
		t.Fatalf("second send: %v", err)
	}
	// Collect, then delete: collected stays collected.
	who := Sender{Login: "amlwch", Mailbox: "6602001", Role: routing.RoleSchool}
	e.router.Downloaded(context.Background(), who, "6602001", "inbox", name, false)
	if tr, _ := e.ledger.Transfer(context.Background(), tr.ID); tr.State != ledger.StateAwaiting {
		t.Fatalf("partial read changed state to %s", tr.State)
	}
	e.router.Downloaded(context.Background(), who, "6602001", "inbox", name, true)
	e.router.Downloaded(context.Background(), who, "6602001", "inbox", name, true)
	e.router.Removing(context.Background(), who, "6602001", "inbox", name)
	tr, _ = e.ledger.Transfer(context.Background(), tr.ID)
	if tr.State != ledger.StateCollected || tr.StateBy != "amlwch" || tr.RemovedAt.IsZero() {
		t.Fatalf("after collect and delete: %+v", tr)
	}
}

func TestRejectUncollectedOnDelete(t *testing.T) {
	e := newEnv(t)
	name := "8231234_CTF_8232345_001.XML"
	e.drop("8231234", name, ctftest.Between("8231234", "8232345"))
	e.route("8231234", name, school)
	// same LA: one copy only, to 823LLLL
	entries, _ := os.ReadDir(e.path("spool", "823LLLL", "copies"))
	if len(entries) != 1 {
		t.Fatalf("%d copies in 823LLLL, want 1", len(entries))
	}
	who := Sender{Login: "biggleswade", Mailbox: "8232345", Role: routing.RoleSchool}
	if err := e.router.Removing(context.Background(), who, "8232345", "inbox", name); err != nil {
		t.Fatal(err)
	}
	ts, _ := e.ledger.Transfers(context.Background(), ledger.TransferFilter{State: ledger.StateRejected})
	if len(ts) != 1 || ts[0].StateBy != "biggleswade" {
		t.Fatalf("rejected transfers %+v", ts)
	}
}

func TestRouteSuccessorAndNoCopies(t *testing.T) {
	e := newEnv(t)
	name := "8231234_CTF_8251000_001.XML"
	e.drop("8231234", name, ctftest.Between("8231234", "8251000"))
	e.route("8231234", name, school)
	e.read("spool", "8251001", "inbox", name)
	e.missing("spool", "825LLLL", "copies", name) // copies off
	ts, _ := e.ledger.Transfers(context.Background(), ledger.TransferFilter{Mailbox: "8251001"})
	if len(ts) != 1 || ts[0].Addressed != "8251000" || ts[0].Dest != "8251001" {
		t.Fatalf("transfers %+v", ts)
	}
}

func TestRouteLostPupil(t *testing.T) {
	e := newEnv(t)
	name := "8231234_CTF_XXXXXXX_001.XML"
	e.drop("8231234", name, ctftest.CTF(ctftest.Options{SourceLEA: "823", SourceEstab: "1234", DestLEA: "XXX", DestEstab: "XXXX", Surname: "Quillfeather"}))
	e.route("8231234", name, school)
	lost, err := e.ledger.LostPupils(context.Background())
	if err != nil || len(lost) != 1 {
		t.Fatalf("lost pupils %d, %v", len(lost), err)
	}
	p := lost[0]
	if p.Surname != "Quillfeather" || p.Forename != "Pupil0" || p.DOB != "2015-01-10" || p.Gender != "M" ||
		p.UPN != ctftest.UPN("823", "1234", 0) || p.Town != "Fernhollow" || p.Postcode != "ZZ99 1AA" ||
		p.LA != "823" || p.School != "8231234" || p.SchoolName != "Ampthill" || p.Via != "XXXXXXX" || p.State != "lost" {
		t.Fatalf("record %+v", struct{ ledger.LostPupil }{p})
	}
	if !strings.HasPrefix(p.Path, "lost/") || e.read(p.Path) == "" {
		t.Fatalf("stored at %q", p.Path)
	}
}

func TestRejectWithEveryReason(t *testing.T) {
	e := newEnv(t)
	name := "8231234_CTF_8232345_002.XML"
	bad := strings.Replace(ctftest.Between("8231234", "8232345"), "<Surname>Testpupil</Surname>", "", 1)
	bad = strings.Replace(bad, "<LEA>823</LEA><Estab>2345</Estab>", "<LEA>823</LEA><Estab>7777</Estab>", 1)
	e.drop("8231234", name, bad)
	e.route("8231234", name, school)
	e.missing("spool", "8232345", "inbox", name)
	if e.read("spool", "8231234", "rejected", name) != bad {
		t.Fatal("rejected file differs")
	}
	note := e.read("spool", "8231234", "rejected", name+".txt")
	if !strings.HasPrefix(note, name+" was not sent, for these reasons:\r\n\r\n- ") || strings.Count(note, "\r\n- ") != 2 {
		t.Fatalf("note:\n%s", note)
	}
	if strings.Contains(note, "Pupil0") || strings.Contains(note, ctftest.UPN("823", "1234", 0)) {
		t.Fatal("note holds pupil data")
	}
	ups, _ := e.ledger.Uploads(context.Background())
	if len(ups) != 1 || ups[0].Outcome != ledger.UploadRejected {
		t.Fatalf("uploads %+v", ups)
	}
	// A name from another school is refused at OPEN with its reason.
	_, err := e.router.CheckUpload(context.Background(), *school, "8230001_CTF_8232345_001.XML")
	if err == nil || !strings.Contains(err.Error(), "is not your mailbox 8231234") {
		t.Fatalf("wrong sender: %v", err)
	}
	_, err = e.router.CheckUpload(context.Background(), *school, "8231234_CTF_8239999_001.XML")
	if err == nil || err.Error() != "destination 8239999 is not a known establishment: check the DfE number or LA code" {
		t.Fatalf("unknown destination: %v", err)
	}
}

// TestResumeAfterCrash replays the two crash points: after the plan was
// recorded but before any move, and after the move but before the outcome.
func TestResumeAfterCrash(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for i, moved := range []bool{false, true} {
		name := []string{"8231234_CTF_8232345_010.XML", "8231234_CTF_8232345_011.XML"}[i]
		e.drop("8231234", name, ctftest.Between("8231234", "8232345"))
		src := e.path("spool", "8231234", "outbox", name)
		p, size, sum, err := e.router.decide(ctx, newLookups(e.router.ledger), key{"8231234", name}, *school, src)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.ledger.BeginUpload(ctx, ledger.Upload{Box: "8231234", Name: name, Login: "ampthill",
			Size: size, SHA256: sum, ReceivedAt: e.now, Plan: p.encode()}); err != nil {
			t.Fatal(err)
		}
		if moved {
			if err := e.router.execute(key{"8231234", name}, p, dirSet{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := e.router.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	ts, _ := e.ledger.Transfers(ctx, ledger.TransferFilter{})
	pending, _ := e.ledger.PendingUploads(ctx)
	if len(ts) != 2 || len(pending) != 0 {
		t.Fatalf("%d transfers, %d pending; want 2, 0", len(ts), len(pending))
	}
	// Routing again finds nothing to do: exactly once.
	e.route("8231234", "8231234_CTF_8232345_010.XML", nil)
	if ts, _ := e.ledger.Transfers(ctx, ledger.TransferFilter{}); len(ts) != 2 {
		t.Fatalf("%d transfers after a repeat, want 2", len(ts))
	}
}

func TestWatcherRoutesLocalDrops(t *testing.T) {
	e := newEnv(t)
	e.router.Start(context.Background())
	defer e.router.Close()
	w, err := NewWatcher(e.router)
	if err != nil {
		t.Fatal(err)
	}
	w.settle = 20 * time.Millisecond
	// A file left in an outbox before start is routed by the start-up scan.
	left := "8231234_CTF_8232345_020.XML"
	e.drop("8231234", left, ctftest.Between("8231234", "8232345"))
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	// A local process writes under a temporary name, then renames it in.
	name := "8231234_CTF_8232345_021.XML"
	tmp := e.path("spool", "8231234", "outbox", name+".tmp")
	os.WriteFile(tmp, []byte(ctftest.Between("8231234", "8232345")), 0o600)
	time.Sleep(100 * time.Millisecond)
	if _, err := os.Stat(tmp); err != nil {
		t.Fatal("temporary name was routed")
	}
	os.Rename(tmp, e.path("spool", "8231234", "outbox", name))
	deadline := time.Now().Add(5 * time.Second)
	for {
		e.router.Wait()
		ts, _ := e.ledger.Transfers(context.Background(), ledger.TransferFilter{})
		if len(ts) == 2 {
			if ts[0].SenderLogin != LocalLogin {
				t.Fatalf("local drop sender %q", ts[0].SenderLogin)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d transfers after 5s, want 2", len(ts))
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.read("spool", "8232345", "inbox", name)
	e.read("spool", "8232345", "inbox", left)
}

func TestVerify(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	name := "8231234_CTF_6602001_001.XML"
	e.drop("8231234", name, ctftest.Between("8231234", "6602001"))
	e.route("8231234", name, school)
	lost := "8231234_CTF_MMMMMMM_001.XML"
	e.drop("8231234", lost, ctftest.Between("8231234", "MMMMMMM"))
	e.route("8231234", lost, school)
	diffs, err := Verify(ctx, e.data, e.ledger, []string{".tmp"})
	if err != nil || len(diffs) != 0 {
		t.Fatalf("clean state: %v %v", diffs, err)
	}
	os.Remove(e.path("spool", "660LLLL", "copies", name))
	os.WriteFile(e.path("spool", "6602001", "inbox", "stray.xml"), []byte("x"), 0o600)
	os.WriteFile(e.path("spool", "6602001", "inbox", name), []byte("tampered"), 0o600)
	e.drop("8231234", "8231234_CTF_6602001_002.XML", "x")
	e.drop("8231234", "ignored.tmp", "x")
	diffs, _ = Verify(ctx, e.data, e.ledger, []string{".tmp"})
	var got []string
	for _, d := range diffs {
		got = append(got, d.String())
	}
	want := []string{
		"spool/6602001/inbox/" + name + ": transfer 1 differs from what was sent (size 8, want " + itoa(len(ctftest.Between("8231234", "6602001"))) + ")",
		"spool/6602001/inbox/stray.xml: file on disk is not in the ledger",
		"spool/660LLLL/copies/" + name + ": LA copy of transfer 1 is missing from disk",
		"spool/8231234/outbox/8231234_CTF_6602001_002.XML: acknowledged upload waits unrouted in an outbox: start s2sd to route it",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("differences:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func itoa(n int) string { return fmt.Sprint(n) }

// TestNotices checks that each event enqueues its notices, to the right
// people, in the ledger's mail outbox.
func TestNotices(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.ledger.Exec(ctx, `UPDATE mailboxes SET email = lower(code) || '@example.sch.uk'`)
	e.ledger.AddUser(ctx, ledger.User{Login: "ampthill", Mailbox: "8231234", Role: "school", Email: "staff@ampthill.example.sch.uk"}, e.now)
	kicks := 0
	e.router.cfg.Kick = func() { kicks++ }

	good := "8231234_CTF_8232345_001.XML"
	e.drop("8231234", good, ctftest.Between("8231234", "8232345"))
	e.route("8231234", good, school)
	bad := "8231234_CTF_8232345_002.XML"
	e.drop("8231234", bad, "<CTfile/>")
	e.route("8231234", bad, school)
	who := Sender{Login: "biggleswade", Mailbox: "8232345", Role: routing.RoleSchool}
	e.router.Downloaded(ctx, who, "8232345", "inbox", good, true)
	e.router.Downloaded(ctx, who, "8232345", "inbox", good, true) // a re-download tells nobody

	sameLines(t, "notices", outboxLines(t, e, func(m ledger.Mail) string { return m.Kind + " " + strings.Join(m.To, ",") }), []string{
		"confirmation 8231234@example.sch.uk,staff@ampthill.example.sch.uk",
		"file-waiting 8232345@example.sch.uk",
		"validation-failed 8231234@example.sch.uk,staff@ampthill.example.sch.uk",
		"collected 8231234@example.sch.uk,staff@ampthill.example.sch.uk",
	})
	ms, err := e.ledger.Mails(ctx, ledger.MailFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if kicks != 3 {
		t.Fatalf("mail worker kicked %d times, want 3", kicks)
	}
	if !strings.Contains(ms[1].Subject, "8231234") || !strings.Contains(ms[1].Body, good) {
		t.Fatalf("file-waiting notice: %q\n%s", ms[1].Subject, ms[1].Body)
	}
}

// TestLostSearchClaimForward finds a lost pupil by search, claims it for
// an LA and forwards it to a school, which receives it as a transfer from
// the LA.
func TestLostSearchClaimForward(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.router.Start(ctx)
	defer e.router.Close()
	name := "8231234_CTF_XXXXXXX_001.XML"
	e.drop("8231234", name, ctftest.CTF(ctftest.Options{SourceLEA: "823", SourceEstab: "1234", DestLEA: "XXX", DestEstab: "XXXX", Surname: "Ashcroft"}))
	e.route("8231234", name, school)
	officer := Sender{Login: "officer", Mailbox: "660LLLL", Role: routing.RoleLALostPupilTransfer, Remote: "10.0.0.9"}

	if _, err := e.router.LostSearch(ctx, officer, "dob=2015-01-10"); err == nil ||
		err.Error() != "a search needs upn, surname or like: add one of them, e.g. surname=jones,dob=2012-03-04" {
		t.Fatalf("search without a required term: %v", err)
	}
	for _, q := range []string{"surname=ash", "like=Ashcraft,dob=2015-01-10", "upn=" + ctftest.UPN("823", "1234", 0)} {
		files, err := e.router.LostSearch(ctx, officer, q)
		if err != nil || len(files) != 1 || files[0].Name != "ASHCROFT_Pupil0_2015-01-10_M_"+ctftest.UPN("823", "1234", 0)+"_1.xml" {
			t.Fatalf("search %s: %+v, %v", q, files, err)
		}
	}
	if files, _ := e.router.LostSearch(ctx, officer, "surname=ashx"); len(files) != 0 {
		t.Fatalf("a non-matching prefix found %d", len(files))
	}
	csv := string(LostResultsCSV(mustSearch(t, e, officer, "surname=ash")))
	if !strings.HasPrefix(csv, "file,id,upn,former_upn,surname,former_surname,forename,middle_names,dob,gender,town,postcode,la,school,school_name,uploaded,destination\r\n") ||
		!strings.Contains(csv, ",Ashcroft,,Pupil0,,2015-01-10,M,Fernhollow,ZZ99 1AA,823,8231234,Ampthill,2026-11-24,XXXXXXX\r\n") {
		t.Fatalf("results.csv:\n%s", csv)
	}
	if err := e.router.LostClaim(ctx, officer, "surname=ash", 1); err != nil {
		t.Fatal(err)
	}
	if files, _ := e.router.LostSearch(ctx, officer, "surname=ash"); len(files) != 0 {
		t.Fatal("a claimed record is still found by search")
	}
	other := Sender{Login: "other", Mailbox: "823LLLL", Role: routing.RoleLALostPupil}
	if files, _ := e.router.LostClaimed(ctx, other); len(files) != 0 {
		t.Fatal("another LA sees the claimed record")
	}
	if _, err := e.router.LostOpen(ctx, other, 1); !os.IsNotExist(err) {
		t.Fatalf("another LA opened the claimed record: %v", err)
	}
	f, err := e.router.LostOpen(ctx, officer, 1)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := e.router.LostForward(ctx, officer, 1, "660LLLL_CTF_6602001_001.XML"); err != nil {
		t.Fatal(err)
	}
	e.router.Wait()
	e.read("spool", "6602001", "inbox", "660LLLL_CTF_6602001_001.XML")
	ts, _ := e.ledger.Transfers(ctx, ledger.TransferFilter{Mailbox: "6602001"})
	if len(ts) != 1 || ts[0].Sender != "660LLLL" || ts[0].SenderLogin != "officer" {
		t.Fatalf("forwarded transfer %+v", ts)
	}
	// Forwarded, the record has moved: it is gone from claimed/ and cannot
	// be read or forwarded again.
	if files, _ := e.router.LostClaimed(ctx, officer); len(files) != 0 {
		t.Fatalf("the forwarded record is still claimed: %+v", files)
	}
	if _, err := e.router.LostOpen(ctx, officer, 1); !os.IsNotExist(err) {
		t.Fatalf("the forwarded record opened: %v", err)
	}
	if err := e.router.LostForward(ctx, officer, 1, "660LLLL_CTF_6602001_002.XML"); !os.IsNotExist(err) {
		t.Fatalf("the record was forwarded twice: %v", err)
	}
	e.router.Wait()
	if _, err := os.Stat(e.path("spool", "6602001", "inbox", "660LLLL_CTF_6602001_002.XML")); !os.IsNotExist(err) {
		t.Fatalf("the second forward reached the school: %v", err)
	}
	if p, _ := e.ledger.LostPupil(ctx, 1); p.State != "claimed" || p.ForwardedAs != "660LLLL_CTF_6602001_001.XML" {
		t.Fatalf("record after forwarding: state %q, forwarded as %q", p.State, p.ForwardedAs)
	}
	if fw, _ := e.ledger.AuditEvents(ctx, "lost-forward"); len(fw) != 1 || fw[0].Detail != "660LLLL_CTF_6602001_001.XML" || fw[0].Login != "officer" {
		t.Fatalf("forward audit: %+v", fw)
	}
	ev, _ := e.ledger.AuditEvents(ctx, ledger.EventSearch)
	if len(ev) != 7 || ev[0].Login != "officer" || ev[0].Remote != "10.0.0.9" {
		t.Fatalf("search audit: %d events %+v", len(ev), ev)
	}
}

func mustSearch(t *testing.T, e *env, who Sender, q string) []LostFile {
	t.Helper()
	files, err := e.router.LostSearch(ctx(), who, q)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func ctx() context.Context { return context.Background() }

// TestSenderCarriedByFile: an upload whose staged file carries its sender
// costs no ledger write when acknowledged, and a file found in an outbox
// after a crash is routed as its carried sender; without the attribute
// the ledger's record is used.
func TestSenderCarriedByFile(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	staging := e.path("spool", "8231234", "staging")
	os.MkdirAll(staging, 0o700)
	carried := "8231234_CTF_8232345_031.XML"
	f, err := os.Create(filepath.Join(staging, "upload"))
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(ctftest.Between("8231234", "8232345"))
	if err := spool.WriteSender(f, spool.Sender{Login: "ampthill", Role: "school", Remote: "10.0.0.7"}); err != nil {
		t.Skipf("this filesystem has no user extended attributes: %v", err)
	}
	f.Close()
	e.router.ExpectStaged("8231234", carried, Sender{Login: "ampthill", Mailbox: "8231234", Role: routing.RoleSchool, Remote: "10.0.0.7"}, true)
	if _, ok, _ := e.ledger.GetUploadSender(ctx, "8231234", carried); ok {
		t.Fatal("a carried sender was written to the ledger too")
	}
	os.MkdirAll(e.path("spool", "8231234", "outbox"), 0o700)
	if err := spool.MoveNoReplace(f.Name(), e.path("spool", "8231234", "outbox", carried)); err != nil {
		t.Fatal(err)
	}
	// The crash: the router's memory is gone; routing finds the file.
	recorded := "8231234_CTF_8232345_032.XML"
	e.router.Expect("8231234", recorded, Sender{Login: "office", Mailbox: "8231234", Role: routing.RoleSchool, Remote: "10.0.0.8"})
	e.drop("8231234", recorded, ctftest.Between("8231234", "8232345"))
	e.router = New(e.router.cfg, e.ledger, zerolog.Nop())
	e.route("8231234", carried, nil)
	e.route("8231234", recorded, nil)
	for name, want := range map[string]string{carried: "ampthill 10.0.0.7", recorded: "office 10.0.0.8"} {
		ts, err := e.ledger.Transfers(ctx, ledger.TransferFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, tr := range ts {
			if tr.Name == name {
				got = append(got, tr.SenderLogin)
			}
		}
		var remote string
		for _, ev := range mustAudit(t, e, ledger.EventUpload) {
			if ev.Object == name {
				remote = ev.Login + " " + ev.Remote
			}
		}
		if len(got) != 1 || remote != want {
			t.Errorf("%s: senders %q, audited upload %q; want one transfer and %q", name, got, remote, want)
		}
	}
}

func mustAudit(t *testing.T, e *env, event string) []ledger.Event {
	t.Helper()
	evs, err := e.ledger.AuditEvents(context.Background(), event)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestRouteBatch routes files together: each ends as it would alone, a
// rejection or a file already gone does not hold the others back, and
// every upload is recorded once.
func TestRouteBatch(t *testing.T) {
	e := newEnv(t)
	good := []string{"8231234_CTF_8232345_041.XML", "8231234_CTF_6602001_042.XML", "8231234_CTF_8232345_043.XML"}
	for _, n := range good {
		e.drop("8231234", n, ctftest.Between("8231234", n[12:19]))
	}
	bad := "8231234_CTF_8232345_044.XML"
	e.drop("8231234", bad, strings.Replace(ctftest.Between("8231234", "8232345"), "<Surname>Testpupil</Surname>", "", 1))
	jobs := []*job{{k: key{"8231234", "8231234_CTF_8232345_045.XML"}, who: school}} // never dropped
	for _, n := range append(good, bad) {
		jobs = append(jobs, &job{k: key{"8231234", n}, who: school})
	}
	e.router.routeBatch(ctx(), jobs)
	for _, j := range jobs {
		if j.err != nil {
			t.Fatalf("%s: %v", j.k.name, j.err)
		}
	}
	if !jobs[0].done {
		t.Error("a file that was never there was not marked done")
	}
	for _, n := range good {
		e.read("spool", n[12:19], "inbox", n)
		e.read("spool", "823LLLL", "copies", n)
		e.missing("spool", "8231234", "outbox", n)
	}
	e.read("spool", "8231234", "rejected", bad)
	ups, _ := e.ledger.Uploads(ctx())
	ts, _ := e.ledger.Transfers(ctx(), ledger.TransferFilter{})
	if len(ups) != 4 || len(ts) != 3 {
		t.Fatalf("%d uploads and %d transfers, want 4 and 3", len(ups), len(ts))
	}
	if n := len(mustAudit(t, e, ledger.EventUpload)); n != 4 {
		t.Fatalf("%d upload audit entries, want 4", n)
	}
}

// TestCloseRoutesGatheredBatch: files a worker has gathered into a batch
// when Close is called are routed before Close returns, not left failed
// in the outbox until the next start.
func TestCloseRoutesGatheredBatch(t *testing.T) {
	e := newEnv(t)
	e.router.Start(context.Background())
	var names []string
	for i := 1; i <= 3; i++ {
		name := fmt.Sprintf("8231234_CTF_8232345_%03d.XML", i)
		e.drop("8231234", name, ctftest.CTF(ctftest.Options{SourceLEA: "823", SourceEstab: "1234", DestLEA: "823", DestEstab: "2345", Serial: i * 10}))
		e.router.Expect("8231234", name, *school)
		e.router.Submit("8231234", name)
		names = append(names, name)
	}
	for len(e.router.queue) > 0 { // until the worker has taken them all
		time.Sleep(time.Millisecond)
	}
	e.router.Close() // within the batch's gathering window, or its routing
	for _, name := range names {
		e.read("spool", "8232345", "inbox", name)
		e.missing("spool", "8231234", "outbox", name)
	}
}

// outboxLines returns a line for each mail in the ledger's outbox, in
// order, as line makes it.
func outboxLines(t *testing.T, e *env, line func(ledger.Mail) string) []string {
	t.Helper()
	ms, err := e.ledger.Mails(context.Background(), ledger.MailFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		out = append(out, line(m))
	}
	return out
}

// sameLines fails the test unless got and want hold the same lines.
func sameLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s:\n%s\nwant:\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestBatchNoticesGathered: a batch's files from one sender tell each
// recipient once, listing the files, in the transaction that routes them;
// a rejected file still gets its own notice.
func TestBatchNoticesGathered(t *testing.T) {
	e := newEnv(t)
	e.ledger.Exec(ctx(), `UPDATE mailboxes SET email = lower(code) || '@example.sch.uk'`)
	names := []string{"8231234_CTF_8232345_013.XML", "8231234_CTF_8232345_011.XML", "8231234_CTF_6602001_012.XML"}
	var jobs []*job
	for _, n := range names {
		e.drop("8231234", n, ctftest.Between("8231234", n[12:19]))
		jobs = append(jobs, &job{k: key{"8231234", n}, who: school})
	}
	bad := "8231234_CTF_8232345_014.XML"
	e.drop("8231234", bad, "<CTfile/>")
	jobs = append(jobs, &job{k: key{"8231234", bad}, who: school})
	e.router.routeBatch(ctx(), jobs)
	for _, j := range jobs {
		if j.err != nil {
			t.Fatalf("%s: %v", j.k.name, j.err)
		}
	}
	sameLines(t, "notices", outboxLines(t, e, func(m ledger.Mail) string { return m.Kind + " " + strings.Join(m.To, ",") + " " + m.Subject }), []string{
		"validation-failed 8231234@example.sch.uk S2S: 8231234_CTF_8232345_014.XML was not sent: it failed validation",
		"confirmation 8231234@example.sch.uk S2S: 3 files sent",
		"file-waiting 8232345@example.sch.uk S2S: 2 files waiting from 8231234 Ampthill",
		"file-waiting 6602001@example.sch.uk S2S: file waiting from 8231234 Ampthill",
	})
	ms, err := e.ledger.Mails(ctx(), ledger.MailFilter{})
	if err != nil {
		t.Fatal(err)
	}
	wantLines := []string{
		"2 files from 8231234 Ampthill are waiting in your S2S inbox:",
		"  - 8231234_CTF_8232345_011.XML, uploaded Tue 24 Nov 2026 10:00",
		"  - 8231234_CTF_8232345_013.XML, uploaded Tue 24 Nov 2026 10:00",
	}
	if !strings.HasPrefix(ms[2].Body, strings.Join(wantLines, "\n")+"\n") {
		t.Fatalf("files-waiting body:\n%s", ms[2].Body)
	}
}

// TestBatchFinishFallsBack: when one file's outcome cannot be recorded,
// the batch's transaction fails, and each file is then recorded alone,
// with its own notices, so that the others are routed.
func TestBatchFinishFallsBack(t *testing.T) {
	e := newEnv(t)
	e.ledger.Exec(ctx(), `UPDATE mailboxes SET email = lower(code) || '@example.sch.uk'`)
	names := []string{"8231234_CTF_8232345_021.XML", "8231234_CTF_8232345_022.XML", "8231234_CTF_8232345_023.XML"}
	var jobs []*job
	for _, n := range names {
		e.drop("8231234", n, ctftest.Between("8231234", "8232345"))
		jobs = append(jobs, &job{k: key{"8231234", n}, who: school})
	}
	lk := newLookups(e.ledger)
	for _, j := range jobs {
		j.err = e.router.prepare(ctx(), lk, j)
	}
	e.router.begin(ctx(), jobs)
	dirs := dirSet{}
	for _, j := range jobs {
		if j.err != nil {
			t.Fatal(j.err)
		}
		if err := e.router.execute(j.k, j.p, dirs); err != nil {
			t.Fatal(err)
		}
	}
	// The second upload is recorded as routed by another path meanwhile.
	e.ledger.Exec(ctx(), `UPDATE uploads SET outcome = 'routed' WHERE id = ?`, jobs[1].up.ID)
	e.router.finishAll(ctx(), lk, jobs)
	if jobs[0].err != nil || jobs[2].err != nil {
		t.Fatalf("the others failed: %v, %v", jobs[0].err, jobs[2].err)
	}
	if want := fmt.Sprintf("upload %d is not pending", jobs[1].up.ID); jobs[1].err == nil || !strings.Contains(jobs[1].err.Error(), want) {
		t.Fatalf("the failing file: %v, want %q", jobs[1].err, want)
	}
	ts, _ := e.ledger.Transfers(ctx(), ledger.TransferFilter{})
	var routed []string
	for _, tr := range ts {
		routed = append(routed, tr.Name)
	}
	sort.Strings(routed)
	if strings.Join(routed, " ") != names[0]+" "+names[2] {
		t.Fatalf("transfers %q, want %s and %s", routed, names[0], names[2])
	}
	got := outboxLines(t, e, func(m ledger.Mail) string { return m.Subject })
	sort.Strings(got)
	sameLines(t, "notices", got, []string{
		"S2S: 8231234_CTF_8232345_021.XML sent to 8232345 Biggleswade",
		"S2S: 8231234_CTF_8232345_023.XML sent to 8232345 Biggleswade",
		"S2S: file waiting from 8231234 Ampthill",
		"S2S: file waiting from 8231234 Ampthill",
	})
}

// TestAcknowledgedKeepsPendingPlan: a file a session acknowledges under
// a name whose plan a crash left pending (recorded, nothing moved) is
// routed by that plan, once, though the router does not look for the
// plan before deciding (BeginUpload keeps it).
func TestAcknowledgedKeepsPendingPlan(t *testing.T) {
	e := newEnv(t)
	name := "8231234_CTF_8232345_012.XML"
	e.drop("8231234", name, ctftest.Between("8231234", "8232345"))
	src := e.path("spool", "8231234", "outbox", name)
	p, size, sum, err := e.router.decide(ctx(), newLookups(e.ledger), key{"8231234", name}, *school, src)
	if err != nil {
		t.Fatal(err)
	}
	first, _, err := e.ledger.BeginUpload(ctx(), ledger.Upload{Box: "8231234", Name: name, Login: "ampthill",
		Size: size, SHA256: sum, ReceivedAt: e.now, Plan: p.encode()})
	if err != nil {
		t.Fatal(err)
	}
	e.route("8231234", name, school)
	ups, _ := e.ledger.Uploads(ctx())
	if len(ups) != 1 || ups[0].ID != first.ID || ups[0].Outcome != ledger.UploadRouted {
		t.Fatalf("uploads %+v, want only upload %d, routed", ups, first.ID)
	}
	if ts, _ := e.ledger.Transfers(ctx(), ledger.TransferFilter{}); len(ts) != 1 || ts[0].Path != p.DestPath {
		t.Fatalf("transfers %+v, want one at %s", ts, p.DestPath)
	}
	e.read("spool", "8232345", "inbox", name)
}

// TestRouteRecordsSizeAndHash: a file small enough to be read once into
// memory and one read as a stream are each recorded with their exact
// size and SHA-256, and validated.
func TestRouteRecordsSizeAndHash(t *testing.T) {
	e := newEnv(t)
	for i, pupils := range []int{1, 5000} { // about 1 KB; over smallFile
		name := fmt.Sprintf("8231234_CTF_8232345_%03d.XML", 30+i)
		body := ctftest.CTF(ctftest.Options{SourceLEA: "823", SourceEstab: "1234", DestLEA: "823", DestEstab: "2345", Serial: 30 + i, Pupils: pupils})
		if pupils > 1 && len(body) <= smallFile {
			t.Fatalf("the large CTF is %d bytes, not over %d", len(body), smallFile)
		}
		e.drop("8231234", name, body)
		e.route("8231234", name, school)
		ts, err := e.ledger.Transfers(ctx(), ledger.TransferFilter{})
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(body))
		var got *ledger.Transfer
		for i := range ts {
			if ts[i].Name == name {
				got = &ts[i]
			}
		}
		if got == nil || got.Size != int64(len(body)) || got.SHA256 != hex.EncodeToString(sum[:]) || got.Pupils != pupils {
			t.Fatalf("%s (%d bytes): transfer %+v; want size %d, sha256 %x, %d pupils", name, len(body), got, len(body), sum, pupils)
		}
		e.read("spool", "8232345", "inbox", name)
	}
}

// TestBatchBeginFallsBack: when one file's plan cannot be recorded, the
// batch's transaction fails, and each plan is then recorded alone, so
// that the others are routed.
func TestBatchBeginFallsBack(t *testing.T) {
	e := newEnv(t)
	names := []string{"8231234_CTF_8232345_051.XML", "8231234_CTF_8232345_052.XML", "8231234_CTF_8232345_053.XML"}
	var jobs []*job
	for _, n := range names {
		e.drop("8231234", n, ctftest.Between("8231234", "8232345"))
		jobs = append(jobs, &job{k: key{"8231234", n}, who: school})
	}
	if err := e.ledger.Exec(ctx(), `CREATE TRIGGER refuse_052 BEFORE INSERT ON uploads WHEN NEW.name = '`+names[1]+`'
		BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`); err != nil {
		t.Fatal(err)
	}
	e.router.routeBatch(ctx(), jobs)
	if jobs[0].err != nil || jobs[2].err != nil {
		t.Fatalf("the others failed: %v, %v", jobs[0].err, jobs[2].err)
	}
	if jobs[1].err == nil || !strings.Contains(jobs[1].err.Error(), "refused by the test") {
		t.Fatalf("the refused file: %v", jobs[1].err)
	}
	e.read("spool", "8232345", "inbox", names[0])
	e.read("spool", "8232345", "inbox", names[2])
	e.read("spool", "8231234", "outbox", names[1]) // left to be routed at the next start
	if ups, _ := e.ledger.Uploads(ctx()); len(ups) != 2 {
		t.Fatalf("%d uploads recorded, want 2", len(ups))
	}
}

// TestGatherBatch: a worker gathers what is queued into batches of at
// most maxBatch, taking files that arrive while it gathers, and ends a
// batch once a look at the queue finds nothing new.
func TestGatherBatch(t *testing.T) {
	e := newEnv(t)
	r := e.router
	for i := range maxBatch + 6 {
		r.queue <- key{"8231234", fmt.Sprintf("f%03d", i)}
	}
	if got := r.gatherBatch(context.Background()); len(got) != maxBatch || got[0].name != "f000" || got[maxBatch-1].name != "f063" {
		t.Fatalf("first batch: %d files, %v ... %v; want f000 ... f063", len(got), got[0], got[len(got)-1])
	}
	if got := r.gatherBatch(context.Background()); len(got) != 6 || got[5].name != "f069" {
		t.Fatalf("second batch: %v, want f064 ... f069", got)
	}

	// A file submitted while the batch gathers joins it: the look after
	// the first file finds it, and the next finds nothing.
	r.queue <- key{"8231234", "g1"}
	late := make(chan struct{})
	go func() {
		defer close(late)
		for len(r.queue) > 0 { // until the worker has taken g1
			time.Sleep(100 * time.Microsecond)
		}
		r.queue <- key{"8231234", "g2"}
	}()
	got := r.gatherBatch(context.Background())
	<-late
	if len(got) != 2 || got[1].name != "g2" {
		t.Fatalf("batch %v, want g1 and g2", got)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := r.gatherBatch(ctx); got != nil {
		t.Fatalf("gathered %v with the context done and nothing queued", got)
	}
}

// TestWatcherLeavesExpectedUploads: the watcher does not submit a file
// sftpd has announced (Expect) and will submit itself, but submits any
// other file that appears in an outbox; and a file whose upload was
// forgotten after it reached the outbox is submitted all the same.
func TestWatcherLeavesExpectedUploads(t *testing.T) {
	e := newEnv(t) // the router's workers are not started: what is submitted stays queued
	w, err := NewWatcher(e.router)
	if err != nil {
		t.Fatal(err)
	}
	w.settle = 10 * time.Millisecond
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	queued := func(name string) bool {
		e.router.mu.Lock()
		defer e.router.mu.Unlock()
		return e.router.queued[key{"8231234", name}] == waiting
	}
	expected, dropped := "8231234_CTF_8232345_030.XML", "8231234_CTF_8232345_031.XML"
	e.router.Expect("8231234", expected, *school)
	e.drop("8231234", expected, ctftest.Between("8231234", "8232345"))
	e.drop("8231234", dropped, ctftest.Between("8231234", "8232345"))
	for deadline := time.Now().Add(5 * time.Second); !queued(dropped); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a dropped file was not submitted within 5s")
		}
	}
	time.Sleep(5 * w.settle) // the expected file's events came before the dropped one's
	if queued(expected) {
		t.Fatal("the watcher submitted a file sftpd announced")
	}
	e.router.Forget("8231234", expected)
	if !queued(expected) {
		t.Fatal("a forgotten upload left in the outbox was not submitted")
	}
}
