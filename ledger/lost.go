package ledger

import (
	"context"
	"database/sql"
	"time"
)

// LostPupil is a Lost Pupil Database record: the pupil fields of SPEC
// section 7. It is pupil data: never log it.
type LostPupil struct {
	ID            int64
	TransferID    int64
	UPN           string
	FormerUPN     string
	Surname       string
	FormerSurname string
	Forename      string
	MiddleNames   string
	DOB           string // YYYY-MM-DD
	Gender        string
	Town          string
	Postcode      string
	LA            string // uploading LA number
	School        string // uploading school (or LA) code
	SchoolName    string
	UploadedAt    time.Time
	Via           string // XXXXXXX or MMMMMMM
	State         string
	ClaimedBy     string
	ClaimedAt     time.Time
	Path          string
}

func (LostPupil) String() string { return "LostPupil{redacted}" }

func insertLostPupil(ctx context.Context, tx *sql.Tx, transferID int64, p LostPupil) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO lost_pupils (transfer_id, upn, former_upn, surname, former_surname, forename,
		middle_names, dob, gender, town, postcode, la, school, school_name, uploaded_at, via, path)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		transferID, p.UPN, p.FormerUPN, p.Surname, p.FormerSurname, p.Forename, p.MiddleNames, p.DOB, p.Gender,
		p.Town, p.Postcode, p.LA, p.School, p.SchoolName, formatTime(p.UploadedAt), p.Via, p.Path)
	return err
}

// LostPupils returns every record, oldest first (the search of issue 5
// adds indexed queries).
func (l *Ledger) LostPupils(ctx context.Context) ([]LostPupil, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT id, transfer_id, upn, former_upn, surname, former_surname, forename, middle_names,
		dob, gender, town, postcode, la, school, school_name, uploaded_at, via, state, COALESCE(claimed_by,''), claimed_at, path
		FROM lost_pupils ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []LostPupil
	for rows.Next() {
		var p LostPupil
		var uploaded string
		var claimed sql.NullString
		if err := rows.Scan(&p.ID, &p.TransferID, &p.UPN, &p.FormerUPN, &p.Surname, &p.FormerSurname, &p.Forename,
			&p.MiddleNames, &p.DOB, &p.Gender, &p.Town, &p.Postcode, &p.LA, &p.School, &p.SchoolName, &uploaded,
			&p.Via, &p.State, &p.ClaimedBy, &claimed, &p.Path); err != nil {
			return nil, err
		}
		p.UploadedAt, p.ClaimedAt = parseTime(uploaded), nullTime(claimed)
		out = append(out, p)
	}
	return out, rows.Err()
}
