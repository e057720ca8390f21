package reports

import (
	"context"
	"time"

	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/routing"
)

// LeavingDays is how far ahead the leaving-age report looks.
const LeavingDays = 60

// lostMeaning says what a Lost Pupil Database code means.
func lostMeaning(via string) string {
	if via == routing.CodeLostLeft {
		return "left the maintained sector"
	}
	return "missing"
}

// lostNumbers is lost-numbers.csv: for each LA, age (at upload) and
// gender, the records its schools uploaded in the period (missing: to
// XXXXXXX; left_sector: to MMMMMMM; since_claimed: of those, claimed
// since by any LA), and the records it claimed in the period.
func lostNumbers(ctx context.Context, s *Service, scope ledger.ReportScope, p Period) (Table, error) {
	cs, err := s.ledger.ReportLostCounts(ctx, scope, p.span())
	if err != nil {
		return Table{}, err
	}
	t := Table{Columns: []string{"la", "age", "gender", "uploaded", "missing", "left_sector", "since_claimed", "claimed_by_la"}}
	for _, c := range cs {
		t.Rows = append(t.Rows, []any{c.LA, c.Age, c.Gender, c.Uploaded, c.Missing, c.LeftSector, c.Claimed, c.ClaimedByLA})
	}
	return t, nil
}

// lostDetails is lost-details.csv: each record the LA's schools uploaded
// in the period, and each it claimed in the period: which destination,
// and whether and when it was claimed. It holds pupil data, for LA users
// who check that every leaver with no known destination was uploaded.
func lostDetails(ctx context.Context, s *Service, scope ledger.ReportScope, p Period) (Table, error) {
	rs, err := s.ledger.ReportLostDetails(ctx, scope, p.span())
	if err != nil {
		return Table{}, err
	}
	t := Table{Columns: []string{"record", "uploaded", "la", "school", "school_name", "destination", "meaning", "upn",
		"surname", "forename", "dob", "gender", "state", "claimed_by", "claimed_on"}}
	for _, r := range rs {
		t.Rows = append(t.Rows, []any{r.ID, day(r.UploadedAt), r.LA, r.School, r.SchoolName, r.Via, lostMeaning(r.Via), r.UPN,
			r.Surname, r.Forename, r.DOB, r.Gender, r.State, r.ClaimedBy, day(r.ClaimedAt)})
	}
	return t, nil
}

// leavingAge is leaving-age.csv: the records the LA's schools uploaded
// that are still lost and whose pupils reach the end of compulsory
// school age within LeavingDays of the period's last day, or of today if
// that is earlier; days_left is negative for those already past it. The
// uploading LA removes them then.
func leavingAge(ctx context.Context, s *Service, scope ledger.ReportScope, p Period) (Table, error) {
	asOf := Today(s.now())
	if p.To.Before(asOf) {
		asOf = p.To
	}
	limit := asOf.AddDate(0, 0, LeavingDays)
	// Compulsory school age ends in June of the school year a pupil
	// turns 16: for the last such June on or before limit, the pupils
	// born by 31 August sixteen years before.
	y := limit.Year()
	if routing.CompulsorySchoolAgeEnds(time.Date(y-16, time.August, 31, 0, 0, 0, 0, time.UTC)).After(limit) {
		y--
	}
	maxDOB := time.Date(y-16, time.August, 31, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	rs, err := s.ledger.ReportLostBornBy(ctx, scope, maxDOB)
	if err != nil {
		return Table{}, err
	}
	t := Table{Columns: []string{"record", "uploaded", "la", "school", "school_name", "destination", "upn", "surname",
		"forename", "dob", "gender", "school_age_ends", "days_left"}}
	for _, r := range rs {
		dob, err := time.Parse(time.DateOnly, r.DOB)
		if err != nil {
			continue // validation accepts only real dates
		}
		ends := routing.CompulsorySchoolAgeEnds(dob)
		if ends.After(limit) {
			continue
		}
		t.Rows = append(t.Rows, []any{r.ID, day(r.UploadedAt), r.LA, r.School, r.SchoolName, r.Via, r.UPN, r.Surname,
			r.Forename, r.DOB, r.Gender, ends.Format(time.DateOnly), int(ends.Sub(asOf).Hours() / 24)})
	}
	return t, nil
}
