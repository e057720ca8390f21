package routing

import "time"

// CompulsorySchoolAgeEnds returns the date on which a pupil born on dob
// stops being of compulsory school age: the last Friday of June in the
// school year (1 September to 31 August) in which the pupil turns 16.
//
// A pupil whose 16th birthday falls from September to December turns 16
// in the school year that ends the following summer; one whose birthday
// falls from January to August, in the school year that ends that summer.
// A pupil born on 29 February is treated like any other February birthday.
// The result is a date, at midnight UTC; only dob's calendar date is used.
func CompulsorySchoolAgeEnds(dob time.Time) time.Time {
	year := dob.Year() + 16
	if dob.Month() >= time.September {
		year++
	}
	return lastWeekdayOfMonth(year, time.June, time.Friday)
}

// lastWeekdayOfMonth returns the last day of month in year that falls on
// weekday, at midnight UTC.
func lastWeekdayOfMonth(year int, month time.Month, weekday time.Weekday) time.Time {
	// Day 0 of the next month is the last day of this one.
	last := time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC)
	back := (int(last.Weekday()) - int(weekday) + 7) % 7
	return last.AddDate(0, 0, -back)
}
