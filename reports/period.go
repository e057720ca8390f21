package reports

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // report dates are UK dates, on any host

	"github.com/s2sd/s2sd/ledger"
)

// MaxYears is the longest period a report covers: the ledger keeps six
// years of metadata by default.
const MaxYears = 7

// london is the zone of the dates reports take and show: the service is
// for England and Wales.
var london = mustLoadLocation("Europe/London")

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC // unreachable with time/tzdata embedded
	}
	return loc
}

// Period is the calendar days a report covers, both included: dates at
// midnight UTC, read as UK days.
type Period struct {
	From, To time.Time
}

// String is the period's folder name, e.g. "2025-09-01_2026-08-31".
func (p Period) String() string {
	return p.From.Format(time.DateOnly) + "_" + p.To.Format(time.DateOnly)
}

// span is the instants of the period: from the start of its first UK day
// to the start of the day after its last.
func (p Period) span() ledger.ReportPeriod {
	at := func(d time.Time) time.Time { return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, london) }
	return ledger.ReportPeriod{From: at(p.From), To: at(p.To.AddDate(0, 0, 1))}
}

// Today is now's UK calendar date, at midnight UTC.
func Today(now time.Time) time.Time {
	y, m, d := now.In(london).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// AcademicYear is the academic year (1 September to 31 August) that now
// falls in, by the UK date.
func AcademicYear(now time.Time) Period {
	d := Today(now)
	y := d.Year()
	if d.Month() < time.September {
		y--
	}
	return Period{From: time.Date(y, time.September, 1, 0, 0, 0, 0, time.UTC), To: time.Date(y+1, time.August, 31, 0, 0, 0, 0, time.UTC)}
}

// ParsePeriod parses a period folder's name: two ISO dates joined by an
// underscore, the first day and the last, e.g. "2025-09-01_2026-08-31".
func ParsePeriod(folder string) (Period, error) {
	from, to, ok := strings.Cut(folder, "_")
	if !ok || len(from) != len(time.DateOnly) || len(to) != len(time.DateOnly) {
		return Period{}, fmt.Errorf("%w %q: name a period folder FROM_TO with dates as YYYY-MM-DD, e.g. 2025-09-01_2026-08-31",
			ErrPeriod, folder)
	}
	return NewPeriod(from, to)
}

// NewPeriod checks the dates from and to (YYYY-MM-DD, both included) as
// a period: real dates, in order, and MaxYears at most.
func NewPeriod(from, to string) (Period, error) {
	label := from + "_" + to
	var p Period
	for _, d := range []struct {
		s   string
		out *time.Time
	}{{from, &p.From}, {to, &p.To}} {
		t, err := time.Parse(time.DateOnly, d.s)
		if err != nil || len(d.s) != len(time.DateOnly) {
			return Period{}, fmt.Errorf("%w %q: %s is not a real date: write dates as YYYY-MM-DD", ErrPeriod, label, d.s)
		}
		*d.out = t
	}
	if p.To.Before(p.From) {
		return Period{}, fmt.Errorf("%w %q: it ends before it starts: put the earlier date first", ErrPeriod, label)
	}
	if !p.To.Before(p.From.AddDate(MaxYears, 0, 0)) {
		return Period{}, fmt.Errorf("%w %q: it spans more than %d years: ask for %d years at most", ErrPeriod, label, MaxYears, MaxYears)
	}
	return p, nil
}
