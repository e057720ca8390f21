package reports

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/routing"
)

// benchRows is the size of the generated ledger.
const benchRows = 5_000_000

// benchNow is the benchmark's clock: late in an academic year, so that the
// current year holds most of a year of transfers.
var benchNow = time.Date(2026, 5, 20, 12, 0, 0, 0, time.UTC)

// BenchmarkLAReports makes every report for one LA over a national
// ledger of 5,000,000 rows (see benchLedger), for the current academic
// year and for six years, and some of an admin's for the year. Run it
// with: go test ./reports -run '^$' -bench LAReports -benchtime 20x
func BenchmarkLAReports(b *testing.B) {
	path := filepath.Join(b.TempDir(), "ledger.db")
	start := time.Now()
	counts := benchLedger(b, path)
	b.Logf("generated %s in %s", counts, time.Since(start).Round(time.Second))
	led, err := ledger.Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	defer led.Close()
	s := New(led, func() time.Time { return benchNow })
	la := Viewer{Role: routing.RoleLAUser, Mailbox: "823LLLL"}
	run := func(name string, v Viewer, report, period string) {
		b.Run(name, func(b *testing.B) {
			var rows int
			for b.Loop() {
				out, err := s.Generate(context.Background(), v, report+".csv", period)
				if err != nil {
					b.Fatal(err)
				}
				rows = strings.Count(string(out), "\r\n") - 1
			}
			b.ReportMetric(float64(rows), "rows")
		})
	}
	for _, name := range ReportNames() {
		run("LA/year/"+name, la, name, "")
	}
	for _, name := range []string{"sent", "schools", "usage", "cluster", "monitor", "lost-details", "quality"} {
		run("LA/6years/"+name, la, name, "2020-05-21_2026-05-20")
	}
	admin := Viewer{Role: routing.RoleAdmin}
	for _, name := range []string{"usage", "cluster", "monitor", "lost-numbers"} {
		run("admin/year/"+name, admin, name, "")
	}
}

// benchCounts are the rows benchLedger wrote, table by table.
type benchCounts struct {
	mailboxes, transfers, lost, events, uploads int
}

func (c benchCounts) String() string {
	return fmt.Sprintf("%d ledger rows: %d transfers, %d lost pupil records, %d transfer events, %d uploads (and %d mailboxes)",
		c.transfers+c.lost+c.events+c.uploads, c.transfers, c.lost, c.events, c.uploads, c.mailboxes)
}

// benchLedger writes a national ledger of benchRows rows into a new
// SQLite file at path, in big transactions straight into the tables:
// every LA number with 130 schools, and six years of transfers up to
// benchNow, evenly spread in time. Of the transfers, 2% go to the Lost
// Pupil Database (each with its record, a third of them claimed) and the
// rest are 70% to a school of the same LA, 20% to another LA's school and
// 8% to the LA itself; one in ten of those is a generic zip, whose
// downloads are transfer events; 5% carry warnings. The uploads make up
// the rest of the rows: one in nine rejected with a reason, the others
// routed.
func benchLedger(b *testing.B, path string) benchCounts {
	b.Helper()
	led, err := ledger.Open(context.Background(), path) // the schema and its indexes
	if err != nil {
		b.Fatal(err)
	}
	led.Close()
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous=OFF&_cache_size=-524288")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	r := rand.New(rand.NewPCG(1, 2))
	const tf = "2006-01-02T15:04:05.000000Z"
	var c benchCounts

	prepare := func(q string) *sql.Stmt {
		st, err := db.Prepare(q)
		if err != nil {
			b.Fatal(err)
		}
		return st
	}
	mailbox := prepare(`INSERT INTO mailboxes (code, name, kind, la, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`)
	transfer := prepare(`INSERT INTO transfers (id, name, kind, sender, sender_la, sender_login, addressed, dest, dest_la, size,
		sha256, pupils, warnings, uploaded_at, state, state_at, state_by, collected_at, path, removed_at)
		VALUES (?, ?, ?, ?, ?, 'login', ?, ?, ?, ?, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', ?, ?, ?, ?, ?, 'login', ?, ?, ?)`)
	lost := prepare(`INSERT INTO lost_pupils (transfer_id, upn, surname, forename, dob, gender, la, school, school_name,
		uploaded_at, via, state, claimed_by, claimed_at, path) VALUES (?, 'A123456789012', 'Surname', 'Forename', ?, ?, ?, ?, 'A school', ?, ?, ?, ?, ?, 'lost/x')`)
	event := prepare(`INSERT INTO transfer_events (transfer_id, at, event, login) VALUES (?, ?, ?, 'login')`)
	upload := prepare(`INSERT INTO uploads (box, name, login, remote, size, sha256, received_at, outcome, plan, reasons, transfer_id, done_at)
		VALUES (?, ?, 'login', '127.0.0.1', 1000, 'x', ?, ?, '{}', ?, ?, ?)`)
	// The statements are prepared before a transaction takes the one
	// connection; each runs in the transaction of the moment.
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	stmts := map[*sql.Stmt]*sql.Stmt{}
	batch := 0
	exec := func(stmt *sql.Stmt, args ...any) {
		st, ok := stmts[stmt]
		if !ok {
			st = tx.Stmt(stmt)
			stmts[stmt] = st
		}
		if _, err := st.Exec(args...); err != nil {
			b.Fatal(err)
		}
		if batch++; batch%500_000 == 0 {
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
			if tx, err = db.Begin(); err != nil {
				b.Fatal(err)
			}
			clear(stmts)
		}
	}

	las := routing.DefaultLANumbers()
	const perLA = 130
	created := benchNow.AddDate(-7, 0, 0).Format(tf)
	for _, la := range las {
		exec(mailbox, la+"LLLL", "LA "+la, "la", la, created, created)
		for i := range perLA {
			exec(mailbox, fmt.Sprintf("%s%04d", la, 1000+i), fmt.Sprintf("School %s/%d", la, i), "school", la, created, created)
		}
		c.mailboxes += perLA + 1
	}
	school := func(la string) string { return fmt.Sprintf("%s%04d", la, 1000+r.IntN(perLA)) }

	from := benchNow.AddDate(-6, 0, 0)
	span := benchNow.Sub(from)
	c.transfers = benchRows * 78 / 100
	for id := 1; id <= c.transfers; id++ {
		at := from.Add(time.Duration(float64(span) * float64(id) / float64(c.transfers)))
		sla := las[r.IntN(len(las))]
		sender := school(sla)
		if r.IntN(20) == 0 {
			sender = sla + "LLLL"
		}
		kind, pupils, dest, dla := "ctf", 1+r.IntN(3)*r.IntN(10), "", sla
		switch p := r.IntN(100); {
		case p < 2:
			dest, dla = []string{routing.CodeLostUnknown, routing.CodeLostLeft}[r.IntN(2)], ""
			pupils = 1
		case p < 72:
			dest = school(sla)
		case p < 92:
			dla = las[r.IntN(len(las))]
			dest = school(dla)
		default:
			dest = sla + "LLLL"
		}
		if dla != "" && r.IntN(10) == 0 {
			kind, pupils = "generic", 0
		}
		state, changed, collected := "awaiting", at, any(nil)
		old := benchNow.Sub(at) > 60*24*time.Hour
		switch p := r.IntN(100); {
		case dla == "":
		case p < 5:
			state, changed = "rejected", at.Add(20*time.Hour)
		case old && p < 13:
			state, changed = "expired", at.AddDate(0, 2, 0)
		case old && p < 15:
			state, changed = "withdrawn", at.Add(48*time.Hour)
		case old || p < 60:
			state, changed = "collected", at.Add(time.Duration(1+r.IntN(72))*time.Hour)
			collected = changed.Format(tf)
		}
		warnings := ""
		if r.IntN(20) == 0 {
			warnings = "pupil 1: the address has no postcode"
		}
		var removed any
		if old {
			removed = at.AddDate(0, 2, 0).Format(tf)
		}
		name := fmt.Sprintf("%s_CTF_%s_%03d.XML", sender, dest, id%1000)
		exec(transfer, id, name, kind, sender, sla, dest, dest, dla, 1000+r.IntN(100_000), pupils, warnings, at.Format(tf),
			state, changed.Format(tf), collected, "spool/"+dest+"/inbox/"+name, removed)
		if dla == "" {
			var claimedBy, claimedAt any
			st := "lost"
			if r.IntN(3) == 0 {
				st, claimedBy, claimedAt = "claimed", las[r.IntN(len(las))], at.AddDate(0, 0, 1+r.IntN(60)).Format(tf)
			}
			dob := time.Date(2005+r.IntN(17), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
			exec(lost, id, dob, []string{"M", "F"}[r.IntN(2)], sla, sender, at.Format(tf), dest, st, claimedBy, claimedAt)
			c.lost++
		}
		if kind == "generic" && state == "collected" {
			exec(event, id, collected, ledger.TransferCollected)
			c.events++
			if r.IntN(4) == 0 {
				exec(event, id, changed.AddDate(0, 0, 3).Format(tf), ledger.TransferDownloaded)
				c.events++
			}
		}
	}
	c.uploads = benchRows - c.transfers - c.lost - c.events
	for i := range c.uploads {
		at := from.Add(time.Duration(float64(span) * float64(i) / float64(c.uploads)))
		box := school(las[r.IntN(len(las))])
		if i%9 == 0 {
			exec(upload, box, box+"_CTF_8231234_001.XML", at.Format(tf), "rejected", "pupil 1: Surname is missing", nil, at.Format(tf))
		} else {
			exec(upload, box, box+"_CTF_8231234_001.XML", at.Format(tf), "routed", "", 1+r.IntN(c.transfers), at.Format(tf))
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	return c
}
