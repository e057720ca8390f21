package routing

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of a batch-matching CSV (SPEC section 7): a census extract of a
// large LA fits in both.
const (
	MatchMaxSize = 10 << 20 // bytes
	MatchMaxRows = 100_000  // data rows, the header not counted
)

// MatchColumns are the columns of a batch-matching CSV, in the order its
// header is usually written. A header may give them in any order.
func MatchColumns() []string { return []string{"upn", "surname", "forename", "dob", "gender", "town"} }

// MatchRow is one data row of a batch-matching CSV. It is pupil data:
// never log it.
type MatchRow struct {
	Row      int    // the line of the file the row starts on; the header is line 1
	UPN      string // "" or a valid UPN, upper case
	Surname  string
	Forename string
	DOB      string // "" or YYYY-MM-DD
	Gender   string // "", M, F, U or X
	Town     string
	// Fault says what is wrong with a malformed row, every field at
	// fault; the fields then hold what the file gave, for the results to
	// echo. "" for a row that can be matched.
	Fault string
}

func (MatchRow) String() string { return "MatchRow{redacted}" }

const matchHeaderHint = "the first line must be the header upn,surname,forename,dob,gender,town"

// ParseMatchCSV reads a batch-matching CSV: UTF-8, with or without a byte
// order mark, RFC 4180, with a header naming the six MatchColumns. It
// returns one MatchRow for every record after the header, a malformed
// one with its Fault, so that nothing in the file goes unreported; blank
// lines are not records. It fails only for what makes the whole file
// unusable: a bad header, or more than MatchMaxSize bytes or MatchMaxRows
// rows.
func ParseMatchCSV(b []byte) ([]MatchRow, error) {
	if len(b) > MatchMaxSize {
		return nil, fmt.Errorf("the file is larger than %d MiB: split it into smaller files", MatchMaxSize>>20)
	}
	b = bytes.TrimPrefix(b, []byte("\ufeff"))
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("the file is empty: %s", matchHeaderHint)
	}
	if err != nil {
		return nil, fmt.Errorf("the header cannot be read (%s): %s", csvFault(err), matchHeaderHint)
	}
	cols, err := matchHeader(header)
	if err != nil {
		return nil, err
	}
	var rows []MatchRow
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if len(rows) == MatchMaxRows {
			return nil, fmt.Errorf("the file has more than %d rows: split it into files of at most %d rows", MatchMaxRows, MatchMaxRows)
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			rows = append(rows, MatchRow{Row: pe.StartLine, Fault: "the row is not valid CSV: " + csvFault(err)})
			continue
		}
		if err != nil { // a bytes.Reader fails only as above
			return nil, err
		}
		line, _ := r.FieldPos(0)
		rows = append(rows, matchRow(line, rec, cols))
	}
}

// matchHeader maps each column of the file to its field, by index.
func matchHeader(header []string) ([]string, error) {
	known := map[string]bool{}
	for _, c := range MatchColumns() {
		known[c] = true
	}
	seen := map[string]bool{}
	cols := make([]string, len(header))
	for i, h := range header {
		c := strings.ToLower(strings.TrimSpace(h))
		switch {
		case !known[c]:
			return nil, fmt.Errorf("the header has an unknown column %q: %s", strings.ToValidUTF8(h, "\uFFFD"), matchHeaderHint)
		case seen[c]:
			return nil, fmt.Errorf("the header has the column %s twice: %s", c, matchHeaderHint)
		}
		seen[c], cols[i] = true, c
	}
	for _, c := range MatchColumns() {
		if !seen[c] {
			return nil, fmt.Errorf("the header lacks the column %s: %s", c, matchHeaderHint)
		}
	}
	return cols, nil
}

// matchRow checks one record, collecting every fault.
func matchRow(line int, rec, cols []string) MatchRow {
	m := MatchRow{Row: line}
	var faults []string
	if len(rec) != len(cols) {
		faults = append(faults, fmt.Sprintf("the row has %d fields, not the header's %d", len(rec), len(cols)))
	}
	for i, v := range rec[:min(len(rec), len(cols))] {
		if !utf8.ValidString(v) {
			faults = append(faults, fmt.Sprintf("%s is not UTF-8 text: save the file as UTF-8", cols[i]))
			v = strings.ToValidUTF8(v, "\uFFFD")
		}
		v = strings.TrimSpace(v)
		var f string
		switch cols[i] {
		case "upn":
			m.UPN, f = matchUPN(v)
		case "surname":
			m.Surname, f = v, nameFault("surname", v)
		case "forename":
			m.Forename, f = v, nameFault("forename", v)
		case "dob":
			m.DOB = v
			if _, err := time.Parse("2006-01-02", v); v != "" && err != nil {
				f = fmt.Sprintf("dob %q must be a date written YYYY-MM-DD, e.g. 2012-03-04", v)
			}
		case "gender":
			m.Gender = strings.ToUpper(v)
			if g := m.Gender; g != "" && g != "M" && g != "F" && g != "U" && g != "X" {
				m.Gender, f = v, fmt.Sprintf("gender %q must be M, F, U or X, or empty", v)
			}
		case "town":
			m.Town = v
			if len(v) > 100 || strings.IndexFunc(v, unicode.IsControl) >= 0 {
				f = fmt.Sprintf("town %q must be at most 100 characters of text", v)
			}
		}
		if f != "" {
			faults = append(faults, f)
		}
	}
	if len(faults) == 0 && m.UPN == "" && (m.Surname == "" || m.DOB == "") {
		faults = append(faults, "the row needs a upn, or a surname and a dob, to be matched")
	}
	m.Fault = strings.Join(faults, "; ")
	return m
}

func matchUPN(v string) (string, string) {
	if v == "" {
		return "", ""
	}
	u := strings.ToUpper(v)
	if f := upnFault(u); f != "" {
		if strings.HasPrefix(f, "must") {
			return v, fmt.Sprintf("upn %q is not a UPN: it %s", v, f)
		}
		return v, fmt.Sprintf("upn %q is not a UPN: its %s", v, f)
	}
	return u, ""
}

// nameFault checks a surname or forename. Unlike a search's terms, which
// become prefixes and patterns, the names of a row are only compared, so
// any text will do.
func nameFault(field, v string) string {
	if strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return fmt.Sprintf("%s %q may not hold line breaks or other control characters", field, v)
	}
	if len(v) > 100 {
		return fmt.Sprintf("%s is longer than 100 characters", field)
	}
	return ""
}

// csvFault is a CSV syntax error without the position, which the row
// number already gives.
func csvFault(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		switch {
		case errors.Is(pe.Err, csv.ErrBareQuote):
			return `a " stands inside a field that is not in quotes: put the field in quotes and double the "`
		case errors.Is(pe.Err, csv.ErrQuote):
			return `a quoted field is not closed, or a " inside it is not doubled`
		}
		return pe.Err.Error()
	}
	return err.Error()
}

// MatchResultsSuffix ends the name of the results s2sd writes beside a
// batch-matching CSV: census.csv gives census.results.csv.
const MatchResultsSuffix = ".results.csv"

// CheckMatchName says why name cannot be uploaded for batch matching, or
// returns nil.
func CheckMatchName(name string) error {
	lower := strings.ToLower(name)
	switch {
	case !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0 || len(name) > 200:
		return fmt.Errorf("%q: a file name must be at most 200 characters of text", strings.ToValidUTF8(name, "\uFFFD"))
	case strings.HasPrefix(name, "."):
		return fmt.Errorf("%s: file names may not start with a dot", name)
	case strings.HasSuffix(lower, MatchResultsSuffix):
		return fmt.Errorf("%s: names ending in %s are kept for the results s2sd writes; upload the CSV under another name", name, MatchResultsSuffix)
	case !strings.HasSuffix(lower, ".csv") || len(name) == len(".csv"):
		return fmt.Errorf("%s: upload a CSV file named NAME.csv with the columns upn,surname,forename,dob,gender,town", name)
	}
	return nil
}

// MatchResultsName is the name of the results of the CSV name.
func MatchResultsName(name string) string {
	return name[:len(name)-len(".csv")] + MatchResultsSuffix
}
