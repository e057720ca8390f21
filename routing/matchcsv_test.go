package routing

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseMatchCSV(t *testing.T) {
	in := "\ufeffupn,surname,forename,dob,gender,town\r\n" +
		"n823123400000,Ashcroft,Amy,2015-01-10,f,Fernhollow\r\n" +
		",robert,Cara,2014-02-03,,\r\n" +
		"\r\n" + // a blank line is not a row
		"1823123400000,Smith,Sam,2014-13-01,Q,Leeds\r\n" +
		"\"O'Brien, Jr\",\"Mary\nAnn\"\r\n" +
		"A82312340000,,,,,\n" +
		"B823123400000,Jones,Jo,2015-01-10,M,Bath\n" +
		",Jones,Jo,,M,Bath\n" +
		"a bare \"quote,x,y,2015-01-10,M,\n" +
		",Tymczak,Tom,2013-05-06,U,\"Milton Keynes\"\n" +
		",Tymczak,Tom,2013-05-06,U,Milton Keynes,extra\n" +
		",Nowak\xff,Tom,2013-05-06,U,\n" +
		",Nowak,,2013-05-06,U,"
	rows, err := ParseMatchCSV([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []MatchRow{
		{Row: 2, UPN: "N823123400000", Surname: "Ashcroft", Forename: "Amy", DOB: "2015-01-10", Gender: "F", Town: "Fernhollow"},
		{Row: 3, Surname: "robert", Forename: "Cara", DOB: "2014-02-03"},
		{Row: 5, UPN: "1823123400000", Surname: "Smith", Forename: "Sam", DOB: "2014-13-01", Gender: "Q", Town: "Leeds",
			Fault: `upn "1823123400000" is not a UPN: it must start with a check letter; dob "2014-13-01" must be a date written YYYY-MM-DD, e.g. 2012-03-04; gender "Q" must be M, F, U or X, or empty`},
		{Row: 6, UPN: "O'Brien, Jr", Surname: "Mary\nAnn",
			Fault: `the row has 2 fields, not the header's 6; upn "O'Brien, Jr" is not a UPN: it must be 13 characters; surname "Mary\nAnn" may not hold line breaks or other control characters`},
		{Row: 8, UPN: "A82312340000", Fault: `upn "A82312340000" is not a UPN: it must be 13 characters`},
		{Row: 9, UPN: "B823123400000", Surname: "Jones", Forename: "Jo", DOB: "2015-01-10", Gender: "M", Town: "Bath",
			Fault: `upn "B823123400000" is not a UPN: its check letter is wrong`},
		{Row: 10, Surname: "Jones", Forename: "Jo", Gender: "M", Town: "Bath", Fault: "the row needs a upn, or a surname and a dob, to be matched"},
		{Row: 11, Fault: `the row is not valid CSV: a " stands inside a field that is not in quotes: put the field in quotes and double the "`},
		{Row: 12, Surname: "Tymczak", Forename: "Tom", DOB: "2013-05-06", Gender: "U", Town: "Milton Keynes"},
		{Row: 13, Surname: "Tymczak", Forename: "Tom", DOB: "2013-05-06", Gender: "U", Town: "Milton Keynes", Fault: "the row has 7 fields, not the header's 6"},
		{Row: 14, Surname: "Nowak\uFFFD", Forename: "Tom", DOB: "2013-05-06", Gender: "U",
			Fault: "surname is not UTF-8 text: save the file as UTF-8"},
		{Row: 15, Surname: "Nowak", DOB: "2013-05-06", Gender: "U"},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d: %#v", len(rows), len(want), rows)
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("row %d:\n got %#v\nwant %#v", i, rows[i], want[i])
		}
	}

	// Columns in another order, and a header only.
	rows, err = ParseMatchCSV([]byte("DOB, Surname ,forename,upn,town,gender\n2015-01-10,Ashcroft,Amy,,,\n"))
	if err != nil || len(rows) != 1 || rows[0] != (MatchRow{Row: 2, Surname: "Ashcroft", Forename: "Amy", DOB: "2015-01-10"}) {
		t.Errorf("reordered columns: %#v, %v", rows, err)
	}
	if rows, err := ParseMatchCSV([]byte("upn,surname,forename,dob,gender,town\n")); err != nil || len(rows) != 0 {
		t.Errorf("header only: %#v, %v", rows, err)
	}
}

func TestParseMatchCSVRefusals(t *testing.T) {
	hint := ": the first line must be the header upn,surname,forename,dob,gender,town"
	many := "upn,surname,forename,dob,gender,town\n" + strings.Repeat(",Smith,Sam,2015-01-10,,\n", MatchMaxRows)
	for in, want := range map[string]string{
		"":                                  "the file is empty" + hint,
		"\ufeff":                            "the file is empty" + hint,
		"upn,surname,forename,dob,gender\n": "the header lacks the column town" + hint,
		"upn,surname,forename,dob,gender,town,x\n": `the header has an unknown column "x"` + hint,
		"upn,surname,forename,dob,gender,upn\n":    "the header has the column upn twice" + hint,
		"\"upn,surname\n":                          `the header cannot be read (a quoted field is not closed, or a " inside it is not doubled)` + hint,
		many + ",Smith,Sam,2015-01-10,,\n":         "the file has more than 100000 rows: split it into files of at most 100000 rows",
		many + "bad\"row\n":                        "the file has more than 100000 rows: split it into files of at most 100000 rows",
		strings.Repeat("x", MatchMaxSize+1):        "the file is larger than 10 MiB: split it into smaller files",
	} {
		if _, err := ParseMatchCSV([]byte(in)); err == nil || err.Error() != want {
			t.Errorf("ParseMatchCSV(%.60q…) error %v\nwant %q", in, err, want)
		}
	}
	if rows, err := ParseMatchCSV([]byte(many)); err != nil || len(rows) != MatchMaxRows {
		t.Errorf("%d rows: %d, %v", MatchMaxRows, len(rows), err)
	}
}

func TestCheckMatchName(t *testing.T) {
	for name, want := range map[string]string{
		"census.csv":         "",
		"Census 2026.CSV":    "",
		"census.results.csv": "census.results.csv: names ending in .results.csv are kept for the results s2sd writes; upload the CSV under another name",
		"census.xlsx":        "census.xlsx: upload a CSV file named NAME.csv with the columns upn,surname,forename,dob,gender,town",
		".csv":               ".csv: file names may not start with a dot",
		"a\x01.csv":          `"a\x01.csv": a file name must be at most 200 characters of text`,
	} {
		err := CheckMatchName(name)
		if got := fmt.Sprint(err); want == "" && err != nil || want != "" && got != want {
			t.Errorf("CheckMatchName(%q) = %v, want %q", name, err, want)
		}
	}
	if got := MatchResultsName("Census 2026.CSV"); got != "Census 2026.results.csv" {
		t.Errorf("MatchResultsName = %q", got)
	}
}

// FuzzParseMatchCSV checks that ParseMatchCSV never panics, that it
// reports every record after the header as a row, in order, and that a
// row without a fault is well-formed and survives being written out as
// CSV and read back.
func FuzzParseMatchCSV(f *testing.F) {
	for _, s := range []string{
		"upn,surname,forename,dob,gender,town\nN823123400000,Ashcroft,Amy,2015-01-10,F,Fernhollow\n",
		"\ufeffupn,surname,forename,dob,gender,town\r\n,robert,Cara,2014-02-03,,\r\n",
		"dob,surname,forename,upn,town,gender\n2014-13-01,\"O'Brien\",x,,,\n",
		"upn,surname,forename,dob,gender,town\n\"unclosed,x\n",
		"upn,surname,forename,dob,gender,town\na \"bare,quote\n,\xff,x,2015-01-10,,\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, err := ParseMatchCSV(b)
		if err != nil {
			if rows != nil || err.Error() == "" {
				t.Fatalf("error %v with rows %v", err, rows)
			}
			return
		}
		if len(rows) > MatchMaxRows {
			t.Fatalf("%d rows", len(rows))
		}
		var good []MatchRow
		for i, r := range rows {
			if r.Row < 2 || i > 0 && r.Row <= rows[i-1].Row {
				t.Fatalf("row %d starts on line %d after line %d", i, r.Row, rows[max(i-1, 0)].Row)
			}
			for _, v := range []string{r.UPN, r.Surname, r.Forename, r.DOB, r.Gender, r.Town, r.Fault} {
				if !utf8.ValidString(v) {
					t.Fatalf("row %d holds invalid UTF-8: %#v", i, r)
				}
			}
			if r.Fault != "" {
				continue
			}
			if r.UPN != "" && !ValidUPN(r.UPN) || r.UPN == "" && (r.Surname == "" || r.DOB == "") {
				t.Fatalf("row %d has no fault but cannot be matched: %#v", i, r)
			}
			if _, err := time.Parse("2006-01-02", r.DOB); r.DOB != "" && err != nil {
				t.Fatalf("row %d has no fault but a bad dob: %#v", i, r)
			}
			if !strings.Contains("MFUX", r.Gender) || len(r.Gender) > 1 {
				t.Fatalf("row %d has no fault but a bad gender: %#v", i, r)
			}
			good = append(good, r)
		}
		var out bytes.Buffer
		w := csv.NewWriter(&out)
		w.Write(MatchColumns())
		for _, r := range good {
			w.Write([]string{r.UPN, r.Surname, r.Forename, r.DOB, r.Gender, r.Town})
		}
		w.Flush()
		again, err := ParseMatchCSV(out.Bytes())
		if err != nil || len(again) != len(good) {
			t.Fatalf("the good rows written out read back as %d rows, %v", len(again), err)
		}
		for i, r := range again {
			r.Row = good[i].Row
			if r != good[i] {
				t.Fatalf("row %#v read back as %#v", good[i], r)
			}
		}
	})
}
