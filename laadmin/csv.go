package laadmin

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/s2sd/s2sd/internal/excelcsv"
)

// The files an LA keeps in /admin/ are CSV for Excel, like the reports:
// UTF-8 with a byte-order mark, a header row, RFC 4180 quoting and CRLF
// line ends, and a text cell Excel would run as a formula prefixed with an
// apostrophe. Uploads are read the same way back: the byte-order mark is
// optional, and the apostrophe the download added is taken off again, so
// that a file saved unchanged from Excel changes nothing (see excelcsv).

// row is one row of an upload after its header.
type row struct {
	line  int      // its line in the file, the header being line 1
	cells []string // trimmed, apostrophes undone; nil if malformed
	first string   // its first cell, even if malformed
	bad   string   // why the row is malformed, if it is
}

// FileError is an upload refused as a whole: nothing in it was applied.
type FileError struct {
	File   string // users.csv or schools.csv
	Reason string
}

func (e *FileError) Error() string {
	return fmt.Sprintf("%s was refused and nothing in it was changed: %s", e.File, e.Reason)
}

// parseTable reads an uploaded CSV file whose header must be header. A
// row with the wrong number of cells is returned marked bad, so that the
// rest still apply; a file that cannot be read as CSV, or whose header is
// wrong, is refused as a whole.
func parseTable(file string, b []byte, header []string) ([]row, error) {
	refuse := func(format string, args ...any) error {
		return &FileError{File: file, Reason: fmt.Sprintf(format, args...)}
	}
	b = bytes.TrimPrefix(b, []byte(excelcsv.BOM))
	if !utf8.Valid(b) {
		return nil, refuse("it is not UTF-8 text: in Excel, save it as \"CSV UTF-8 (Comma delimited)\"")
	}
	want := strings.Join(header, ",")
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if errors.Is(err, io.EOF) || err == nil && !headerMatches(head, header) {
		got := ""
		if err == nil {
			got = strings.Join(head, ",")
		}
		hint := ""
		if strings.Count(got, ";") >= len(header)-1 {
			hint = "; the file uses semicolons: save it with commas"
		}
		return nil, refuse("its first line must be the header %s, not %q%s", want, clip(got), hint)
	}
	if err != nil {
		return nil, refuse("%s", csvError(err))
	}
	var rows []row
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, refuse("%s", csvError(err))
		}
		line, _ := r.FieldPos(0)
		rec = trimTrailingEmpty(rec, len(header))
		cells := make([]string, len(rec))
		blank := true
		for i, c := range rec {
			cells[i] = excelcsv.Uncell(strings.TrimSpace(c))
			blank = blank && cells[i] == ""
		}
		if blank {
			continue // Excel keeps rows that were cleared
		}
		rw := row{line: line, first: cells[0], cells: cells}
		if len(cells) != len(header) {
			rw.bad = fmt.Sprintf("line %d has %d columns; each row needs %d: %s", line, len(cells), len(header), want)
			rw.cells = nil
		}
		rows = append(rows, rw)
	}
}

// headerMatches compares a header row, ignoring case, spaces and empty
// cells Excel may add at the end.
func headerMatches(got, want []string) bool {
	got = trimTrailingEmpty(got, len(want))
	if len(got) != len(want) {
		return false
	}
	for i := range want {
		if !strings.EqualFold(strings.TrimSpace(got[i]), want[i]) {
			return false
		}
	}
	return true
}

// trimTrailingEmpty drops empty cells past the first n.
func trimTrailingEmpty(rec []string, n int) []string {
	for len(rec) > n && strings.TrimSpace(rec[len(rec)-1]) == "" {
		rec = rec[:len(rec)-1]
	}
	return rec
}

// csvError words a CSV syntax error with its line.
func csvError(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Sprintf("line %d is not valid CSV (%v): check its quotes", pe.StartLine, pe.Err)
	}
	return err.Error()
}

// clip shortens text quoted back in a message.
func clip(s string) string {
	if r := []rune(s); len(r) > 80 {
		return string(r[:80]) + "…"
	}
	return s
}
