package laadmin

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/s2sd/s2sd/internal/excelcsv"
)

// FuzzParseTable feeds arbitrary uploads to the CSV reader of users.csv
// and schools.csv. It must never panic; it refuses a file as a whole or
// returns rows in file order, each with the header's number of cells or
// marked bad; and the good rows, written out as a download and read back,
// are the same rows.
func FuzzParseTable(f *testing.F) {
	for _, seed := range []string{
		"login,mailbox,role,email,locked,last_login,reset\r\namp,8231234,school,amp@example.sch.uk,no,,\r\n",
		excelcsv.BOM + "login,mailbox,role,email,locked,last_login,reset\r\n'=cmd,8231234,school,a@b.sch.uk,,,yes\r\n,,,,,,\r\nshort\r\n",
		"LOGIN , Mailbox,role,email,locked,last_login,reset,,\n\"a,b\",\"x\"\"y\",\"multi\nline\",,,,\n",
		"login;mailbox;role;email;locked;last_login;reset\n",
		"login,mailbox,role,email,locked,last_login,reset\namp,\"unterminated\n",
		"login,mailbox,role,email,locked,last_login,reset\n\xff\xfe,,,,,,\n",
		"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := parseTable(UsersFile, data, usersHeader)
		if err != nil {
			if rows != nil {
				t.Fatalf("rows returned with error %v", err)
			}
			if fe, ok := err.(*FileError); !ok || fe.Reason == "" || !utf8.ValidString(fe.Reason) {
				t.Fatalf("error %#v is not a FileError with a reason", err)
			}
			return
		}
		line := 1
		var good [][]string
		for _, r := range rows {
			if r.line <= line {
				t.Fatalf("line %d after line %d", r.line, line)
			}
			line = r.line
			switch {
			case r.bad != "":
				if r.cells != nil || !strings.HasPrefix(r.bad, "line ") {
					t.Fatalf("bad row %+v", r)
				}
			case len(r.cells) != len(usersHeader) || r.first != r.cells[0]:
				t.Fatalf("row %+v has %d cells", r, len(r.cells))
			default:
				if roundTrips(r.cells) {
					good = append(good, r.cells)
				}
			}
		}
		back, err := parseTable(UsersFile, excelcsv.WriteText(usersHeader, good), usersHeader)
		if err != nil {
			t.Fatalf("a download of %q is refused: %v", good, err)
		}
		if len(back) != len(good) {
			t.Fatalf("%d rows written, %d read back", len(good), len(back))
		}
		for i := range good {
			if !slices.Equal(back[i].cells, good[i]) {
				t.Fatalf("row %q read back as %q", good[i], back[i].cells)
			}
		}
	})
}

// roundTrips reports whether cells read from an upload are read the same
// again once written: not if a cell holds a carriage return (CSV reads a
// quoted CRLF as LF) or an apostrophe the download does not add.
func roundTrips(cells []string) bool {
	for _, c := range cells {
		if strings.Contains(c, "\r") || excelcsv.Uncell(c) != c {
			return false
		}
	}
	return true
}
