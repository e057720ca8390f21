package reports

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"time"
)

// Table is a report: snake_case column names and rows of cells, each a
// string or an int.
type Table struct {
	Columns []string
	Rows    [][]any
}

// bom starts every report file: without it, Excel reads a CSV file as
// the Windows code page and garbles Welsh school names.
const bom = "\ufeff"

// CSV is the report as a file for Excel: UTF-8 with a byte-order mark, a
// header row, and RFC 4180 quoting and CRLF line ends. A text cell that
// Excel would run as a formula is prefixed with an apostrophe.
func (t Table) CSV() []byte {
	var b bytes.Buffer
	b.WriteString(bom)
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	w.Write(t.Columns)
	for _, row := range t.Rows {
		cells := make([]string, len(row))
		for i, v := range row {
			cells[i] = csvCell(v)
		}
		w.Write(cells)
	}
	w.Flush() // writing to a bytes.Buffer cannot fail
	return b.Bytes()
}

func csvCell(v any) string {
	switch v := v.(type) {
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case string:
		if v != "" && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' || v[0] == '\r') {
			return "'" + v
		}
		return v
	}
	return ""
}

// day formats an instant as its UK date, e.g. "2026-11-24"; "" if unset.
func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(london).Format(time.DateOnly)
}

// stamp formats an instant as UK date and time to the minute, as Excel
// reads it, e.g. "2026-11-24 10:15"; "" if unset.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(london).Format("2006-01-02 15:04")
}
