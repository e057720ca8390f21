package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// FormatFlag is the --format flag of the list commands.
type FormatFlag struct {
	Format string `enum:"table,csv,json" default:"table" help:"Output format: table, csv or json."`
}

// listing is what a list command prints: snake_case column names and rows
// of values, each a string, bool, int or time.Time.
type listing struct {
	columns []string
	rows    [][]any
}

// write prints l in format: "table" (aligned text under upper-case
// headings), "csv" (RFC 4180 with a header row) or "json" (an array of
// objects keyed by column name).
func (l listing) write(w io.Writer, format string) error {
	switch format {
	case "table":
		return l.writeTable(w)
	case "csv":
		return l.writeCSV(w)
	case "json":
		return l.writeJSON(w)
	}
	return fmt.Errorf("unknown format %q: use table, csv or json", format)
}

func (l listing) writeTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(l.columns, "\t")))
	for _, row := range l.rows {
		cells := make([]string, len(row))
		for i, v := range row {
			cells[i] = text(v)
			if cells[i] == "" {
				cells[i] = "-"
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

func (l listing) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write(l.columns)
	for _, row := range l.rows {
		cells := make([]string, len(row))
		for i, v := range row {
			cells[i] = text(v)
		}
		cw.Write(cells)
	}
	cw.Flush()
	return cw.Error()
}

func (l listing) writeJSON(w io.Writer) error {
	var b bytes.Buffer
	b.WriteByte('[')
	for r, row := range l.rows {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('{')
		for i, v := range row {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := marshalJSON(&b, l.columns[i]); err != nil {
				return err
			}
			b.WriteByte(':')
			if err := marshalJSON(&b, jsonValue(v)); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	}
	b.WriteByte(']')
	var out bytes.Buffer
	if err := json.Indent(&out, b.Bytes(), "", "  "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err := out.WriteTo(w)
	return err
}

// text renders a value for table and csv output.
func text(v any) string {
	switch v := v.(type) {
	case bool:
		if v {
			return "yes"
		}
		return "no"
	case time.Time:
		if v.IsZero() {
			return ""
		}
		return v.UTC().Format(time.RFC3339)
	}
	return fmt.Sprint(v)
}

// jsonValue renders a value for json output: times as RFC 3339 text, or
// null when unset.
func jsonValue(v any) any {
	if t, ok := v.(time.Time); ok {
		if t.IsZero() {
			return nil
		}
		return t.UTC().Format(time.RFC3339)
	}
	return v
}

// marshalJSON appends v to b as JSON, leaving <, > and & as they are.
func marshalJSON(b *bytes.Buffer, v any) error {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Truncate(b.Len() - 1) // Encode's newline
	return nil
}
