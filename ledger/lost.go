package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/s2sd/s2sd/routing"
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
		middle_names, dob, gender, town, postcode, la, school, school_name, uploaded_at, via, path, surname_soundex)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		transferID, p.UPN, p.FormerUPN, p.Surname, p.FormerSurname, p.Forename, p.MiddleNames, p.DOB, p.Gender,
		p.Town, p.Postcode, p.LA, p.School, p.SchoolName, formatTime(p.UploadedAt), p.Via, p.Path, routing.Soundex(p.Surname))
	return err
}

const lostColumns = `id, transfer_id, upn, former_upn, surname, former_surname, forename, middle_names,
	dob, gender, town, postcode, la, school, school_name, uploaded_at, via, state, COALESCE(claimed_by,''), claimed_at, path`

func scanLost(rows *sql.Rows) ([]LostPupil, error) {
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

// LostPupils returns every record, oldest first.
func (l *Ledger) LostPupils(ctx context.Context) ([]LostPupil, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT `+lostColumns+` FROM lost_pupils ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return scanLost(rows)
}

// LostPupil returns one record.
func (l *Ledger) LostPupil(ctx context.Context, id int64) (LostPupil, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT `+lostColumns+` FROM lost_pupils WHERE id = ?`, id)
	if err != nil {
		return LostPupil{}, err
	}
	ps, err := scanLost(rows)
	if err != nil {
		return LostPupil{}, err
	}
	if len(ps) == 0 {
		return LostPupil{}, fmt.Errorf("lost pupil record %d: %w", id, ErrNotFound)
	}
	return ps[0], nil
}

// lostSorts maps a query's sort onto constant ORDER BY clauses.
var lostSorts = map[string]string{
	"surname":  "surname COLLATE NOCASE, forename COLLATE NOCASE, dob, id",
	"forename": "forename COLLATE NOCASE, surname COLLATE NOCASE, dob, id",
	"dob":      "dob, surname COLLATE NOCASE, id",
	"uploaded": "uploaded_at DESC, id DESC",
	"town":     "town COLLATE NOCASE, surname COLLATE NOCASE, id",
}

// SearchLost finds records still lost that match q, at most limit of them.
// Every value goes in as a parameter; the clauses are constant text.
func (l *Ledger) SearchLost(ctx context.Context, q routing.LostQuery, limit int) ([]LostPupil, error) {
	where := []string{"state = 'lost'"}
	var args []any
	if q.UPN != "" {
		where, args = append(where, "upn = ?"), append(args, q.UPN)
	}
	if q.Surname != "" {
		where, args = append(where, `surname LIKE ? ESCAPE '\'`), append(args, likePrefix(q.Surname))
	}
	if q.Like != "" {
		where, args = append(where, "surname_soundex = ?"), append(args, q.Like)
	}
	if q.Forename != "" {
		where, args = append(where, `forename LIKE ? ESCAPE '\'`), append(args, likePrefix(q.Forename))
	}
	if q.DOB != "" {
		where, args = append(where, "dob = ?"), append(args, q.DOB)
	}
	if q.Gender != "" {
		where, args = append(where, "gender = ?"), append(args, q.Gender)
	}
	if q.Town != "" {
		where, args = append(where, "town = ? COLLATE NOCASE"), append(args, q.Town)
	}
	order, ok := lostSorts[q.Sort]
	if !ok {
		order = lostSorts["surname"]
	}
	rows, err := l.db.QueryContext(ctx, `SELECT `+lostColumns+` FROM lost_pupils WHERE `+strings.Join(where, " AND ")+
		` ORDER BY `+order+` LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	return scanLost(rows)
}

// likePrefix escapes s for a LIKE prefix match.
func likePrefix(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s) + "%"
}

// ClaimLost records that an LA claims a lost record: the pupil is on roll
// at one of its schools. It fails if the record is no longer lost.
func (l *Ledger) ClaimLost(ctx context.Context, id int64, la, login, remote string, now time.Time) error {
	return l.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE lost_pupils SET state = 'claimed', claimed_by = ?, claimed_at = ?
			WHERE id = ? AND state = 'lost'`, la, formatTime(now), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("lost pupil record %d is no longer in the database: %w", id, ErrNotFound)
		}
		return insertAudit(ctx, tx, Event{At: now, Event: EventClaim, Login: login, Mailbox: routing.LACode(la),
			Remote: remote, Object: fmt.Sprintf("lost-pupil/%d", id)})
	})
}

// ClaimedLost lists the records an LA has claimed and not removed.
func (l *Ledger) ClaimedLost(ctx context.Context, la string) ([]LostPupil, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT `+lostColumns+` FROM lost_pupils WHERE claimed_by = ? AND state = 'claimed'
		ORDER BY surname COLLATE NOCASE, id`, la)
	if err != nil {
		return nil, err
	}
	return scanLost(rows)
}
