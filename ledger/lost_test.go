package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/s2sd/s2sd/routing"
)

// lostAt is when the test records were uploaded.
var lostAt = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

// addLost inserts records as routing would, all under one transfer, and
// returns their ids in order.
func addLost(t testing.TB, l *Ledger, ps ...LostPupil) []int64 {
	t.Helper()
	ctx := context.Background()
	var ids []int64
	err := l.tx(ctx, func(tx *sql.Tx) error {
		var tid int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM transfers`).Scan(&tid); err != nil {
			return err
		}
		if tid == 0 {
			if err := insertTestTransfer(ctx, tx); err != nil {
				return err
			}
			tid = 1
		}
		for _, p := range ps {
			if p.LA == "" {
				p.LA, p.School, p.SchoolName, p.Via, p.Path = "823", "8231234", "Ampthill", "XXXXXXX", "lost/x.xml"
			}
			if p.UploadedAt.IsZero() {
				p.UploadedAt = lostAt
			}
			if err := insertLostPupil(ctx, tx, tid, p); err != nil {
				return err
			}
			var id int64
			if err := tx.QueryRowContext(ctx, `SELECT last_insert_rowid()`).Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func insertTestTransfer(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO transfers (id, name, kind, sender, sender_la, sender_login, addressed, dest, dest_la,
		size, sha256, pupils, uploaded_at, state, state_at, state_by, path)
		VALUES (1, '8231234_CTF_XXXXXXX_001.XML', 'ctf', '8231234', '823', 'ampthill', 'XXXXXXX', 'XXXXXXX', '', 1, '', 1, ?, 'awaiting', ?, 'ampthill', 'lost/x.xml')`,
		formatTime(lostAt), formatTime(lostAt))
	return err
}

func TestNocasePrefixRange(t *testing.T) {
	for _, c := range []struct {
		in, lo, hi string
		bounded    bool
	}{
		{"ash", "ash", "asi", true},
		{"ASH", "ash", "asi", true},
		{"O'Br", "o'br", "o'bs", true},
		{"baz", "baz", "ba{", true},
		{"a@", "a@", "a[", true},
		{"É", "É", "\xc3\x8a", true}, // bytes: only ASCII folds
		{"", "", "", false},
		{"\xff", "\xff", "", false},
	} {
		lo, hi, bounded := nocasePrefixRange(c.in)
		if lo != c.lo || hi != c.hi || bounded != c.bounded {
			t.Errorf("nocasePrefixRange(%q) = %q, %q, %t; want %q, %q, %t", c.in, lo, hi, bounded, c.lo, c.hi, c.bounded)
		}
	}
}

// TestSearchLostSurnamePrefix checks that the range finds exactly what
// a case-insensitive LIKE prefix finds.
func TestSearchLostSurnamePrefix(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()
	names := []string{"Ash", "ash", "ASHCROFT", "Ashcraft", "Asi", "Asha-Brown", "As", "Ashé", "Aśh", "Zash", "O'Brien", "O'Briend", "Obrien", "Ash@", "AshA", "Ash[", "Ash`"}
	var ps []LostPupil
	for i, n := range names {
		ps = append(ps, LostPupil{UPN: fmt.Sprintf("A%012d", i), Surname: n, Forename: "Kim", DOB: "2015-01-10", Gender: "F"})
	}
	addLost(t, l, ps...)
	for _, prefix := range []string{"ash", "ASH", "As", "o'b", "O'BRIEND", "ash@", "asha", "a", "Aś", "z", "ashé"} {
		got, err := l.SearchLost(ctx, routing.LostQuery{Surname: prefix, Sort: "surname"}, 200)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		rows, err := l.db.QueryContext(ctx, `SELECT surname FROM lost_pupils WHERE surname LIKE ? ESCAPE '\' ORDER BY surname COLLATE NOCASE, forename COLLATE NOCASE, dob, id`, likePrefix(prefix))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			rows.Scan(&s)
			want = append(want, s)
		}
		rows.Close()
		var gotNames []string
		for _, p := range got {
			gotNames = append(gotNames, p.Surname)
		}
		if !slices.Equal(gotNames, want) || len(want) == 0 && prefix != "z" && prefix != "ash@" {
			t.Errorf("surname=%s found %q; LIKE finds %q", prefix, gotNames, want)
		}
	}
}

func TestMatchLost(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()
	ids := addLost(t, l,
		LostPupil{UPN: "A823123400001", Surname: "Ashcroft", Forename: "Amy", DOB: "2015-01-10", Gender: "F"},
		LostPupil{UPN: "B823123400002", Surname: "Ashcraft", Forename: "Ben", DOB: "2015-01-10", Gender: "M"},
		LostPupil{UPN: "C823123400003", Surname: "ROBERT", Forename: "cara", DOB: "2014-02-03", Gender: "F"},
		LostPupil{UPN: "D823123400004", Surname: "Rupert", Forename: "Dan", DOB: "2014-02-03", Gender: "M"},
		LostPupil{UPN: "E823123400005", Surname: "Robert", Forename: "Cara", DOB: "2014-02-03", Gender: "F"},
	)
	if err := l.ClaimLost(ctx, ids[4], "660", "officer", "", lostAt); err != nil {
		t.Fatal(err)
	}
	rows := []routing.MatchRow{
		{Row: 2, UPN: "B823123400002", Surname: "Ashcroft", Forename: "Amy", DOB: "2015-01-10"},
		{Row: 3, Surname: "robert", Forename: "CARA", DOB: "2014-02-03"},
		{Row: 4, Surname: "Nobody", Forename: "X", DOB: "2014-02-03"},
		{Row: 5, UPN: "A823123400001", Fault: "dob is wrong"},
		{Row: 6, UPN: "D823123400004"},
	}
	var got []string
	err := l.MatchLost(ctx, rows, 200, func(i int, ms []LostMatch) error {
		for _, m := range ms {
			got = append(got, fmt.Sprintf("%d:%s:%d", rows[i].Row, m.How, m.Record.ID))
		}
		if len(ms) == 0 {
			got = append(got, fmt.Sprintf("%d:none", rows[i].Row))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Row 2: B by UPN, A by name and dob, not B again by soundex. Row 3:
	// C by name (E is claimed), D by soundex. Row 5 has a fault.
	want := []string{"2:upn:2", "2:name-dob:1", "3:name-dob:3", "3:soundex-dob:4", "4:none", "5:none", "6:upn:4"}
	if !slices.Equal(got, want) {
		t.Errorf("matches %q\nwant %q", got, want)
	}
}

// TestLostSearchPlans checks that every search and every batch-matching
// lookup uses an index of lost_pupils, never a scan of the table or of
// the state index, which holds every record still lost.
func TestLostSearchPlans(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()
	addLost(t, l, LostPupil{UPN: "A823123400001", Surname: "Ashcroft", Forename: "Amy", DOB: "2015-01-10", Gender: "F", Town: "Fernhollow"})
	for search, index := range map[string]string{
		"surname=ash,dob=2015-01-10":               "USING INDEX lost_pupils_surname (surname>? AND surname<?)",
		"surname=ash":                              "USING INDEX lost_pupils_surname (surname>? AND surname<?)",
		"surname=ash,forename=a,sort=uploaded":     "USING INDEX lost_pupils_surname (surname>? AND surname<?)",
		"like=Ashcraft":                            "USING INDEX lost_pupils_soundex_name (surname_soundex=?)",
		"like=Ashcraft,dob=2015-01-10":             "USING INDEX lost_pupils_soundex (surname_soundex=? AND dob=?)",
		"like=Ashcraft,town=Fernhollow,sort=dob":   "USING INDEX lost_pupils_soundex (surname_soundex=?)",
		"upn=A823123400001":                        "USING INDEX lost_pupils_upn (upn=?)",
		"upn=A823123400001,surname=a,gender=f":     "USING INDEX lost_pupils_upn (upn=?)",
		"surname=ash,like=Ashcraft,dob=2015-01-10": "USING INDEX lost_pupils_",
	} {
		q, err := routing.ParseLostQuery(search)
		if err != nil {
			t.Fatal(err)
		}
		query, args := searchLostSQL(q, 200)
		p := queryPlan(t, l, query, args...)
		if !strings.Contains(p, "SEARCH lost_pupils "+index) || strings.Contains(p, "SCAN") || strings.Contains(p, "lost_pupils_state") {
			t.Errorf("%s: plan\n%s\nwant SEARCH lost_pupils %s", search, p, index)
		}
		// A sound-alike search in name order reads the index in that
		// order and stops at the limit, rather than sort every candidate.
		if search == "like=Ashcraft" && strings.Contains(p, "TEMP B-TREE") {
			t.Errorf("%s: plan\n%s\nsorts; want the index's order", search, p)
		}
		if got, err := l.SearchLost(ctx, q, 200); err != nil || len(got) != 1 {
			t.Errorf("%s found %d: %v", search, len(got), err)
		}
	}
	rows := []routing.MatchRow{{UPN: "A823123400001", Surname: "Ashcroft", Forename: "Amy", DOB: "2015-01-10"}}
	for i, index := range []string{
		"USING INDEX lost_pupils_upn (upn=?)",
		"USING INDEX lost_pupils_surname (surname=? AND dob=?)",
		"USING INDEX lost_pupils_soundex (surname_soundex=? AND dob=?)",
	} {
		q := lostMatchQueries()[i]
		keys, err := q.keys(rows)
		if err != nil {
			t.Fatal(err)
		}
		p := queryPlan(t, l, q.sql, string(keys))
		if !strings.Contains(p, "SEARCH p "+index) || strings.Contains(p, "SCAN p") || strings.Contains(p, "lost_pupils_state") {
			t.Errorf("batch matching by %s: plan\n%s\nwant SEARCH p %s", q.how, p, index)
		}
	}
}
