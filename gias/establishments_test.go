package gias

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

func parseFile(t *testing.T, path string) []Establishment {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ests, err := ParseEstablishments(f)
	if err != nil {
		t.Fatal(err)
	}
	return ests
}

// The fixture is Windows-1252, as GIAS serves it: "St Mary’s" holds 0x92.
func TestParseEstablishmentsWindows1252(t *testing.T) {
	ests := parseFile(t, "../testdata/gias/edubasealldata.csv")
	want := []Establishment{
		{Line: 2, URN: "109876", LA: "823", Number: "2345", Name: "Oakfield Middle School", Status: "Closed", Town: "Dunstable", Postcode: "LU5 4PQ"},
		{Line: 3, URN: "140123", LA: "823", Number: "4012", Name: "Oakfield Academy", Status: "Open", Town: "Dunstable", Postcode: "LU5 4PQ"},
		{Line: 4, URN: "109001", LA: "823", Number: "3301", Name: "St Mary’s Catholic Primary School", Status: "Open", Town: "Caddington", Postcode: "LU1 4AA"},
		{Line: 5, URN: "401234", LA: "681", Number: "2202", Name: "Ysgol Gymraeg Treganna", Status: "Open", Town: "Cardiff", Postcode: "CF5 1JY"},
		{Line: 6, URN: "20001", LA: "823", Number: "", Name: "Little Acorns Children’s Centre", Status: "Open", Town: "Leighton Buzzard", Postcode: "LU7 1AB"},
		{Line: 7, URN: "150001", LA: "823", Number: "4020", Name: "Riverside Free School", Status: "Proposed to open", Town: "Biggleswade", Postcode: "SG18 8AA"},
		{Line: 8, URN: "100001", LA: "823", Number: "2001", Name: "Hilltop Lower School", Status: "Open, but proposed to close", Town: "Dunstable", Postcode: "LU6 1AA"},
		{Line: 9, URN: "703001", LA: "000", Number: "6000", Name: "British School of Somewhere", Status: "Open", Town: "", Postcode: ""},
	}
	if !reflect.DeepEqual(ests, want) {
		t.Errorf("got\n%+v\nwant\n%+v", ests, want)
	}
}

// The newer fixture is UTF-8 with a byte order mark.
func TestParseEstablishmentsUTF8BOM(t *testing.T) {
	ests := parseFile(t, "../testdata/gias/edubasealldata-newer.csv")
	if len(ests) != 10 {
		t.Fatalf("got %d establishments, want 10", len(ests))
	}
	if got := ests[0].URN; got != "109876" {
		t.Errorf("first URN = %q, want 109876 (the BOM must not spoil the first header)", got)
	}
	if got := ests[2].Name; got != "St Mary’s Catholic Primary School" {
		t.Errorf("name = %q", got)
	}
	if got := ests[8]; got.Name != "Hilltop Primary School" || got.Line != 10 {
		t.Errorf("ninth = %+v", got)
	}
	want := Establishment{Line: 11, URN: "100050", LA: "823", Number: "2100", Name: "Meadow Infant School", Status: "Closed", Town: "Dunstable", Postcode: "LU6 2ZZ"}
	if got := ests[9]; got != want {
		t.Errorf("last = %+v, want %+v", got, want)
	}
}

func TestParseEstablishmentsMinimal(t *testing.T) {
	// Header names match case-insensitively and in any order; Town and
	// Postcode may be absent; values are trimmed.
	in := "establishmentname, urn ,EstablishmentStatus (name),EstablishmentNumber,LA (code)\r\n" +
		"\"Acme School, The\", 123 ,Open,42,823\r\n"
	got, err := ParseEstablishments(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Establishment{{Line: 2, URN: "123", LA: "823", Number: "42", Name: "Acme School, The", Status: "Open"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestParseEstablishmentsErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "establishments: the file is empty: expected a header row: give the GIAS all-establishments extract (edubasealldata*.csv) with its header row"},
		{"missing columns", "URN,EstablishmentName,Town\n1,A,B\n",
			`establishments: missing column(s) "LA (code)", "EstablishmentNumber", "EstablishmentStatus (name)" in the header row: give the GIAS all-establishments extract (edubasealldata*.csv) with its header row`},
		{"short row", "URN,LA (code),EstablishmentNumber,EstablishmentName,EstablishmentStatus (name)\n1,823,1,A,Open\n2,823\n",
			"establishments: record on line 3: wrong number of fields: the file is not well-formed CSV"},
		{"bare quote", "URN,LA (code),EstablishmentNumber,EstablishmentName,EstablishmentStatus (name)\n1,823,1,A \"x\",Open\n",
			"establishments: parse error on line 2, column 11: bare \" in non-quoted-field: the file is not well-formed CSV"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseEstablishments(strings.NewReader(tt.in))
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v\nwant %s", err, tt.want)
			}
		})
	}
	_, err := ParseEstablishments(strings.NewReader("URN\n"))
	var mc *MissingColumnsError
	if !errors.As(err, &mc) || len(mc.Columns) != 4 {
		t.Errorf("err = %v, want a MissingColumnsError naming 4 columns", err)
	}
}

func TestEstablishmentCode(t *testing.T) {
	tests := []struct {
		la, number, want, err string
	}{
		{"823", "1234", "8231234", ""},
		{"823", "42", "8230042", ""},
		{"681", "7", "6810007", ""},
		{"823", "", "", "no establishment number"},
		{"82", "1234", "", `LA code "82" is not 3 digits`},
		{"8x3", "1234", "", `LA code "8x3" is not 3 digits`},
		{"823", "12345", "", `establishment number "12345" is not 1 to 4 digits`},
		{"823", "12a", "", `establishment number "12a" is not 1 to 4 digits`},
	}
	for _, tt := range tests {
		got, err := Establishment{LA: tt.la, Number: tt.number}.Code()
		if got != tt.want || errString(err) != tt.err {
			t.Errorf("Code(%q, %q) = %q, %v; want %q, %q", tt.la, tt.number, got, err, tt.want, tt.err)
		}
	}
	if _, err := (Establishment{LA: "823"}).Code(); !errors.Is(err, ErrNoNumber) {
		t.Errorf("err = %v, want ErrNoNumber", err)
	}
}

func TestEstablishmentClosed(t *testing.T) {
	tests := []struct {
		status string
		closed bool
		err    string
	}{
		{"Open", false, ""},
		{"Open, but proposed to close", false, ""},
		{"Proposed to open", false, ""},
		{"Closed", true, ""},
		{"closed", true, ""},
		{"Suspended", false, `unknown establishment status "Suspended"`},
		{"", false, `unknown establishment status ""`},
	}
	for _, tt := range tests {
		closed, err := Establishment{Status: tt.status}.Closed()
		if closed != tt.closed || errString(err) != tt.err {
			t.Errorf("Closed(%q) = %v, %v; want %v, %q", tt.status, closed, err, tt.closed, tt.err)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
