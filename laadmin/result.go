package laadmin

import (
	"bytes"
	"fmt"
	"strings"
	"time"
)

// Outcomes of a row, counted in the result's summary.
const (
	outCreated   = "created"
	outChanged   = "changed"
	outDeleted   = "deleted"
	outUnchanged = "unchanged"
	outRefused   = "refused"
	outFailed    = "failed"
)

// outcome is what became of one row of an upload, or of a user or school
// whose row was removed (line 0).
type outcome struct {
	line int
	key  string // the login or school code
	kind string // one of the out… constants
	text string // e.g. "role changed from la-user to la-school"
}

// result is the outcome of an upload: each row's, or, for a file refused
// as a whole, why.
type result struct {
	rows    []outcome
	refused string
	failed  int
}

func (r *result) add(o outcome) {
	if o.kind == outFailed {
		r.failed++
	}
	r.rows = append(r.rows, o)
}

// summary counts the outcomes, e.g. "1 created, 2 unchanged, 1 refused".
func (r *result) summary() string {
	if r.refused != "" {
		return "refused as a whole: " + r.refused
	}
	n := map[string]int{}
	for _, o := range r.rows {
		n[o.kind]++
	}
	var parts []string
	for _, k := range []string{outCreated, outChanged, outDeleted, outUnchanged, outRefused, outFailed} {
		parts = append(parts, fmt.Sprintf("%d %s", n[k], k))
	}
	return strings.Join(parts, ", ")
}

// text is the result file: who uploaded what and when, then one line per
// row. It never holds a password.
func (r *result) text(file, login string, at time.Time) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s uploaded by %s on %s (UK time)\r\n\r\n", file, login, ukTime(at))
	if r.refused != "" {
		fmt.Fprintf(&b, "The file was refused and nothing in it was changed:\r\n\r\n- %s\r\n\r\n", r.refused)
		b.WriteString("Correct the file and upload it again.\r\n")
		return b.Bytes()
	}
	for _, o := range r.rows {
		where := "removed row"
		if o.line > 0 {
			where = fmt.Sprintf("line %d", o.line)
		}
		key := o.key
		if key == "" {
			key = "(blank)"
		}
		fmt.Fprintf(&b, "%s, %s: %s\r\n", where, key, o.text)
	}
	fmt.Fprintf(&b, "\r\nSummary: %s.\r\n", r.summary())
	if r.failed > 0 {
		b.WriteString("The rows that failed were not changed: upload the file again.\r\n")
	}
	return b.Bytes()
}
