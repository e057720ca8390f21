package ledger

import (
	"context"
	"database/sql"
	"time"
)

// ReportLostCount counts Lost Pupil Database records for one LA, age and
// gender over a period: those its parties uploaded, and those it claimed.
type ReportLostCount struct {
	LA     string
	Age    int // in whole years on the day of upload
	Gender string
	// Uploaded counts the records its parties uploaded in the period:
	// Missing to XXXXXXX, LeftSector to MMMMMMM; Claimed counts those of
	// them claimed since, by any LA.
	Uploaded, Missing, LeftSector, Claimed int
	// ClaimedByLA counts the records, uploaded by anyone, that this LA
	// claimed in the period.
	ClaimedByLA int
}

// lostAge is a record's age at upload in whole years, from the ISO texts
// of its upload time and date of birth.
const lostAge = `(CAST(substr(uploaded_at, 1, 4) AS INTEGER) - CAST(substr(dob, 1, 4) AS INTEGER)
	- (substr(uploaded_at, 6, 5) < substr(dob, 6, 5)))`

// scopeLost adds the scope's condition on the uploading party of records.
func (w *reportWhere) scopeLost(s ReportScope) {
	switch {
	case s.Mailbox != "":
		w.add(`school = ?`, s.Mailbox)
	case s.LA != "":
		w.add(`la = ?`, s.LA)
	}
}

// scopeClaims adds the scope's condition on the claiming LA of records.
// A school claims nothing.
func (w *reportWhere) scopeClaims(s ReportScope) {
	w.add(`claimed_by IS NOT NULL`)
	switch {
	case s.Mailbox != "":
		w.add(`0`)
	case s.LA != "":
		w.add(`claimed_by = ?`, s.LA)
	}
}

// ReportLostCounts counts the records uploaded and claimed in the period
// by LA, age and gender.
func (l *Ledger) ReportLostCounts(ctx context.Context, s ReportScope, p ReportPeriod) ([]ReportLostCount, error) {
	query, args := reportLostCountsSQL(s, p)
	rows, err := l.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ReportLostCount
	for rows.Next() {
		var c ReportLostCount
		if err := rows.Scan(&c.LA, &c.Age, &c.Gender, &c.Uploaded, &c.Missing, &c.LeftSector, &c.Claimed, &c.ClaimedByLA); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ReportLost is a Lost Pupil Database record as the detailed reports show
// it. It is pupil data: never log it.
type ReportLost struct {
	ID         int64
	UploadedAt time.Time
	LA         string // uploading LA number
	School     string // uploading school (or LA) code
	SchoolName string
	Via        string // XXXXXXX or MMMMMMM
	UPN        string
	Surname    string
	Forename   string
	DOB        string // YYYY-MM-DD
	Gender     string
	State      string
	ClaimedBy  string // LA number; "" if never claimed
	ClaimedAt  time.Time
}

func (ReportLost) String() string { return "ReportLost{redacted}" }

const reportLostColumns = `id, uploaded_at, la, school, school_name, via, upn, surname, forename, dob, gender, state,
	COALESCE(claimed_by, ''), claimed_at`

func scanReportLost(rows *sql.Rows) ([]ReportLost, error) {
	defer rows.Close()
	var out []ReportLost
	for rows.Next() {
		var r ReportLost
		var uploaded string
		var claimed sql.NullString
		if err := rows.Scan(&r.ID, &uploaded, &r.LA, &r.School, &r.SchoolName, &r.Via, &r.UPN, &r.Surname,
			&r.Forename, &r.DOB, &r.Gender, &r.State, &r.ClaimedBy, &claimed); err != nil {
			return nil, err
		}
		r.UploadedAt, r.ClaimedAt = parseTime(uploaded), nullTime(claimed)
		out = append(out, r)
	}
	return out, rows.Err()
}

// ReportLostDetails lists the records uploaded in the period by the
// scope's parties, and those its LA claimed in the period, oldest first.
func (l *Ledger) ReportLostDetails(ctx context.Context, s ReportScope, p ReportPeriod) ([]ReportLost, error) {
	query, args := reportLostDetailsSQL(s, p)
	rows, err := l.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return scanReportLost(rows)
}

// ReportLostBornBy lists the records still lost that the scope's parties
// uploaded, of pupils born on or before maxDOB (YYYY-MM-DD), youngest
// last.
func (l *Ledger) ReportLostBornBy(ctx context.Context, s ReportScope, maxDOB string) ([]ReportLost, error) {
	query, args := reportLostBornBySQL(s, maxDOB)
	rows, err := l.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return scanReportLost(rows)
}

// reportLostCountsSQL is ReportLostCounts's statement and its arguments.
func reportLostCountsSQL(s ReportScope, p ReportPeriod) (string, []any) {
	var up, cl reportWhere
	up.period("uploaded_at", p)
	up.scopeLost(s)
	cl.period("claimed_at", p)
	cl.scopeClaims(s)
	return `SELECT la, age, gender, SUM(up), SUM(up AND via = 'XXXXXXX'),
			SUM(up AND via = 'MMMMMMM'), SUM(up AND claimed), SUM(cl)
		FROM (SELECT la, ` + lostAge + ` AS age, gender, 1 AS up, via, claimed_by IS NOT NULL AS claimed, 0 AS cl
				FROM lost_pupils WHERE ` + up.String() + `
			UNION ALL
			SELECT claimed_by, ` + lostAge + `, gender, 0, via, 1, 1
				FROM lost_pupils WHERE ` + cl.String() + `)
		GROUP BY la, age, gender ORDER BY la, age, gender`, append(append([]any{}, up.args...), cl.args...)
}

// reportLostDetailsSQL is ReportLostDetails's statement and its arguments.
func reportLostDetailsSQL(s ReportScope, p ReportPeriod) (string, []any) {
	var up, cl reportWhere
	up.period("uploaded_at", p)
	up.scopeLost(s)
	cl.period("claimed_at", p)
	cl.scopeClaims(s)
	return `SELECT ` + reportLostColumns + ` FROM lost_pupils
		WHERE (` + up.String() + `) OR (` + cl.String() + `) ORDER BY uploaded_at, id`, append(append([]any{}, up.args...), cl.args...)
}

// reportLostBornBySQL is ReportLostBornBy's statement and its arguments.
func reportLostBornBySQL(s ReportScope, maxDOB string) (string, []any) {
	var w reportWhere
	if s == (ReportScope{}) {
		w.add(`state = 'lost' AND dob <= ?`, maxDOB)
	} else {
		// +state: an LA's few hundred records through lost_pupils_la,
		// not every lost record in the country through lost_pupils_state.
		w.add(`+state = 'lost' AND dob <= ?`, maxDOB)
	}
	w.scopeLost(s)
	return `SELECT ` + reportLostColumns + ` FROM lost_pupils WHERE ` + w.String() + ` ORDER BY dob, id`, w.args
}
