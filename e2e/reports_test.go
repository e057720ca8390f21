package e2e

import (
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/s2sd/s2sd/reports/reportstest"
)

// reportTimes are a transfer's times as the reports show them (UK time
// to the minute), read from the ledger.
type reportTimes struct{ uploaded, changed, collected string }

var reportsLondon, _ = time.LoadLocation("Europe/London")

// reportStamp formats a ledger time as the reports do, "" for none.
func reportStamp(t *testing.T, s sql.NullString) string {
	t.Helper()
	if !s.Valid {
		return ""
	}
	at, err := time.Parse("2006-01-02T15:04:05.000000Z", s.String)
	if err != nil {
		t.Fatal(err)
	}
	return at.In(reportsLondon).Format("2006-01-02 15:04")
}

// waitReportTransfer waits for the transfer of a name to exist in a state
// and returns its times.
func (d *daemon) waitReportTransfer(t *testing.T, name, state string) reportTimes {
	t.Helper()
	db := openLedger(t, filepath.Join(d.data, "ledger.db"))
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var got string
		var uploaded, changed, collected sql.NullString
		err := db.QueryRow(`SELECT state, uploaded_at, state_at, collected_at FROM transfers WHERE name = ?`, name).
			Scan(&got, &uploaded, &changed, &collected)
		if err == nil && got == state {
			return reportTimes{reportStamp(t, uploaded), reportStamp(t, changed), reportStamp(t, collected)}
		}
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("transfer of %s is not %s within 5s (%q, %v)\n%s", name, state, got, err, d.logText())
		}
	}
}

// waitRejectedUpload waits for validation to reject an upload and returns
// when it was received, as the reports show it.
func (d *daemon) waitRejectedUpload(t *testing.T, name string) string {
	t.Helper()
	db := openLedger(t, filepath.Join(d.data, "ledger.db"))
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var received sql.NullString
		err := db.QueryRow(`SELECT received_at FROM uploads WHERE name = ? AND outcome = 'rejected'`, name).Scan(&received)
		if err == nil {
			return reportStamp(t, received)
		}
		if !errors.Is(err, sql.ErrNoRows) || time.Now().After(deadline) {
			t.Fatalf("upload %s was not rejected within 5s: %v\n%s", name, err, d.logText())
		}
	}
}

// TestReportsOverSFTP plays transfers, a collection, a rejection by the
// recipient, a validation failure, a file with warnings and a lost pupil
// through the real daemon with OpenSSH's sftp, then has a school and its
// LA download their reports from /reports, for the current academic year
// and for a range, and compares them with the figures worked out by hand
// and with the CLI's.
func TestReportsOverSFTP(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, options{})
	d.mailbox(t, ampthill, "Ampthill Lower School", "office@ampthill.sch.uk")
	d.mailbox(t, biggleswade, "Biggleswade Academy", "office@biggleswade.sch.uk")
	d.mailbox(t, centralBeds, "Central Bedfordshire Council", "s2s@centralbedfordshire.gov.uk")
	d.mailbox(t, "660LLLL", "Isle of Anglesey County Council", "s2s@anglesey.gov.uk")
	d.mailbox(t, "6602001", "Ysgol Môn, Amlwch", "swyddfa@ysgolmon.sch.uk")
	d.user(t, "ampthill", ampthill, "school")
	d.user(t, "biggleswade", biggleswade, "school")
	d.user(t, "cbc", centralBeds, "la-user")
	d.start(t)

	// Ten years and a day old today, so 10 when uploaded, whatever today is.
	dob := time.Now().In(reportsLondon).AddDate(-10, 0, -1).Format(time.DateOnly)
	files := []struct {
		name string
		data []byte
	}{
		{"8231234_CTF_8232345_001.XML", reportstest.CTF(ampthill, biggleswade, 1, 2000)},
		{"8231234_CTF_8232345_002.XML", reportstest.CTF(ampthill, biggleswade, 2, 3000, "<PostCode>ZZ99 1AA</PostCode>", "")},
		{"8231234_CTF_6602001_003.XML", reportstest.CTF(ampthill, "6602001", 3, 4000)},
		{"8231234_CTF_8232345_004.XML", reportstest.CTF(ampthill, biggleswade, 1, 2000, "<Surname>Testpupil</Surname>", "")},
		{"8231234_CTF_XXXXXXX_005.XML", reportstest.CTF(ampthill, "XXXXXXX", 1, 2000, "Testpupil", "Quillfeather",
			"<DOB>2015-01-10</DOB>", "<DOB>"+dob+"</DOB>")},
	}
	// One upload at a time, each routed before the next, so that the
	// transfer ids follow the order of the list.
	times := map[string]reportTimes{}
	rejectedAt := ""
	for _, f := range files {
		local := d.localFile(t, f.name, f.data)
		if r := d.sftp(t, passwordLogin("ampthill"), "put "+local+" /outbox/"+f.name+"\n"); r.code != 0 {
			t.Fatalf("put %s: exit %d\n%s", f.name, r.code, r.stderr)
		}
		if strings.HasSuffix(f.name, "_004.XML") {
			rejectedAt = d.waitRejectedUpload(t, f.name)
		} else {
			times[f.name] = d.waitReportTransfer(t, f.name, "awaiting")
		}
	}
	got := filepath.Join(d.dir, "got.XML")
	if r := d.sftp(t, passwordLogin("biggleswade"), "get /inbox/"+files[0].name+" "+got+"\nrm /inbox/"+files[1].name+"\n"); r.code != 0 {
		t.Fatalf("biggleswade: exit %d\n%s", r.code, r.stderr)
	}
	t1 := d.waitReportTransfer(t, files[0].name, "collected")
	t2 := d.waitReportTransfer(t, files[1].name, "rejected")
	t3, t5 := times[files[2].name], times[files[4].name]

	today := time.Now().In(reportsLondon).Format(time.DateOnly)
	weekAgo := time.Now().In(reportsLondon).AddDate(0, 0, -7).Format(time.DateOnly)
	const (
		a = "8231234,Ampthill Lower School"
		b = "8232345,Biggleswade Academy"
	)
	sent := reportstest.CSV(`
id,uploaded,file,kind,from,from_name,to,to_name,addressed_to,size,pupils,state,state_changed,collected
1,` + t1.uploaded + `,8231234_CTF_8232345_001.XML,ctf,` + a + `,` + b + `,,2000,1,collected,` + t1.changed + `,` + t1.collected + `
2,` + t2.uploaded + `,8231234_CTF_8232345_002.XML,ctf,` + a + `,` + b + `,,3000,2,rejected,` + t2.changed + `,
3,` + t3.uploaded + `,8231234_CTF_6602001_003.XML,ctf,` + a + `,6602001,"Ysgol Môn, Amlwch",,4000,3,awaiting,` + t3.changed + `,
4,` + t5.uploaded + `,8231234_CTF_XXXXXXX_005.XML,ctf,` + a + `,XXXXXXX,Lost Pupil Database: destination unknown,,2000,1,awaiting,` + t5.changed + `,
`)
	quality := reportstest.CSV(`
uploaded,file,from,from_name,to,to_name,outcome,finding
` + t2.uploaded + `,8231234_CTF_8232345_002.XML,` + a + `,` + b + `,accepted,pupils 1 and 2: the address has no postcode
` + rejectedAt + `,8231234_CTF_8232345_004.XML,` + a + `,,,rejected,pupil 1: Surname is missing
`)
	// Ampthill sent four CTFs (1+2+3+1 pupils); Biggleswade received two,
	// collected one and rejected the other.
	usage := reportstest.CSV(`
code,name,kind,status,ctfs_uploaded,pupils_uploaded,ctfs_received,pupils_received,downloaded,awaiting,rejected,withdrawn,expired
` + a + `,school,open,4,7,0,0,0,0,0,0,0
` + b + `,school,open,0,0,2,3,1,0,1,0,0
823LLLL,Central Bedfordshire Council,la,open,0,0,0,0,0,0,0,0,0
`)
	lostNumbers := reportstest.CSV(`
la,age,gender,uploaded,missing,left_sector,since_claimed,claimed_by_la
823,10,M,1,1,0,0,0
`)
	// Within: 1 (collected) and 2 (rejected); outgoing: 3 (awaiting); the
	// lost pupil's file is not counted.
	monitor := reportstest.CSV(`
la,la_name,direction,files,pupils,collected,awaiting,rejected,withdrawn,expired
823,Central Bedfordshire Council,within,2,3,1,0,1,0,0
823,Central Bedfordshire Council,incoming,0,0,0,0,0,0,0
823,Central Bedfordshire Council,outgoing,1,3,0,1,0,0,0
`)

	out := t.TempDir()
	local := func(name string) string { return filepath.Join(out, name) }
	r := d.sftp(t, passwordLogin("ampthill"), strings.Join([]string{
		"ls -1 /reports",
		"get /reports/sent.csv " + local("sent.csv"),
		"get /reports/quality.csv " + local("quality.csv"),
		"get /reports/" + today + "_" + today + "/sent.csv " + local("sent-today.csv"),
		"-get /reports/usage.csv " + local("usage-school.csv"),
		"-get /reports/2026-02-30_2026-03-01/sent.csv " + local("bad-date.csv"),
		"-get /reports/" + today + "_" + weekAgo + "/sent.csv " + local("backwards.csv"),
		"",
	}, "\n"))
	if r.code != 0 {
		t.Fatalf("ampthill's reports: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	listing := lines(r.stdout)
	i := slices.Index(listing, "sftp> ls -1 /reports")
	if wantNames := []string{"/reports/generic.csv", "/reports/quality.csv", "/reports/received.csv", "/reports/sent.csv"}; i < 0 ||
		len(listing) < i+5 || !slices.Equal(listing[i+1:i+5], wantNames) {
		t.Errorf("ls -1 /reports printed:\n%s\nwant %q", r.stdout, wantNames)
	}
	// OpenSSH's sftp stats first and says only that the stat failed, not
	// the server's message (e.g. "usage.csv: no such report: ...").
	wantErr := []string{
		`File "/reports/usage.csv" not found.`,
		`File "/reports/2026-02-30_2026-03-01/sent.csv" not found.`,
		`File "/reports/` + today + "_" + weekAgo + `/sent.csv" not found.`,
	}
	if got := lines(r.stderr); !slices.Equal(got, wantErr) {
		t.Errorf("sftp stderr:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantErr, "\n"))
	}
	for _, name := range []string{"usage-school.csv", "bad-date.csv", "backwards.csv"} {
		if _, err := os.Stat(local(name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a refused report was saved as %s (%v)", name, err)
		}
	}
	// The server's messages, as paramiko shows them.
	noReport := ": no such report: list /reports for the reports you may read"
	d.runOps(t, passwordLogin("ampthill"), []op{
		{name: "list", op: "list", path: "/reports", value: []string{"generic.csv", "quality.csv", "received.csv", "sent.csv"}},
		{name: "la_report", op: "read", path: "/reports/usage.csv", msg: "usage.csv" + noReport},
		{name: "la_report_range", op: "read", path: "/reports/" + today + "_" + today + "/lost-details.csv", msg: "lost-details.csv" + noReport},
		{name: "bad_date", op: "stat", path: "/reports/2026-02-30_2026-03-01",
			msg: `invalid report period "2026-02-30_2026-03-01": 2026-02-30 is not a real date: write dates as YYYY-MM-DD`},
		{name: "backwards", op: "read", path: "/reports/" + today + "_" + weekAgo + "/sent.csv",
			msg: `invalid report period "` + today + "_" + weekAgo + `": it ends before it starts: put the earlier date first`},
		{name: "too_long", op: "read", path: "/reports/2010-01-01_" + today + "/sent.csv",
			msg: `invalid report period "2010-01-01_` + today + `": it spans more than 7 years: ask for 7 years at most`},
		{name: "not_a_period", op: "read", path: "/reports/last-year/sent.csv",
			msg: `invalid report period "last-year": name a period folder FROM_TO with dates as YYYY-MM-DD, e.g. 2025-09-01_2026-08-31`},
	})
	assertFile(t, local("sent.csv"), []byte(sent))
	assertFile(t, local("sent-today.csv"), []byte(sent))
	assertFile(t, local("quality.csv"), []byte(quality))

	r = d.sftp(t, passwordLogin("cbc"), strings.Join([]string{
		"get /reports/usage.csv " + local("usage.csv"),
		"get /reports/lost-numbers.csv " + local("lost-numbers.csv"),
		"get /reports/" + weekAgo + "_" + today + "/monitor.csv " + local("monitor.csv"),
		"",
	}, "\n"))
	if r.code != 0 {
		t.Fatalf("cbc's reports: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	assertFile(t, local("usage.csv"), []byte(usage))
	assertFile(t, local("lost-numbers.csv"), []byte(lostNumbers))
	assertFile(t, local("monitor.csv"), []byte(monitor))

	// The CLI makes the same files.
	if got := d.cli(t, "", "report", "sent", "--mailbox", ampthill); got != sent {
		t.Errorf("s2sd report sent --mailbox %s:\n%s\nwant:\n%s", ampthill, got, sent)
	}
	if got := d.cli(t, "", "report", "usage.csv", "--mailbox", centralBeds, "--from", weekAgo, "--to", today); got != usage {
		t.Errorf("s2sd report usage --mailbox %s:\n%s\nwant:\n%s", centralBeds, got, usage)
	}
}
