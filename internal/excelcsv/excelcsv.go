// Package excelcsv writes CSV files as Excel in England and Wales opens
// them, and reads back what Excel saves: UTF-8 with a byte-order mark
// (without it Excel reads the Windows code page and garbles Welsh
// names), a header row, RFC 4180 quoting and CRLF line ends. A text cell
// Excel would run as a formula is prefixed with an apostrophe, so that a
// file from s2sd cannot run anything on the reader's machine.
package excelcsv

import (
	"bytes"
	"encoding/csv"
)

// BOM starts every file written.
const BOM = "\ufeff"

// Write makes a file of a header and rows of cells as they are to
// appear: text should have gone through Cell, numbers need not.
func Write(header []string, rows [][]string) []byte {
	var b bytes.Buffer
	b.WriteString(BOM)
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	w.Write(header)
	for _, r := range rows {
		w.Write(r)
	}
	w.Flush() // writing to a bytes.Buffer cannot fail
	return b.Bytes()
}

// WriteText makes a file of a header and rows of text cells.
func WriteText(header []string, rows [][]string) []byte {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = make([]string, len(r))
		for j, c := range r {
			out[i][j] = Cell(c)
		}
	}
	return Write(header, out)
}

// formulaStart reports whether Excel would read a cell starting with c as
// a formula.
func formulaStart(c byte) bool {
	return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r'
}

// Cell is s as written: prefixed with an apostrophe if Excel would take
// it for a formula.
func Cell(s string) string {
	if s != "" && formulaStart(s[0]) {
		return "'" + s
	}
	return s
}

// Uncell undoes Cell for a cell read back: only an apostrophe before
// what would be a formula is taken off, so a name such as 't Hooft keeps
// its own.
func Uncell(s string) string {
	if len(s) >= 2 && s[0] == '\'' && formulaStart(s[1]) {
		return s[1:]
	}
	return s
}
