package routing

import (
	"testing"
	"time"
)

func TestCompulsorySchoolAgeEnds(t *testing.T) {
	for _, tc := range []struct {
		name, dob, want string
	}{
		// SPEC section 5.
		{"spec: turns 16 in September", "2007-09-23", "2024-06-28"},
		{"spec: 31 August, youngest of the year", "2008-08-31", "2024-06-28"},
		{"spec: 1 September, oldest of the year", "2008-09-01", "2025-06-27"},
		{"spec: leap day", "2012-02-29", "2028-06-30"},

		{"1 January", "2009-01-01", "2025-06-27"},
		{"31 December", "2008-12-31", "2025-06-27"},
		{"1 September of a leap year; June 30 is a Saturday", "2012-09-01", "2029-06-29"},
		{"31 August of a leap year", "2012-08-31", "2028-06-30"},
		{"leap day in a leap year", "2004-02-29", "2020-06-26"},
		{"June 30 is a Friday", "2006-10-10", "2023-06-30"},
		{"another year whose June 30 is a Friday", "2001-03-15", "2017-06-30"},
		{"June 30 is a Saturday", "2002-03-15", "2018-06-29"},
		{"birthday on the day itself", "2008-06-28", "2024-06-28"},
		{"birthday just after the day, still that school year", "2008-06-29", "2024-06-28"},
		{"June 30 is a Thursday", "2006-05-05", "2022-06-24"},
		{"June 30 is a Sunday", "2008-01-20", "2024-06-28"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dob, err := time.Parse(time.DateOnly, tc.dob)
			if err != nil {
				t.Fatal(err)
			}
			got := CompulsorySchoolAgeEnds(dob)
			if got.Format(time.DateOnly) != tc.want {
				t.Fatalf("CompulsorySchoolAgeEnds(%s) = %s, want %s", tc.dob, got.Format(time.DateOnly), tc.want)
			}
			if got.Weekday() != time.Friday || got.Month() != time.June || got.Day() < 24 {
				t.Fatalf("%s is not the last Friday of June", got.Format(time.DateOnly))
			}
			if h, m, s := got.Clock(); h != 0 || m != 0 || s != 0 || got.Location() != time.UTC {
				t.Fatalf("%s is not midnight UTC", got)
			}
		})
	}
}

// The time of day and zone of dob do not move the result.
func TestCompulsorySchoolAgeEndsIgnoresClock(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	dob := time.Date(2008, 8, 31, 23, 59, 0, 0, london)
	if got := CompulsorySchoolAgeEnds(dob).Format(time.DateOnly); got != "2024-06-28" {
		t.Fatalf("got %s, want 2024-06-28", got)
	}
}
