package reports

import (
	"strconv"
	"time"

	"github.com/s2sd/s2sd/internal/excelcsv"
)

// Table is a report: snake_case column names and rows of cells, each a
// string or an int.
type Table struct {
	Columns []string
	Rows    [][]any
}

// CSV is the report as a file for Excel (see excelcsv).
func (t Table) CSV() []byte {
	rows := make([][]string, len(t.Rows))
	for i, row := range t.Rows {
		rows[i] = make([]string, len(row))
		for j, v := range row {
			rows[i][j] = csvCell(v)
		}
	}
	return excelcsv.Write(t.Columns, rows)
}

func csvCell(v any) string {
	switch v := v.(type) {
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case string:
		return excelcsv.Cell(v)
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
