// Package gias reads the government's register of establishments, "Get
// Information about Schools" (GIAS): the all-establishments extract
// (edubasealldata*.csv) and its links file. It is a pure parser; deciding
// which rows become mailboxes is the caller's business.
package gias

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Column names of the establishment extract that s2sd reads. A real
// extract has about 130 columns; the others are ignored.
const (
	ColURN      = "URN"
	ColLA       = "LA (code)"
	ColNumber   = "EstablishmentNumber"
	ColName     = "EstablishmentName"
	ColStatus   = "EstablishmentStatus (name)"
	ColTown     = "Town"
	ColPostcode = "Postcode"
)

// What to do when a file is not the expected one.
const (
	hintNotGIAS  = "give the GIAS all-establishments extract (edubasealldata*.csv) with its header row"
	hintNotLinks = "give the GIAS links file (links_edubasealldata*.csv) with its header row"
)

// Establishment statuses as GIAS writes them.
const (
	StatusOpen                = "Open"
	StatusOpenProposedToClose = "Open, but proposed to close"
	StatusProposedToOpen      = "Proposed to open"
	StatusClosed              = "Closed"
)

// ErrNoNumber is returned by Code for an establishment without an
// establishment number: it has no DfE number, so no mailbox.
var ErrNoNumber = errors.New("no establishment number")

// Establishment is one row of the extract, values trimmed of spaces.
type Establishment struct {
	Line     int    // line of the file the row starts on; the header is line 1
	URN      string // unique reference number
	LA       string // "LA (code)": the 3-digit LA number
	Number   string // "EstablishmentNumber", as written (GIAS drops leading zeros)
	Name     string
	Status   string // "EstablishmentStatus (name)"
	Town     string
	Postcode string
}

// Code returns the establishment's DfE number: its LA number followed by
// its establishment number zero-padded to 4 digits, e.g. "8230042".
func (e Establishment) Code() (string, error) {
	if e.Number == "" {
		return "", ErrNoNumber
	}
	if len(e.LA) != 3 || !allDigits(e.LA) {
		return "", fmt.Errorf("LA code %q is not 3 digits", e.LA)
	}
	if len(e.Number) > 4 || !allDigits(e.Number) {
		return "", fmt.Errorf("establishment number %q is not 1 to 4 digits", e.Number)
	}
	return e.LA + strings.Repeat("0", 4-len(e.Number)) + e.Number, nil
}

// Closed reports whether the establishment is closed. "Open", "Open, but
// proposed to close" and "Proposed to open" count as open; any status
// other than those and "Closed" is an error.
func (e Establishment) Closed() (bool, error) {
	switch {
	case strings.EqualFold(e.Status, StatusClosed):
		return true, nil
	case strings.EqualFold(e.Status, StatusOpen),
		strings.EqualFold(e.Status, StatusOpenProposedToClose),
		strings.EqualFold(e.Status, StatusProposedToOpen):
		return false, nil
	}
	return false, fmt.Errorf("unknown establishment status %q", e.Status)
}

// ParseEstablishments reads an establishment extract. The file may be
// UTF-8, with or without a byte order mark, or Windows-1252 (as GIAS
// serves it). Columns are found by their header names; a missing required
// column is a *MissingColumnsError. Town and Postcode are optional.
func ParseEstablishments(r io.Reader) ([]Establishment, error) {
	t, err := openTable(r, []string{ColURN, ColLA, ColNumber, ColName, ColStatus}, []string{ColTown, ColPostcode})
	if err != nil {
		return nil, fmt.Errorf("establishments: %w: %s", err, hintNotGIAS)
	}
	var out []Establishment
	for {
		row, line, err := t.next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("establishments: %w", err)
		}
		out = append(out, Establishment{
			Line:     line,
			URN:      t.field(row, ColURN),
			LA:       t.field(row, ColLA),
			Number:   t.field(row, ColNumber),
			Name:     t.field(row, ColName),
			Status:   t.field(row, ColStatus),
			Town:     t.field(row, ColTown),
			Postcode: t.field(row, ColPostcode),
		})
	}
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) > 0
}
