package ledger

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
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
	ForwardedAs   string // the CTF name it was forwarded under, if it was
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
	dob, gender, town, postcode, la, school, school_name, uploaded_at, via, state, COALESCE(claimed_by,''), claimed_at, path,
	COALESCE(forwarded_as,'')`

func scanLost(rows *sql.Rows) ([]LostPupil, error) {
	defer rows.Close()
	var out []LostPupil
	for rows.Next() {
		var p LostPupil
		var uploaded string
		var claimed sql.NullString
		if err := rows.Scan(&p.ID, &p.TransferID, &p.UPN, &p.FormerUPN, &p.Surname, &p.FormerSurname, &p.Forename,
			&p.MiddleNames, &p.DOB, &p.Gender, &p.Town, &p.Postcode, &p.LA, &p.School, &p.SchoolName, &uploaded,
			&p.Via, &p.State, &p.ClaimedBy, &claimed, &p.Path, &p.ForwardedAs); err != nil {
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
//
// Each search uses an index (lost_test.go checks the plans): upn, the
// NOCASE surname index for a surname prefix, written as a range because
// SQLite does not use an index for LIKE with ESCAPE, or the soundex
// index. The state test is written +state so that the planner never
// prefers the state index, which would scan every record still lost.
func (l *Ledger) SearchLost(ctx context.Context, q routing.LostQuery, limit int) ([]LostPupil, error) {
	query, args := searchLostSQL(q, limit)
	rows, err := l.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return scanLost(rows)
}

// searchLostSQL is SearchLost's statement and its arguments.
func searchLostSQL(q routing.LostQuery, limit int) (string, []any) {
	where := []string{"+state = 'lost'"}
	var args []any
	if q.UPN != "" {
		where, args = append(where, "upn = ?"), append(args, q.UPN)
	}
	if q.Surname != "" {
		lo, hi, bounded := nocasePrefixRange(q.Surname)
		where, args = append(where, "surname >= ? COLLATE NOCASE"), append(args, lo)
		if bounded {
			where, args = append(where, "surname < ? COLLATE NOCASE"), append(args, hi)
		}
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
	from := `lost_pupils`
	if q.Like != "" && q.DOB != "" && q.UPN == "" && q.Surname == "" {
		// Seek on the date of birth too, rather than read every sound-alike
		// in name order as lost_pupils_soundex_name would.
		from = `lost_pupils INDEXED BY lost_pupils_soundex`
	}
	return `SELECT ` + lostColumns + ` FROM ` + from + ` WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY ` + order + ` LIMIT ?`, append(args, limit)
}

// nocasePrefixRange returns the range of strings that start with prefix
// under SQLite's NOCASE collation, which folds ASCII upper case to lower
// case and compares bytes: [lo, hi), with no upper bound if bounded is
// false. It is what LIKE 'prefix%' matches.
func nocasePrefixRange(prefix string) (lo, hi string, bounded bool) {
	b := []byte(prefix)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	lo = string(b)
	for len(b) > 0 && b[len(b)-1] == 0xff {
		b = b[:len(b)-1]
	}
	if len(b) == 0 {
		return lo, "", false
	}
	b[len(b)-1]++
	if c := b[len(b)-1]; c >= 'A' && c <= 'Z' {
		// Only '@'+1: folded, no byte lies between '@' and '['.
		b[len(b)-1] = '['
	}
	return lo, string(b), true
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

// ClaimedLost lists the records an LA has claimed and neither forwarded
// nor removed.
func (l *Ledger) ClaimedLost(ctx context.Context, la string) ([]LostPupil, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT `+lostColumns+` FROM lost_pupils
		WHERE claimed_by = ? AND state = 'claimed' AND forwarded_at IS NULL
		ORDER BY surname COLLATE NOCASE, id`, la)
	if err != nil {
		return nil, err
	}
	return scanLost(rows)
}

// LostForwarded records that the LA la forwarded its claimed record id to
// a school as name, with the audit event ev, in one commit. It fails with
// ErrNotFound unless the record is claimed by la and not yet forwarded.
func (l *Ledger) LostForwarded(ctx context.Context, id int64, la, name string, ev Event) error {
	return l.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE lost_pupils SET forwarded_as = ?, forwarded_at = ?
			WHERE id = ? AND claimed_by = ? AND state = 'claimed' AND forwarded_at IS NULL`, name, formatTime(ev.At), id, la)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return insertAudit(ctx, tx, ev)
	})
}

// How a record matches a row of a batch-matching CSV, strongest first.
const (
	MatchUPN        = "upn"         // the same UPN
	MatchNameDOB    = "name-dob"    // surname and forename (case-insensitive) and date of birth
	MatchSoundexDOB = "soundex-dob" // a sound-alike surname and date of birth
)

// LostMatch is a record still lost that matches a row of a
// batch-matching CSV, and how.
type LostMatch struct {
	How    string
	Record LostPupil
}

// MatchLost finds, for each row in order, the records still lost that
// match it, strongest match first, each record once, at most limit of
// each kind; it calls fn with the row's index and its matches (none for a
// row with a fault). Rows go to SQLite in chunks, as JSON, and each kind
// of match is one indexed join per chunk: a query per row would cost more
// in calls than in lookups.
func (l *Ledger) MatchLost(ctx context.Context, rows []routing.MatchRow, limit int, fn func(i int, ms []LostMatch) error) error {
	const chunk = 2000
	queries := lostMatchQueries()
	for first := 0; first < len(rows); first += chunk {
		part := rows[first:min(first+chunk, len(rows))]
		found := make([][]LostMatch, len(part))
		for _, q := range queries {
			keys, err := q.keys(part)
			if err != nil {
				return err
			}
			if err := l.matchJoin(ctx, q, keys, limit, found); err != nil {
				return err
			}
		}
		for i, ms := range found {
			if err := fn(first+i, ms); err != nil {
				return err
			}
		}
	}
	return nil
}

// matchJoin runs one kind of match for a chunk of rows and appends to
// found[i] each record not already found for row i, at most limit of
// them.
func (l *Ledger) matchJoin(ctx context.Context, q lostMatchQuery, keys []byte, limit int, found [][]LostMatch) error {
	rs, err := l.db.QueryContext(ctx, q.sql, string(keys))
	if err != nil {
		return err
	}
	defer rs.Close()
	added := make(map[int]int)
	for rs.Next() {
		var i int
		var p LostPupil
		var uploaded string
		var claimed sql.NullString
		if err := rs.Scan(&i, &p.ID, &p.TransferID, &p.UPN, &p.FormerUPN, &p.Surname, &p.FormerSurname, &p.Forename,
			&p.MiddleNames, &p.DOB, &p.Gender, &p.Town, &p.Postcode, &p.LA, &p.School, &p.SchoolName, &uploaded,
			&p.Via, &p.State, &p.ClaimedBy, &claimed, &p.Path, &p.ForwardedAs); err != nil {
			return err
		}
		if i < 0 || i >= len(found) || added[i] == limit || slices.ContainsFunc(found[i], func(m LostMatch) bool { return m.Record.ID == p.ID }) {
			continue
		}
		p.UploadedAt, p.ClaimedAt = parseTime(uploaded), nullTime(claimed)
		found[i] = append(found[i], LostMatch{How: q.how, Record: p})
		added[i]++
	}
	return rs.Err()
}

// lostMatchQuery is one way of matching rows: a join of lost_pupils with
// the rows' keys, passed as one JSON array of objects with the row's
// index in the chunk as "i".
type lostMatchQuery struct {
	how  string
	sql  string
	keys func([]routing.MatchRow) ([]byte, error)
}

// lostMatchQueries are MatchLost's statements, strongest first. Each
// looks records up by an index (lost_test.go checks the plans).
func lostMatchQueries() []lostMatchQuery {
	type key struct {
		I int    `json:"i"`
		A string `json:"a"`
		B string `json:"b,omitempty"`
		C string `json:"c,omitempty"`
	}
	q := func(how, on string, pick func(routing.MatchRow) (key, bool)) lostMatchQuery {
		return lostMatchQuery{
			how: how,
			sql: `SELECT r.value->>'i', ` + lostColumnsQualified + ` FROM json_each(?) AS r
				JOIN lost_pupils AS p ON ` + on + ` WHERE +p.state = 'lost'
				ORDER BY r.value->>'i', p.surname COLLATE NOCASE, p.forename COLLATE NOCASE, p.id`,
			keys: func(rows []routing.MatchRow) ([]byte, error) {
				ks := []key{}
				for i, r := range rows {
					if k, ok := pick(r); ok && r.Fault == "" {
						k.I = i
						ks = append(ks, k)
					}
				}
				return json.Marshal(ks)
			},
		}
	}
	return []lostMatchQuery{
		q(MatchUPN, `p.upn = r.value->>'a'`, func(r routing.MatchRow) (key, bool) {
			return key{A: r.UPN}, r.UPN != ""
		}),
		q(MatchNameDOB, `p.surname = r.value->>'a' COLLATE NOCASE AND p.dob = r.value->>'b' AND p.forename = r.value->>'c' COLLATE NOCASE`,
			func(r routing.MatchRow) (key, bool) {
				return key{A: r.Surname, B: r.DOB, C: r.Forename}, r.Surname != "" && r.DOB != "" && r.Forename != ""
			}),
		q(MatchSoundexDOB, `p.surname_soundex = r.value->>'a' AND p.dob = r.value->>'b'`, func(r routing.MatchRow) (key, bool) {
			code := routing.Soundex(r.Surname)
			return key{A: code, B: r.DOB}, code != "" && r.DOB != ""
		}),
	}
}

// lostColumnsQualified is lostColumns for a query that names the table p.
const lostColumnsQualified = `p.id, p.transfer_id, p.upn, p.former_upn, p.surname, p.former_surname, p.forename, p.middle_names,
	p.dob, p.gender, p.town, p.postcode, p.la, p.school, p.school_name, p.uploaded_at, p.via, p.state, COALESCE(p.claimed_by,''), p.claimed_at, p.path,
	COALESCE(p.forwarded_as,'')`

// EventLostMatch is the audit event of a batch-matching run; its detail
// holds counts only.
const EventLostMatch = "lost-match"
