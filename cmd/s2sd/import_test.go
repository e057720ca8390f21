package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

const (
	extract      = "../../testdata/gias/edubasealldata.csv"
	extractNewer = "../../testdata/gias/edubasealldata-newer.csv"
	links        = "../../testdata/gias/links_edubasealldata.csv"
	linksNewer   = "../../testdata/gias/links_edubasealldata-newer.csv"
)

const skippedFixtureRows = "  line 6 (URN 20001): no establishment number\n" +
	"  line 9 (URN 703001): LA 000 is not one of the configured la_numbers\n"

func TestMailboxImport(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	// A mailbox added by hand before GIAS knew it keeps its email.
	s.must("added school mailbox 8233301: St Mary's RC Primary\n",
		"mailbox", "add", "8233301", "--name", "St Mary's RC Primary", "--email", "office@stmarys.sch.uk")

	expect(t, s.run("mailbox", "import", extract, "--links", links), result{
		stdout: "imported 6 establishments: 5 added, 1 updated, 0 unchanged, 2 skipped\n",
		stderr: "skipped 2 row(s) of " + extract + ":\n" + skippedFixtureRows,
	})
	s.must("code,name,kind,la,status,successor,email,town,postcode,copies,urn\n"+
		"6812202,Ysgol Gymraeg Treganna,school,681,open,,,Cardiff,CF5 1JY,no,401234\n"+
		"8232001,Hilltop Lower School,school,823,open,,,Dunstable,LU6 1AA,no,100001\n"+
		"8232345,Oakfield Middle School,school,823,closed,8234012,,Dunstable,LU5 4PQ,no,109876\n"+
		"8233301,St Mary’s Catholic Primary School,school,823,open,,office@stmarys.sch.uk,Caddington,LU1 4AA,no,109001\n"+
		"8234012,Oakfield Academy,school,823,open,,,Dunstable,LU5 4PQ,no,140123\n"+
		"8234020,Riverside Free School,school,823,open,,,Biggleswade,SG18 8AA,no,150001\n",
		"mailbox", "list", "--format", "csv")

	// A newer extract: Riverside moved, Hilltop Lower merged into the new
	// Hilltop Primary, Meadow closed with a successor GIAS lacks.
	expect(t, s.run("mailbox", "import", "--links", linksNewer, extractNewer), result{
		stdout: "imported 8 establishments: 2 added, 2 updated, 4 unchanged, 2 skipped\n",
		stderr: "skipped 2 row(s) of " + extractNewer + ":\n" + skippedFixtureRows +
			"note: line 7 of " + linksNewer + " (URN 100050): successor URN 150999 of 8232100 is not a mailbox, so it was not set\n",
	})
	const afterNewer = "code,name,kind,la,status,successor,email,town,postcode,copies,urn\n" +
		"6812202,Ysgol Gymraeg Treganna,school,681,open,,,Cardiff,CF5 1JY,no,401234\n" +
		"8232001,Hilltop Lower School,school,823,closed,8232002,,Dunstable,LU6 1AA,no,100001\n" +
		"8232002,Hilltop Primary School,school,823,open,,,Dunstable,LU6 1AB,no,150777\n" +
		"8232100,Meadow Infant School,school,823,closed,,,Dunstable,LU6 2ZZ,no,100050\n" +
		"8232345,Oakfield Middle School,school,823,closed,8234012,,Dunstable,LU5 4PQ,no,109876\n" +
		"8233301,St Mary’s Catholic Primary School,school,823,open,,office@stmarys.sch.uk,Caddington,LU1 4AA,no,109001\n" +
		"8234012,Oakfield Academy,school,823,open,,,Dunstable,LU5 4PQ,no,140123\n" +
		"8234020,Riverside Free School,school,823,open,,,Biggleswade,SG18 8AB,no,150001\n"
	s.must(afterNewer, "mailbox", "list", "--format", "csv")

	// The same extract again, without the links file: nothing changes, and
	// successors stay.
	expect(t, s.run("mailbox", "import", extractNewer), result{
		stdout: "imported 8 establishments: 0 added, 0 updated, 8 unchanged, 2 skipped\n",
		stderr: "skipped 2 row(s) of " + extractNewer + ":\n" + skippedFixtureRows,
	})
	s.must(afterNewer, "mailbox", "list", "--format", "csv")

	events, err := s.ledger().AuditEvents(context.Background(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range events {
		if strings.HasPrefix(e.Detail, "mailbox import") {
			got = append(got, e.Object+" "+e.Detail)
		}
	}
	want := []string{
		"edubasealldata.csv mailbox import added=5 updated=1 unchanged=0 skipped=2",
		"edubasealldata-newer.csv mailbox import added=2 updated=2 unchanged=4 skipped=2",
		"edubasealldata-newer.csv mailbox import added=0 updated=0 unchanged=8 skipped=2",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit = %q\nwant %q", got, want)
	}
}

const giasHeader = "URN,LA (code),EstablishmentNumber,EstablishmentName,EstablishmentStatus (name),Town,Postcode\n"

// A successor imported earlier is found through its URN in the ledger.
func TestMailboxImportSuccessorFromLedger(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	dir := t.TempDir()
	academy := filepath.Join(dir, "academy.csv")
	school := filepath.Join(dir, "school.csv")
	linkFile := filepath.Join(dir, "links.csv")
	writeFile(t, academy, giasHeader+"140123,823,4012,Oakfield Academy,Open,Dunstable,LU5 4PQ\n")
	writeFile(t, school, giasHeader+"109876,823,2345,Oakfield Middle School,Closed,Dunstable,LU5 4PQ\n")
	writeFile(t, linkFile, "URN,LinkURN,LinkType\n109876,140123,Successor\n")

	s.must("imported 1 establishments: 1 added, 0 updated, 0 unchanged, 0 skipped\n", "mailbox", "import", academy)
	s.must("imported 1 establishments: 1 added, 0 updated, 0 unchanged, 0 skipped\n", "mailbox", "import", school, "--links", linkFile)
	s.must("code,name,kind,la,status,successor,email,town,postcode,copies,urn\n"+
		"8232345,Oakfield Middle School,school,823,closed,8234012,,Dunstable,LU5 4PQ,no,109876\n"+
		"8234012,Oakfield Academy,school,823,open,,,Dunstable,LU5 4PQ,no,140123\n",
		"mailbox", "list", "--format", "csv")
}

func TestMailboxImportSkips(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	cfg := filepath.Join(t.TempDir(), "s2sd.toml")
	writeFile(t, cfg, "la_numbers = [\"823\"]\n")
	var b strings.Builder
	b.WriteString(giasHeader)
	b.WriteString("1,823,1,Kept School,Open,,\n")
	for i := 0; i < 22; i++ {
		fmt.Fprintf(&b, "%d,681,%d,Welsh School %d,Open,,\n", 100+i, i+1, i)
	}
	b.WriteString("200,823,12345,Too Long,Open,,\n")
	b.WriteString("201,823,2,Odd Status,Suspended,,\n")
	b.WriteString("202,823,1,Same Number,Closed,,\n")
	b.WriteString("1,823,3,Same URN,Open,,\n")
	file := filepath.Join(t.TempDir(), "skips.csv")
	writeFile(t, file, b.String())

	var wantErr strings.Builder
	fmt.Fprintf(&wantErr, "skipped 26 row(s) of %s:\n", file)
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&wantErr, "  line %d (URN %d): LA 681 is not one of the configured la_numbers\n", i+3, 100+i)
	}
	wantErr.WriteString("  … and 6 more\n")
	expect(t, s.run("mailbox", "import", file, "--config", cfg), result{
		stdout: "imported 1 establishments: 1 added, 0 updated, 0 unchanged, 26 skipped\n",
		stderr: wantErr.String(),
	})

	// The reasons past the twentieth, seen from a file of only those rows.
	tail := filepath.Join(t.TempDir(), "tail.csv")
	writeFile(t, tail, giasHeader+
		"1,823,1,Kept School,Open,,\n"+
		"200,823,12345,Too Long,Open,,\n"+
		"201,823,2,Odd Status,Suspended,,\n"+
		"202,823,1,Same Number,Closed,,\n"+
		"1,823,3,Same URN,Open,,\n"+
		"203,82,3,Short LA,Open,,\n")
	expect(t, s.run("mailbox", "import", tail, "--config", cfg), result{
		stdout: "imported 1 establishments: 0 added, 0 updated, 1 unchanged, 5 skipped\n",
		stderr: "skipped 5 row(s) of " + tail + ":\n" +
			"  line 3 (URN 200): establishment number \"12345\" is not 1 to 4 digits\n" +
			"  line 4 (URN 201): unknown establishment status \"Suspended\"\n" +
			"  line 5 (URN 202): DfE number 8230001 is also that of URN 1 on line 2\n" +
			"  line 6 (URN 1): URN 1 appears again (first on line 2)\n" +
			"  line 7 (URN 203): LA code \"82\" is not 3 digits\n",
	})
}

// Of two establishments with one DfE number, the open one wins.
func TestMailboxImportSharedNumber(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	file := filepath.Join(t.TempDir(), "shared.csv")
	writeFile(t, file, giasHeader+
		"109876,823,2345,Oakfield Middle School,Closed,Dunstable,\n"+
		"140123,823,2345,Oakfield Academy,Open,Dunstable,\n")
	expect(t, s.run("mailbox", "import", file), result{
		stdout: "imported 1 establishments: 1 added, 0 updated, 0 unchanged, 1 skipped\n",
		stderr: "skipped 1 row(s) of " + file + ":\n" +
			"  line 2 (URN 109876): DfE number 8232345 is also that of open URN 140123 on line 3\n",
	})
	s.must("code,name,kind,la,status,successor,email,town,postcode,copies,urn\n"+
		"8232345,Oakfield Academy,school,823,open,,,Dunstable,,no,140123\n",
		"mailbox", "list", "--format", "csv")
}

func TestMailboxImportErrors(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	dir := t.TempDir()
	noLA := filepath.Join(dir, "nola.csv")
	writeFile(t, noLA, "URN,EstablishmentNumber,EstablishmentName,Town\n1,1,A,B\n")
	ragged := filepath.Join(dir, "ragged.csv")
	writeFile(t, ragged, giasHeader+"1,823,1,A,Open,,\n2,823\n")
	badLinks := filepath.Join(dir, "links.csv")
	writeFile(t, badLinks, "URN,LinkName\n1,A\n")

	expect(t, s.run("mailbox", "import", noLA), fails(1, noLA+`: establishments: missing column(s) "LA (code)", "EstablishmentStatus (name)" in the header row: give the GIAS all-establishments extract (edubasealldata*.csv) with its header row`))
	expect(t, s.run("mailbox", "import", ragged), fails(1, ragged+": establishments: record on line 3: wrong number of fields: the file is not well-formed CSV"))
	expect(t, s.run("mailbox", "import", extract, "--links", badLinks), fails(1, badLinks+`: links: missing column(s) "LinkURN", "LinkType" in the header row: give the GIAS links file (links_edubasealldata*.csv) with its header row`))
	expect(t, s.run("mailbox", "import", filepath.Join(dir, "none.csv")), fails(1, "open "+filepath.Join(dir, "none.csv")+": no such file or directory: give the path of a GIAS CSV file"))
	expect(t, s.run("mailbox", "import"), fails(2, `expected "<file>": see "s2sd mailbox import --help"`))
	// Nothing was imported.
	s.must("code,name,kind,la,status,successor,email,town,postcode,copies,urn\n", "mailbox", "list", "--format", "csv")
}

// An establishment GIAS renumbers (an LA reorganisation) keeps its URN:
// the URN moves to the new mailbox, and the old one closes pointing to it.
func TestMailboxImportRenumbered(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	dir := t.TempDir()
	before := filepath.Join(dir, "before.csv")
	after := filepath.Join(dir, "after.csv")
	writeFile(t, before, giasHeader+"100001,823,2001,Hilltop Lower School,Open,Dunstable,LU6 1AA\n")
	writeFile(t, after, giasHeader+"100001,822,2001,Hilltop Lower School,Open,Dunstable,LU6 1AA\n")

	s.must("imported 1 establishments: 1 added, 0 updated, 0 unchanged, 0 skipped\n", "mailbox", "import", before)
	expect(t, s.run("mailbox", "import", after), result{
		stdout: "imported 1 establishments: 1 added, 0 updated, 0 unchanged, 0 skipped\n",
		stderr: "note: line 2 of " + after + " (URN 100001): URN 100001 moved from mailbox 8232001 to 8222001, so 8232001 is closed with 8222001 as its successor\n",
	})
	s.must("code,name,kind,la,status,successor,email,town,postcode,copies,urn\n"+
		"8222001,Hilltop Lower School,school,822,open,,,Dunstable,LU6 1AA,no,100001\n"+
		"8232001,Hilltop Lower School,school,823,closed,8222001,,Dunstable,LU6 1AA,no,\n",
		"mailbox", "list", "--format", "csv")
	s.must("imported 1 establishments: 0 added, 0 updated, 1 unchanged, 0 skipped\n", "mailbox", "import", after)
}
