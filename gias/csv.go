package gias

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// utf8BOM is the byte order mark some tools put at the start of a UTF-8 CSV.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// ErrEmpty is returned for a file with no header row.
var ErrEmpty = errors.New("the file is empty: expected a header row")

// table is a CSV file whose header has been read: the reader stands on the
// first data row, and cols maps each wanted column name to its index
// (-1 for an optional column the file lacks).
type table struct {
	r    *csv.Reader
	cols map[string]int
}

// decode returns data as UTF-8: without its byte order mark if it has one,
// and converted from Windows-1252 (the encoding of GIAS downloads) if it is
// not valid UTF-8.
func decode(data []byte) ([]byte, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	if utf8.Valid(data) {
		return data, nil
	}
	return charmap.Windows1252.NewDecoder().Bytes(data)
}

// openTable reads all of r, decodes it and reads the header row. Every
// column in required must be present; columns in optional may be missing.
// Header names match case-insensitively, ignoring surrounding spaces.
func openTable(r io.Reader, required, optional []string) (*table, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	data, err = decode(data)
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, ErrEmpty
	}
	if err != nil {
		return nil, csvError(err)
	}
	index := make(map[string]int, len(header))
	for i, h := range header {
		key := strings.ToLower(strings.TrimSpace(h))
		if _, dup := index[key]; !dup {
			index[key] = i
		}
	}
	t := &table{r: cr, cols: make(map[string]int, len(required)+len(optional))}
	var missing []string
	for _, name := range required {
		i, ok := index[strings.ToLower(name)]
		if !ok {
			missing = append(missing, fmt.Sprintf("%q", name))
		}
		t.cols[name] = i
	}
	if len(missing) > 0 {
		return nil, &MissingColumnsError{Columns: missing}
	}
	for _, name := range optional {
		i, ok := index[strings.ToLower(name)]
		if !ok {
			i = -1
		}
		t.cols[name] = i
	}
	return t, nil
}

// next returns the next data row and the line it starts on, or io.EOF.
func (t *table) next() (row []string, line int, err error) {
	row, err = t.r.Read()
	if err == io.EOF {
		return nil, 0, io.EOF
	}
	if err != nil {
		return nil, 0, csvError(err)
	}
	line, _ = t.r.FieldPos(0)
	return row, line, nil
}

// field returns the trimmed value of the named column in row, or "" if the
// file lacks the column.
func (t *table) field(row []string, name string) string {
	i := t.cols[name]
	if i < 0 || i >= len(row) {
		return ""
	}
	return strings.TrimSpace(row[i])
}

// MissingColumnsError reports required columns absent from the header row.
type MissingColumnsError struct {
	Columns []string // quoted names
}

func (e *MissingColumnsError) Error() string {
	return fmt.Sprintf("missing column(s) %s in the header row", strings.Join(e.Columns, ", "))
}

func csvError(err error) error {
	return fmt.Errorf("%w: the file is not well-formed CSV", err)
}
