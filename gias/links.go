package gias

import (
	"fmt"
	"io"
	"strings"
)

// Column names of the links file.
const (
	ColLinkURN  = "LinkURN"
	ColLinkType = "LinkType"
)

// Link is one row of the links file: establishment URN is linked to
// LinkURN. A closed establishment's successors have a LinkType beginning
// "Successor" ("Successor", "Successor - amalgamated", …).
type Link struct {
	Line     int // line of the file the row starts on; the header is line 1
	URN      string
	LinkURN  string
	LinkType string
}

// IsSuccessor reports whether LinkURN is a successor of URN.
func (l Link) IsSuccessor() bool {
	return len(l.LinkType) >= len("successor") && strings.EqualFold(l.LinkType[:len("successor")], "successor")
}

// ParseLinks reads a links file, with the same encodings as
// ParseEstablishments. URN, LinkURN and LinkType are required.
func ParseLinks(r io.Reader) ([]Link, error) {
	t, err := openTable(r, []string{ColURN, ColLinkURN, ColLinkType}, nil)
	if err != nil {
		return nil, fmt.Errorf("links: %w: %s", err, hintNotLinks)
	}
	var out []Link
	for {
		row, line, err := t.next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("links: %w", err)
		}
		out = append(out, Link{
			Line:     line,
			URN:      t.field(row, ColURN),
			LinkURN:  t.field(row, ColLinkURN),
			LinkType: t.field(row, ColLinkType),
		})
	}
}
