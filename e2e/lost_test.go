package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/s2sd/s2sd/internal/ctftest"
)

// The parties of the Lost Pupil Database tests, besides ampthill,
// biggleswade and centralBeds, whose schools report the pupils lost.
const (
	lostLA     = "660LLLL" // Anglesey: the LA that finds them
	lostSchool = "6602001" // a school of Anglesey, where they turn up
)

// lostPupil is one pupil a school sends to the Lost Pupil Database.
type lostPupil struct {
	from, via string // the school, and XXXXXXX or MMMMMMM
	serial    int    // makes the UPN
	surname   string
	dob       string
}

func (p lostPupil) upn() string { return ctftest.UPN(p.from[:3], p.from[3:], p.serial) }

// ctf is the pupil's CTF: ctftest's, with the surname and date of birth.
func (p lostPupil) ctf() []byte {
	doc := ctftest.CTF(ctftest.Options{SourceLEA: p.from[:3], SourceEstab: p.from[3:], DestLEA: p.via[:3], DestEstab: p.via[3:],
		Serial: p.serial, Surname: p.surname})
	return []byte(strings.Replace(doc, "<DOB>2015-01-10</DOB>", "<DOB>"+p.dob+"</DOB>", 1))
}

// file is the name of the pupil's record as a search shows it, given its
// record id.
func (p lostPupil) file(id int) string {
	return strings.ToUpper(p.surname) + "_Pupil0_" + p.dob + "_M_" + p.upn() + "_" + strconv.Itoa(id) + ".xml"
}

// lostPupils are sent in this order, so that their record ids are 1 to 5.
var lostPupils = []lostPupil{
	{ampthill, "XXXXXXX", 0, "Ashcroft", "2015-01-10"},
	{ampthill, "MMMMMMM", 1, "Ashcraft", "2015-01-10"},
	{biggleswade, "XXXXXXX", 0, "Robert", "2014-02-03"},
	{biggleswade, "MMMMMMM", 1, "Rupert", "2014-02-03"},
	{biggleswade, "XXXXXXX", 2, "Tymczak", "2013-05-06"},
}

// lostDaemon starts the fixture: two schools of Central Bedfordshire
// that send the lost pupils, Anglesey with a school, an
// la-lost-pupil-transfer and an la-lost-pupil user in Anglesey, and an
// la-user in Central Bedfordshire; and sends the pupils.
func lostDaemon(t *testing.T) *daemon {
	t.Helper()
	d := newDaemon(t, options{})
	d.mailbox(t, ampthill, "Ampthill Lower School", "office@ampthill.sch.uk")
	d.mailbox(t, biggleswade, "Biggleswade Academy", "office@biggleswade.sch.uk")
	d.mailbox(t, centralBeds, "Central Bedfordshire Council", "s2s@centralbedfordshire.gov.uk")
	d.mailbox(t, lostLA, "Isle of Anglesey County Council", "s2s@anglesey.gov.uk")
	d.mailbox(t, lostSchool, "Ysgol Amlwch", "swyddfa@amlwch.sch.uk")
	d.user(t, "ampthill", ampthill, "school")
	d.user(t, "biggleswade", biggleswade, "school")
	d.user(t, "finder", lostLA, "la-lost-pupil-transfer")
	d.user(t, "searcher", lostLA, "la-lost-pupil")
	d.user(t, "cbc", centralBeds, "la-user")
	d.start(t)
	for i, p := range lostPupils {
		name := ctfName(p.from, p.via, i+1)
		local := d.localFile(t, name, p.ctf())
		login := map[string]string{ampthill: "ampthill", biggleswade: "biggleswade"}[p.from]
		if r := d.sftp(t, passwordLogin(login), "put "+local+" /outbox/"+name+"\n"); r.code != 0 {
			t.Fatalf("sending %s: exit %d\n%s", name, r.code, r.stderr)
		}
		d.waitLost(t, i+1)
	}
	return d
}

// waitLost waits for the Lost Pupil Database to hold n records.
func (d *daemon) waitLost(t *testing.T, n int) {
	t.Helper()
	db := openLedger(t, filepath.Join(d.data, "ledger.db"))
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var got int
		if err := db.QueryRow(`SELECT COUNT(*) FROM lost_pupils`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the Lost Pupil Database holds %d records, want %d\n%s", got, n, d.logText())
		}
	}
}

// lostResultsHeader heads a search folder's results.csv.
const lostResultsHeader = "file,id,upn,former_upn,surname,former_surname,forename,middle_names,dob,gender,town,postcode,la,school,school_name,uploaded,destination"

// resultsLine is the results.csv line of record id.
func (d *daemon) resultsLine(t *testing.T, id int) string {
	t.Helper()
	p := lostPupils[id-1]
	school := map[string]string{ampthill: "Ampthill Lower School", biggleswade: "Biggleswade Academy"}[p.from]
	return strings.Join([]string{p.file(id), strconv.Itoa(id), p.upn(), "", p.surname, "", "Pupil0", "", p.dob, "M",
		"Fernhollow", "ZZ99 1AA", p.from[:3], p.from, school, d.uploaded(t, id), p.via}, ",")
}

// uploaded is the date record id was uploaded, as the CSVs show it.
func (d *daemon) uploaded(t *testing.T, id int) string {
	t.Helper()
	var at string
	if err := openLedger(t, filepath.Join(d.data, "ledger.db")).QueryRow(`SELECT uploaded_at FROM lost_pupils WHERE id = ?`, id).Scan(&at); err != nil {
		t.Fatal(err)
	}
	return at[:10]
}

// expectLines compares the non-empty lines of a client's output.
func expectLines(t *testing.T, what, got string, want ...string) {
	t.Helper()
	if g := lines(got); !slices.Equal(g, want) {
		t.Errorf("%s:\n%s\nwant:\n%s", what, strings.Join(g, "\n"), strings.Join(want, "\n"))
	}
}

// TestLostPupils drives the Lost Pupil Database with the clients LA
// officers use: schools send five lost pupils; an LA searches for them by
// typing query folders (OpenSSH sftp, lftp), claims two by moving them
// into /lost-pupils/claimed/ (psftp), downloads them there and forwards
// them to one of its schools by moving them into /outbox/; matches a CSV
// in /lost-pupils/match/; and every refusal, with the server's words
// where the client shows them.
func TestLostPupils(t *testing.T) {
	t.Parallel()
	d := lostDaemon(t)
	finder, searcher := passwordLogin("finder"), passwordLogin("searcher")
	local := filepath.Join(d.dir, "got")
	if err := os.MkdirAll(local, 0o700); err != nil {
		t.Fatal(err)
	}
	ash := "/lost-pupils/search/surname=ash/"

	t.Run("search/openssh", func(t *testing.T) {
		r := d.sftp(t, finder, strings.Join([]string{
			"ls /lost-pupils",
			"ls -1 " + ash,
			"ls -1 /lost-pupils/search/like=Ashcraft,dob=2015-01-10",
			"ls -l /lost-pupils/search/upn=" + strings.ToLower(lostPupils[4].upn()) + "/",
			"ls /lost-pupils/search/",
			"-ls /lost-pupils/search/dob=2015-01-10/",
			"get " + ash + "results.csv " + local + "/results.csv",
			"-get " + ash + lostPupils[0].file(1) + " " + local + "/refused.xml",
			"",
		}, "\n"))
		if r.code != 0 {
			t.Fatalf("sftp exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
		out := lines(r.stdout)
		i := slices.Index(out, "sftp> ls /lost-pupils")
		if i < 0 || i+1 >= len(out) || !slices.Equal(strings.Fields(out[i+1]), []string{"/lost-pupils/claimed", "/lost-pupils/match", "/lost-pupils/search"}) {
			t.Errorf("ls /lost-pupils printed:\n%s", r.stdout)
		}
		j := slices.Index(out, "sftp> ls -1 "+ash)
		if j < 0 || !slices.Equal(out[j:j+14], []string{
			"sftp> ls -1 " + ash,
			ash + lostPupils[1].file(2),
			ash + lostPupils[0].file(1),
			ash + "results.csv",
			"sftp> ls -1 /lost-pupils/search/like=Ashcraft,dob=2015-01-10",
			"/lost-pupils/search/like=Ashcraft,dob=2015-01-10/" + lostPupils[1].file(2),
			"/lost-pupils/search/like=Ashcraft,dob=2015-01-10/" + lostPupils[0].file(1),
			"/lost-pupils/search/like=Ashcraft,dob=2015-01-10/results.csv",
			"sftp> ls -l /lost-pupils/search/upn=" + strings.ToLower(lostPupils[4].upn()) + "/",
			out[j+9], out[j+10],
			"sftp> ls /lost-pupils/search/", // lists nothing
			"sftp> -ls /lost-pupils/search/dob=2015-01-10/",
			"sftp> get " + ash + "results.csv " + local + "/results.csv",
		}) {
			t.Errorf("sftp printed:\n%s", r.stdout)
		}
		if f := longLine(t, r.stdout, lostPupils[4].file(5)); f[0] != "-r--------" || f[2] != "finder" || f[3] != lostLA || f[4] != fmt.Sprint(len(lostPupils[4].ctf())) {
			t.Errorf("ls -l shows the result as %q; want a read-only file of %d bytes owned by finder, group %s", f, len(lostPupils[4].ctf()), lostLA)
		}
		// OpenSSH's sftp prints the status code's text, not the server's
		// message (lftp's below does).
		expectLines(t, "sftp stderr", r.stderr,
			`Can't ls: "/lost-pupils/search/dob=2015-01-10/" not found`,
			`remote open "`+ash+lostPupils[0].file(1)+`": Permission denied`)
		assertFile(t, filepath.Join(local, "results.csv"), []byte(lostResultsHeader+"\r\n"+d.resultsLine(t, 2)+"\r\n"+d.resultsLine(t, 1)+"\r\n"))
		if _, err := os.Stat(filepath.Join(local, "refused.xml")); !os.IsNotExist(err) {
			t.Errorf("a result was downloaded from a search folder: %v", err)
		}
	})

	t.Run("search/lftp", func(t *testing.T) {
		robert := "/lost-pupils/search/like=Robert,dob=2014-02-03/"
		r := d.lftp(t, finder, local,
			"cls -1 "+robert,
			"cd "+ash,
			"cls -1",
			"ls",
			"cd /",
			"cls -1 /lost-pupils/search/",
			"cls -1 /lost-pupils/search/dob=2015-01-10/",
			"cls -1 /lost-pupils/search/surname=ash,name=x/",
			"cls -1 /lost-pupils/search/surname=ash,sort=age/",
			"get "+ash+lostPupils[0].file(1),
			"rm "+ash+lostPupils[0].file(1),
			"get "+robert+"results.csv -o robert.csv",
		)
		out := lines(r.stdout)
		if want := []string{robert + lostPupils[2].file(3), robert + lostPupils[3].file(4), robert + "results.csv",
			lostPupils[1].file(2), lostPupils[0].file(1), "results.csv"}; len(out) != len(want)+3 || !slices.Equal(out[:len(want)], want) {
			t.Errorf("lftp printed:\n%s\nwant it to start with:\n%s", r.stdout, strings.Join(want, "\n"))
		}
		for id := 1; id <= 2; id++ {
			p := lostPupils[id-1]
			if f := longLine(t, r.stdout, p.file(id)); f[0] != "-r--------" || f[2] != "finder" || f[3] != lostLA || f[4] != fmt.Sprint(len(p.ctf())) {
				t.Errorf("lftp ls shows %q; want a read-only file of %d bytes", f, len(p.ctf()))
			}
		}
		expectLines(t, "lftp stderr", r.stderr,
			"Access failed: a search needs upn, surname or like: add one of them, e.g. surname=jones,dob=2012-03-04",
			`Access failed: unknown search field "name": use upn, surname, like, forename, dob, gender, town, sort, e.g. surname=jones,dob=2012-03-04`,
			`Access failed: sort "age" must be one of surname, forename, dob, uploaded, town`,
			"get: Access failed: "+lostPupils[0].file(1)+" cannot be downloaded from a search: move it to /lost-pupils/claimed/ to claim the record for your LA, then download it there ("+ash+lostPupils[0].file(1)+")",
			"rm: Access failed: "+ash+lostPupils[0].file(1)+" cannot be deleted")
		assertFile(t, filepath.Join(local, "robert.csv"), []byte(lostResultsHeader+"\r\n"+d.resultsLine(t, 3)+"\r\n"+d.resultsLine(t, 4)+"\r\n"))
	})

	t.Run("roles", func(t *testing.T) {
		r := d.sftp(t, passwordLogin("ampthill"), "ls /lost-pupils\n")
		if r.code != 1 {
			t.Errorf("a school lists /lost-pupils: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
		expectLines(t, "sftp stderr", r.stderr, `Can't ls: "/lost-pupils" not found`)
		for _, login := range []string{"ampthill", "cbc"} {
			r := d.lftp(t, passwordLogin(login), local, "cls -1 /", "cls -1 /lost-pupils/search/surname=ash/", "get /lost-pupils/claimed/"+lostPupils[0].file(1))
			if slices.Contains(lines(r.stdout), "/lost-pupils/") {
				t.Errorf("%s sees /lost-pupils in its root:\n%s", login, r.stdout)
			}
			expectLines(t, login+": lftp stderr", r.stderr,
				"Access failed: /lost-pupils/search/surname=ash: no such file or directory",
				"get: Access failed: /lost-pupils/claimed/"+lostPupils[0].file(1)+": no such file or directory")
		}
	})

	t.Run("claim/psftp", func(t *testing.T) {
		r := d.psftp(t, finder, local, strings.Join([]string{
			"mv " + ash + lostPupils[0].file(1) + " /lost-pupils/claimed",
			"ren /lost-pupils/search/like=Robert/" + lostPupils[2].file(3) + " /lost-pupils/claimed/" + lostPupils[2].file(3),
			"ls /lost-pupils/claimed",
			"cd /lost-pupils/claimed",
			"get " + lostPupils[0].file(1),
			"ls " + ash,
			"",
		}, "\n"))
		if r.code != 0 {
			t.Fatalf("psftp exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
		out := lines(r.stdout)
		want := []string{
			"Remote working directory is /",
			ash + lostPupils[0].file(1) + " -> /lost-pupils/claimed/" + lostPupils[0].file(1),
			"/lost-pupils/search/like=Robert/" + lostPupils[2].file(3) + " -> /lost-pupils/claimed/" + lostPupils[2].file(3),
			"Listing directory /lost-pupils/claimed",
		}
		if len(out) < len(want) || !slices.Equal(out[:len(want)], want) {
			t.Errorf("psftp printed:\n%s\nwant it to start with:\n%s", r.stdout, strings.Join(want, "\n"))
		}
		for _, id := range []int{1, 3} {
			if f := longLine(t, r.stdout, lostPupils[id-1].file(id)); f[0] != "-rw-------" || f[4] != fmt.Sprint(len(lostPupils[id-1].ctf())) {
				t.Errorf("ls /lost-pupils/claimed shows %q", f)
			}
		}
		if !slices.Contains(out, "remote:/lost-pupils/claimed/"+lostPupils[0].file(1)+" => local:"+lostPupils[0].file(1)) {
			t.Errorf("psftp get printed:\n%s", r.stdout)
		}
		assertFile(t, filepath.Join(local, lostPupils[0].file(1)), lostPupils[0].ctf())
		// A claimed record is no longer found by searching.
		i := slices.Index(out, "Listing directory "+strings.TrimSuffix(ash, "/"))
		if i < 0 || len(out) != i+3 || !strings.HasSuffix(out[i+1], " "+lostPupils[1].file(2)) || !strings.HasSuffix(out[i+2], " results.csv") {
			t.Errorf("ls %s after the claim:\n%s", ash, r.stdout)
		}
		var claims []string
		for _, e := range d.audit(t, "lost-claim") {
			claims = append(claims, e.Login+" "+e.Object)
		}
		if want := []string{"finder lost-pupil/1", "finder lost-pupil/3"}; !slices.Equal(claims, want) {
			t.Errorf("claims audited: %q, want %q", claims, want)
		}
	})

	t.Run("forward", func(t *testing.T) {
		r := d.psftp(t, finder, local, "ren /lost-pupils/claimed/"+lostPupils[0].file(1)+" /outbox/660LLLL_CTF_6602001_001.XML\n")
		if r.code != 0 {
			t.Fatalf("psftp exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
		r = d.sftp(t, finder, "rename /lost-pupils/claimed/"+lostPupils[2].file(3)+" /outbox/660LLLL_CTF6602001_002.XML\n")
		if r.code != 0 {
			t.Fatalf("sftp exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
		for name, p := range map[string]lostPupil{"660LLLL_CTF_6602001_001.XML": lostPupils[0], "660LLLL_CTF6602001_002.XML": lostPupils[2]} {
			waitEntriesContain(t, d.box(lostSchool, "inbox"), name)
			assertFile(t, filepath.Join(d.box(lostSchool, "inbox"), name), p.ctf())
		}
		got := lines(d.cli(t, "", "transfers", "list", "--mailbox", lostSchool, "--format", "csv"))
		var rows []string
		for _, l := range got[1:] {
			f := strings.Split(l, ",")
			rows = append(rows, strings.Join([]string{f[1], f[2], f[3], f[4], f[6], f[11]}, " "))
		}
		slices.Sort(rows)
		if want := []string{
			"660LLLL_CTF6602001_002.XML ctf 660LLLL finder 6602001 awaiting",
			"660LLLL_CTF_6602001_001.XML ctf 660LLLL finder 6602001 awaiting",
		}; !slices.Equal(rows, want) {
			t.Errorf("transfers to %s:\n%s\nwant:\n%s", lostSchool, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		// Moved, a record has left claimed/: it cannot be sent twice.
		r = d.sftp(t, finder, "rename /lost-pupils/claimed/"+lostPupils[0].file(1)+" /outbox/660LLLL_CTF_6602001_009.XML\n")
		if r.code == 0 || !strings.Contains(r.stderr, "No such file or directory") {
			t.Fatalf("forwarding a record again: exit %d\nstderr:\n%s", r.code, r.stderr)
		}
	})

	t.Run("match", func(t *testing.T) {
		census := "upn,surname,forename,dob,gender,town\r\n" +
			lostPupils[1].upn() + ",Ashcraft,Pupil0,2015-01-10,M,Fernhollow\r\n" +
			",rupert,PUPIL0,2014-02-03,,\r\n" +
			",Smith,Sam,2014-13-01,M,Leeds\r\n" +
			",Nobody,Neil,2013-05-06,,\r\n" +
			",Tymczack,Tom,2013-05-06,,\r\n"
		if err := os.WriteFile(filepath.Join(local, "census.csv"), []byte(census), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(local, "bad.csv"), []byte("upn,surname,forename,dob,gender\r\n,Smith,Sam,2014-01-01,M\r\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(local, "notes.txt"), []byte("notes\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		// lftp sends under a temporary name, as WinSCP does, and renames.
		r := d.lftp(t, finder, local,
			"set xfer:use-temp-file yes",
			"set xfer:temp-file-name *.filepart",
			"cd /lost-pupils/match",
			"put census.csv",
			"put census.csv",
			"put bad.csv",
			"put notes.txt",
			"put census.csv -o census.results.csv",
			"cls -1",
			"get census.results.csv -o results-got.csv",
		)
		expectLines(t, "lftp stdout", r.stdout, "census.csv", "census.results.csv")
		expectLines(t, "lftp stderr", r.stderr,
			"put: Access failed: census.csv is already in /lost-pupils/match/: delete it and census.results.csv first, or upload under another name (census.csv.filepart)",
			// refused when renamed to its final name, which completes it
			"put: Access failed: bad.csv cannot be matched: the header lacks the column town: the first line must be the header upn,surname,forename,dob,gender,town (bad.csv.filepart)",
			"put: Access failed: notes.txt: upload a CSV file named NAME.csv with the columns upn,surname,forename,dob,gender,town (notes.txt.filepart)",
			"put: census.csv: Access failed: census.results.csv: names ending in .results.csv are kept for the results s2sd writes; upload the CSV under another name (census.results.csv.filepart)")
		header := "row,input_upn,input_surname,input_forename,input_dob,match,reason,record_id,upn,surname,forename,dob,gender,town,la,school,school_name,uploaded\r\n"
		record := func(id int) string {
			p := lostPupils[id-1]
			school := map[string]string{ampthill: "Ampthill Lower School", biggleswade: "Biggleswade Academy"}[p.from]
			return strings.Join([]string{strconv.Itoa(id), p.upn(), p.surname, "Pupil0", p.dob, "M", "Fernhollow", p.from[:3], p.from, school, d.uploaded(t, id)}, ",")
		}
		// Ashcroft and Robert, claimed, are no longer candidates.
		want := header +
			"2," + lostPupils[1].upn() + ",Ashcraft,Pupil0,2015-01-10,upn,," + record(2) + "\r\n" +
			"3,,rupert,PUPIL0,2014-02-03,name-dob,," + record(4) + "\r\n" +
			`4,,Smith,Sam,2014-13-01,error,"dob ""2014-13-01"" must be a date written YYYY-MM-DD, e.g. 2012-03-04",,,,,,,,,,,` + "\r\n" +
			"5,,Nobody,Neil,2013-05-06,none,,,,,,,,,,,,\r\n" +
			"6,,Tymczack,Tom,2013-05-06,soundex-dob,," + record(5) + "\r\n"
		assertFile(t, filepath.Join(local, "results-got.csv"), []byte(want))
		assertFile(t, filepath.Join(d.box(lostLA, "lostmatch"), "census.csv"), []byte(census))

		// OpenSSH sends without a temporary name; the listing shows both
		// files, which the user may delete.
		r = d.sftp(t, finder, strings.Join([]string{
			"put " + filepath.Join(local, "census.csv") + " /lost-pupils/match/census2.csv",
			"ls -l /lost-pupils/match",
			"rm /lost-pupils/match/census.csv",
			"rm /lost-pupils/match/census.results.csv",
			"ls -1 /lost-pupils/match",
			"",
		}, "\n"))
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("sftp exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
		for name, size := range map[string]int{"census.csv": len(census), "census.results.csv": len(want), "census2.csv": len(census), "census2.results.csv": len(want)} {
			if f := longLine(t, r.stdout, name); f[0] != "-rw-------" || f[2] != "finder" || f[4] != fmt.Sprint(size) {
				t.Errorf("ls -l /lost-pupils/match shows %q; want a file of %d bytes", f, size)
			}
		}
		out := lines(r.stdout)
		if got := out[len(out)-3:]; !slices.Equal(got, []string{"sftp> ls -1 /lost-pupils/match", "/lost-pupils/match/census2.csv", "/lost-pupils/match/census2.results.csv"}) {
			t.Errorf("after deleting census.csv and its results, the folder lists:\n%s", r.stdout)
		}
		waitEntries(t, d.box(lostLA, "lostmatch"), "census2.csv", "census2.results.csv")
		waitEntries(t, d.box(lostLA, ".staging"))
		var runs []string
		for _, e := range d.audit(t, "lost-match") {
			runs = append(runs, e.Login+" "+e.Object+" "+e.Detail)
		}
		if want := []string{
			"finder census.csv rows=5 matched=3 none=1 errors=1 records=3",
			"finder census2.csv rows=5 matched=3 none=1 errors=1 records=3",
		}; !slices.Equal(runs, want) {
			t.Errorf("match runs audited:\n%s\nwant:\n%s", strings.Join(runs, "\n"), strings.Join(want, "\n"))
		}
	})

	t.Run("match/limit", func(t *testing.T) {
		big := filepath.Join(local, "big.csv")
		row := ",Smith,Sam,2014-01-01,M,Leeds\r\n"
		if err := os.WriteFile(big, []byte("upn,surname,forename,dob,gender,town\r\n"+strings.Repeat(row, (10<<20)/len(row)+1)), 0o600); err != nil {
			t.Fatal(err)
		}
		r := d.lftp(t, finder, local, "cd /lost-pupils/match", "put big.csv")
		expectLines(t, "lftp stderr", r.stderr,
			"put: Access failed: big.csv is larger than the 10 MiB limit for a batch-matching CSV: split it into smaller files; the upload has been discarded")
		waitEntries(t, d.box(lostLA, "lostmatch"), "census2.csv", "census2.results.csv")
		waitEntries(t, d.box(lostLA, ".staging"))
	})

	t.Run("forward/la-lost-pupil", func(t *testing.T) {
		// An la-lost-pupil user may search and claim, but not send a CTF.
		r := d.lftp(t, searcher, local,
			"mv /lost-pupils/search/like=Tymczak/"+lostPupils[4].file(5)+" /lost-pupils/claimed/"+lostPupils[4].file(5),
			"cls -1 /lost-pupils/claimed/",
			"mv /lost-pupils/claimed/"+lostPupils[4].file(5)+" /outbox/660LLLL_CTF_6602001_003.XML",
		)
		// The LA's claimed records, less those forwarded.
		expectLines(t, "lftp stdout", r.stdout, "/lost-pupils/claimed/"+lostPupils[4].file(5))
		expectLines(t, "lftp stderr", r.stderr, "mv: Access failed: your role la-lost-pupil may send generic zip files only: "+
			"a CTF is sent by a user with the role la-lost-pupil-transfer (/lost-pupils/claimed/"+lostPupils[4].file(5)+")")
		waitEntries(t, d.box(lostSchool, "inbox"), "660LLLL_CTF6602001_002.XML", "660LLLL_CTF_6602001_001.XML")
	})

	t.Run("audit", func(t *testing.T) {
		searches := map[string]bool{}
		for _, e := range d.audit(t, "lost-search") {
			searches[e.Login+" "+e.Object+" "+e.Detail] = true
		}
		for _, want := range []string{
			"finder surname=ash results=2",
			"finder like=Ashcraft,dob=2015-01-10 results=2",
			"finder upn=" + strings.ToLower(lostPupils[4].upn()) + " results=1",
			"finder like=Robert,dob=2014-02-03 results=2",
			"finder surname=ash results=1", // after the claim
			"searcher like=Tymczak results=1",
		} {
			if !searches[want] {
				t.Errorf("no search audited as %q among %v", want, searches)
			}
		}
	})
	d.verify(t)
}

// waitEntriesContain waits up to a few seconds for a directory to hold a
// name.
func waitEntriesContain(t *testing.T, dir, name string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if slices.Contains(entries(t, dir), name) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s holds %q, want %s among them", dir, entries(t, dir), name)
		}
	}
}
