package mailer

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	_ "time/tzdata" // notices show UK time, on any host
)

// Notice kinds: the outbox's kind column.
const (
	KindFileWaiting       = "file-waiting"
	KindConfirmation      = "confirmation"
	KindCollected         = "collected"
	KindRejected          = "rejected"
	KindValidationFailed  = "validation-failed"
	KindRedirected        = "redirected"
	KindExpired           = "expired"
	KindWithdrawn         = "withdrawn"
	KindWeekly            = "weekly"
	KindWeeklyLA          = "weekly-la"
	KindLostPupilsLeaving = "lost-pupils-leaving"
	KindNewUserUsername   = "new-user-username"
	KindNewUserPassword   = "new-user-password"
	KindSecureMessage     = "secure-message"
)

// The notices below are pure functions of small facts: codes, names of
// schools and LAs, file names, counts, dates, and the validator's reasons
// and warnings, which name pupils only by their position in a file. They
// take no pupil record, and so can put none in an email.

// Party is a mailbox as a notice names it: its code and name, e.g.
// 8231234 Ampthill Lower School.
type Party struct {
	Code string
	Name string
}

// String returns the code and name, on one line.
func (p Party) String() string {
	return oneLine(strings.TrimSpace(p.Code + " " + p.Name))
}

// subjectPrefix starts every subject, so that people can filter on it.
const subjectPrefix = "S2S: "

// footer ends every body.
const footer = `
-- 
This message was sent automatically by the S2S secure file transfer
service. Replies to it are not read. It holds no pupil data: pupils'
details stay in the files, inside S2S.
`

// london is the zone notices show times in: the service is for England
// and Wales.
var london = mustLoadLocation("Europe/London")

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC // unreachable with time/tzdata embedded
	}
	return loc
}

// day formats a date for a notice, e.g. "Tue 24 Nov 2026".
func day(t time.Time) string { return t.In(london).Format("Mon 2 Jan 2006") }

// clock formats a time for a notice, e.g. "Tue 24 Nov 2026 10:15".
func clock(t time.Time) string { return t.In(london).Format("Mon 2 Jan 2006 15:04") }

// oneLine turns any line break or tab into a space, so that a value from
// a register cannot break a header or the layout of a body.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '\r', '\n', '\t', '\v', '\f', 0x85, 0x2028, 0x2029:
			return ' '
		}
		return r
	}, s)
}

// fileNameShape is the S2S file name grammar's shape (SPEC section 4):
// codes, a type, a sequence number or a short text. It is looser than
// routing.ParseName, which also checks the codes, but admits nothing a
// pupil's details could hide in beyond a generic file's 15 characters.
var fileNameShape = regexp.MustCompile(`(?i)^[0-9A-Z]{7}_(?:(?:CTF|CML|CMJ)_?[0-9A-Z]{7}_[0-9]{3}\.XML|[0-9A-Z]{7}_[0-9A-Z_-]{1,15}\.ZIP)$`)

// fileName returns name as a notice may show it: a name that does not have
// the S2S shape (a local drop named after a pupil, say) is not shown.
func fileName(name string) string {
	if fileNameShape.MatchString(name) {
		return name
	}
	return "(a file whose name is not a valid S2S name)"
}

// recipients returns the addresses of lists, trimmed, without empty ones
// and without repeats (compared without case), in their first order.
func recipients(lists ...[]string) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range lists {
		for _, a := range l {
			a = strings.TrimSpace(oneLine(a))
			k := strings.ToLower(a)
			if a == "" || seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, a)
		}
	}
	return out
}

// body collects the lines of a notice's body.
type body struct{ strings.Builder }

func (b *body) line(format string, args ...any) {
	fmt.Fprintf(b, format, args...)
	b.WriteByte('\n')
}

func (b *body) blank() { b.WriteByte('\n') }

// list writes each item as an indented bullet.
func (b *body) list(items []string) {
	for _, it := range items {
		b.line("  - %s", oneLine(it))
	}
}

func (b *body) done() string { return b.String() + footer }

// plural returns "1 file" or "3 files".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func subject(format string, args ...any) string {
	return oneLine(subjectPrefix + fmt.Sprintf(format, args...))
}
