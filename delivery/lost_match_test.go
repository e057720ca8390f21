package delivery

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s2sd/s2sd/internal/ctftest"
	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/routing"
)

// lostCTF is a one-pupil CTF for the Lost Pupil Database from a school,
// with the pupil's surname and date of birth.
func lostCTF(from, via string, serial int, surname, dob string) string {
	doc := ctftest.CTF(ctftest.Options{SourceLEA: from[:3], SourceEstab: from[3:], DestLEA: via[:3], DestEstab: via[3:],
		Serial: serial, Surname: surname})
	return strings.Replace(doc, "<DOB>2015-01-10</DOB>", "<DOB>"+dob+"</DOB>", 1)
}

// lostFixture routes five lost pupils into the database: ids 1 to 5.
func lostFixture(t *testing.T, e *env) {
	t.Helper()
	for i, p := range []struct {
		from, via, surname, dob string
		serial                  int
	}{
		{"8231234", "XXXXXXX", "Ashcroft", "2015-01-10", 0},
		{"8231234", "XXXXXXX", "Ashcraft", "2015-01-10", 1},
		{"8232345", "XXXXXXX", "Robert", "2014-02-03", 0},
		{"8232345", "MMMMMMM", "Rupert", "2014-02-03", 1},
		{"8231234", "MMMMMMM", "Tymczak", "2013-05-06", 2},
	} {
		name := p.from + "_CTF_" + p.via + "_00" + string(rune('1'+i)) + ".XML"
		e.drop(p.from, name, lostCTF(p.from, p.via, p.serial, p.surname, p.dob))
		e.route(p.from, name, &Sender{Login: "office", Mailbox: p.from, Role: routing.RoleSchool})
	}
}

func TestLostMatch(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	lostFixture(t, e)
	officer := Sender{Login: "officer", Mailbox: "660LLLL", Role: routing.RoleLALostPupil, Remote: "10.0.0.9"}
	staging := e.path("spool", "660LLLL", ".staging")
	if err := os.MkdirAll(staging, 0o700); err != nil {
		t.Fatal(err)
	}
	stage := func(content string) string {
		t.Helper()
		f, err := os.CreateTemp(staging, "up-*")
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(content)
		f.Close()
		return f.Name()
	}

	ashcroft := ctftest.UPN("823", "1234", 0)
	csv := "upn,surname,forename,dob,gender,town\r\n" +
		ashcroft + ",Ashcroft,Pupil0,2015-01-10,M,Fernhollow\r\n" +
		",robert,PUPIL0,2014-02-03,,\r\n" +
		",Smith,Sam,2014-13-01,M,Leeds\r\n" +
		",Nobody,Neil,2013-05-06,,\r\n" +
		",Tymczack,Tom,2013-05-06,,\r\n"
	if err := e.router.Match(ctx, officer, "census.csv", stage(csv)); err != nil {
		t.Fatal(err)
	}
	want := "row,input_upn,input_surname,input_forename,input_dob,match,reason,record_id,upn,surname,forename,dob,gender,town,la,school,school_name,uploaded\r\n" +
		"2," + ashcroft + ",Ashcroft,Pupil0,2015-01-10,upn,,1," + ashcroft + ",Ashcroft,Pupil0,2015-01-10,M,Fernhollow,823,8231234,Ampthill,2026-11-24\r\n" +
		"2," + ashcroft + ",Ashcroft,Pupil0,2015-01-10,soundex-dob,,2," + ctftest.UPN("823", "1234", 1) + ",Ashcraft,Pupil0,2015-01-10,M,Fernhollow,823,8231234,Ampthill,2026-11-24\r\n" +
		"3,,robert,PUPIL0,2014-02-03,name-dob,,3," + ctftest.UPN("823", "2345", 0) + ",Robert,Pupil0,2014-02-03,M,Fernhollow,823,8232345,Biggleswade,2026-11-24\r\n" +
		"3,,robert,PUPIL0,2014-02-03,soundex-dob,,4," + ctftest.UPN("823", "2345", 1) + ",Rupert,Pupil0,2014-02-03,M,Fernhollow,823,8232345,Biggleswade,2026-11-24\r\n" +
		`4,,Smith,Sam,2014-13-01,error,"dob ""2014-13-01"" must be a date written YYYY-MM-DD, e.g. 2012-03-04",,,,,,,,,,,` + "\r\n" +
		"5,,Nobody,Neil,2013-05-06,none,,,,,,,,,,,,\r\n" +
		"6,,Tymczack,Tom,2013-05-06,soundex-dob,,5," + ctftest.UPN("823", "1234", 2) + ",Tymczak,Pupil0,2013-05-06,M,Fernhollow,823,8231234,Ampthill,2026-11-24\r\n"
	if got := e.read("spool", "660LLLL", MatchFolder, "census.results.csv"); got != want {
		t.Errorf("census.results.csv:\n%s\nwant:\n%s", got, want)
	}
	if got := e.read("spool", "660LLLL", MatchFolder, "census.csv"); got != csv {
		t.Errorf("the stored CSV differs from the upload:\n%s", got)
	}
	if es, _ := os.ReadDir(staging); len(es) != 0 {
		t.Errorf("staging holds %d files after matching", len(es))
	}
	ev, _ := e.ledger.AuditEvents(ctx, ledger.EventLostMatch)
	if len(ev) != 1 || ev[0].Login != "officer" || ev[0].Mailbox != "660LLLL" || ev[0].Remote != "10.0.0.9" ||
		ev[0].Object != "census.csv" || ev[0].Detail != "rows=5 matched=3 none=1 errors=1 records=5" {
		t.Errorf("audit: %+v", ev)
	}

	files, err := e.router.MatchFiles(officer)
	if err != nil || len(files) != 2 || files[0].Name != "census.csv" || files[0].Size != int64(len(csv)) ||
		files[1].Name != "census.results.csv" || files[1].Size != int64(len(want)) {
		t.Errorf("MatchFiles: %+v, %v", files, err)
	}
	f, err := e.router.MatchOpen(officer, "census.results.csv")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(f); string(b) != want {
		t.Errorf("MatchOpen read %q", b)
	}
	f.Close()

	// Another LA sees nothing; other roles may not match at all.
	other := Sender{Login: "other", Mailbox: "823LLLL", Role: routing.RoleLALostPupilTransfer}
	if files, err := e.router.MatchFiles(other); err != nil || len(files) != 0 {
		t.Errorf("another LA lists %+v, %v", files, err)
	}
	if _, err := e.router.MatchOpen(other, "census.csv"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("another LA opens census.csv: %v", err)
	}
	for _, who := range []Sender{{Login: "u", Mailbox: "660LLLL", Role: routing.RoleLAUser}, *school} {
		if _, err := e.router.CheckMatch(who, "x.csv"); err == nil || err.Error() != "only LA lost-pupil users can match against the Lost Pupil Database" {
			t.Errorf("%s may match: %v", who.Role, err)
		}
	}

	for name, msg := range map[string]string{
		"census.csv":         "census.csv is already in /lost-pupils/match/: delete it and census.results.csv first, or upload under another name",
		"census.CSV":         "census.csv is already in /lost-pupils/match/: delete it and census.results.csv first, or upload under another name",
		"census.results.csv": "census.results.csv: names ending in .results.csv are kept for the results s2sd writes; upload the CSV under another name",
		"census.txt":         "census.txt: upload a CSV file named NAME.csv with the columns upn,surname,forename,dob,gender,town",
	} {
		if _, err := e.router.CheckMatch(officer, name); err == nil || err.Error() != msg {
			t.Errorf("CheckMatch(%s): %v\nwant %s", name, err, msg)
		}
	}
	bad := stage("upn,surname,forename,date_of_birth,gender,town\n")
	err = e.router.Match(ctx, officer, "bad.csv", bad)
	if err == nil || err.Error() != `bad.csv cannot be matched: the header has an unknown column "date_of_birth": the first line must be the header upn,surname,forename,dob,gender,town` {
		t.Errorf("a bad header: %v", err)
	}
	if _, err := os.Stat(bad); err != nil {
		t.Errorf("the refused file's staging copy is not left to the caller: %v", err)
	}
	if _, err := os.Stat(e.path("spool", "660LLLL", MatchFolder, "bad.results.csv")); !os.IsNotExist(err) {
		t.Errorf("a refused file has results: %v", err)
	}

	// Deleting the CSV frees its name; the results stay until deleted.
	if err := e.router.MatchRemove(officer, "census.csv"); err != nil {
		t.Fatal(err)
	}
	if err := e.router.MatchRemove(officer, "census.csv"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("removing it again: %v", err)
	}
	if err := e.router.MatchRemove(officer, "../../8231234/inbox/x"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("removing outside the folder: %v", err)
	}
	// A record claimed meanwhile is no longer a candidate.
	if err := e.router.LostClaim(ctx, officer, "upn="+ashcroft, 1); err != nil {
		t.Fatal(err)
	}
	if err := e.router.Match(ctx, officer, "census.csv", stage("upn,surname,forename,dob,gender,town\n"+ashcroft+",Ashcroft,Pupil0,2015-01-10,,\n")); err != nil {
		t.Fatal(err)
	}
	want = "row,input_upn,input_surname,input_forename,input_dob,match,reason,record_id,upn,surname,forename,dob,gender,town,la,school,school_name,uploaded\r\n" +
		"2," + ashcroft + ",Ashcroft,Pupil0,2015-01-10,soundex-dob,,2," + ctftest.UPN("823", "1234", 1) + ",Ashcraft,Pupil0,2015-01-10,M,Fernhollow,823,8231234,Ampthill,2026-11-24\r\n"
	if got := e.read("spool", "660LLLL", MatchFolder, "census.results.csv"); got != want {
		t.Errorf("census.results.csv after a claim:\n%s\nwant:\n%s", got, want)
	}
	if _, err := os.Stat(filepath.Join(e.data, "spool", "660LLLL", MatchFolder)); err != nil {
		t.Fatal(err)
	}
}
