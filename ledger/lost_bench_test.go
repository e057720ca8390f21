package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/s2sd/s2sd/internal/ctftest"
	"github.com/s2sd/s2sd/routing"
)

// lostBenchRecords is the size of the national database the benchmark
// searches (SPEC section 11).
const lostBenchRecords = 1_000_000

// BenchmarkLostSearch searches a real SQLite ledger of 1,000,000 lost
// pupils, generated once per run (it takes a while), the way the search
// folders do: a surname prefix with a date of birth, a sound-alike
// surname alone and with a date of birth, for common and rare surnames;
// and batch matching.
//
//	go test -run '^$' -bench BenchmarkLostSearch -benchtime 2s ./ledger
func BenchmarkLostSearch(b *testing.B) {
	ctx := context.Background()
	l, err := Open(ctx, filepath.Join(b.TempDir(), "ledger.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	start := time.Now()
	if err := generateLost(ctx, l, lostBenchRecords); err != nil {
		b.Fatal(err)
	}
	b.Logf("generated %d records in %s", lostBenchRecords, time.Since(start).Round(time.Second))

	for _, c := range []struct{ name, query string }{
		{"surname-prefix+dob/common", "surname=smi,dob=2015-06-15"},
		{"surname-prefix+dob/rare", "surname=ashc,dob=2015-06-15"},
		{"surname-prefix/common", "surname=smi"},
		{"like/common", "like=Smith"},
		{"like/rare", "like=Tymczak"},
		{"like+dob/common", "like=Smith,dob=2015-06-15"},
		{"upn", "upn=" + ctftest.UPN("823", "1234", 4242)},
	} {
		q, err := routing.ParseLostQuery(c.query)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			var found int
			for b.Loop() {
				ps, err := l.SearchLost(ctx, q, 200)
				if err != nil {
					b.Fatal(err)
				}
				found = len(ps)
			}
			b.ReportMetric(float64(found), "results")
		})
	}
	// Batch matching: 1,000 rows of a census extract, common and rare
	// surnames, each looked up by UPN, name and dob, and soundex and dob.
	rows := make([]routing.MatchRow, 1000)
	for i := range rows {
		rows[i] = routing.MatchRow{Row: i + 2, UPN: ctftest.UPN("823", "1234", i), Surname: benchSurnames[i%len(benchSurnames)],
			Forename: benchForename[i%len(benchForename)], DOB: time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i*3).Format("2006-01-02")}
	}
	b.Run("match/1000-rows", func(b *testing.B) {
		var found int
		for b.Loop() {
			found = 0
			err := l.MatchLost(ctx, rows, 200, func(_ int, ms []LostMatch) error { found += len(ms); return nil })
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(found), "results")
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rows)), "ns/row")
	})
}

// Surnames common in England and Wales, most common first; the rest of
// the generated surnames are made of syllables.
var benchSurnames = []string{"Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas",
	"Johnson", "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall",
	"Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill", "Ward", "Morris",
	"Moore", "Clark", "Lee", "King", "Baker", "Harrison", "Morgan", "Allen", "James", "Scott", "Phillips", "Watson",
	"Davis", "Parker", "Price", "Bennett", "Young", "Griffiths", "Mitchell", "Kelly", "Cook", "Carter", "Richardson",
	"Bailey", "Collins", "Bell", "Shaw", "Murphy", "Miller", "Cox", "Richards", "Khan", "Marshall", "Anderson",
	"Simpson", "Ellis", "Adams", "Singh", "Begum", "Wilkinson", "Foster", "Chapman", "Powell", "Webb", "Rogers",
	"Gray", "Mason", "Ali", "Hunt", "Hussain", "Campbell", "Matthews", "Owen", "Palmer", "Holmes", "Mills", "Barnes",
	"Knight", "Lloyd", "Butler", "Russell", "Barker", "Fisher", "Stevens", "Jenkins", "Murray", "Dixon", "Harvey",
	"Smyth", "Schmidt", "Smithson", "Ashcroft", "Ashcraft", "O'Brien", "Tymczak", "Pfister", "Robert", "Rupert"}

var (
	benchOnsets   = []string{"Ab", "Al", "Ash", "Bar", "Bel", "Bro", "Car", "Chad", "Cro", "Dal", "Der", "Ed", "Far", "Fen", "Gar", "Gil", "Hal", "Har", "Hol", "Ken", "Kir", "Lan", "Lin", "Mar", "Mel", "Mor", "Nor", "Oak", "Pen", "Pol", "Rad", "Ros", "Sal", "Sel", "Smi", "Sta", "Tal", "Thor", "Ul", "Wal", "Wen", "Whit", "Yar"}
	benchMiddles  = []string{"", "a", "e", "i", "o", "ing", "er", "en", "el"}
	benchCodas    = []string{"by", "croft", "den", "ford", "ham", "ley", "more", "ridge", "ton", "well", "wood", "worth", "son", "man", "field", "gate", "hurst", "stead", "wick", "thwaite"}
	benchForename = []string{"Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Isabella", "Rosie", "Sophia", "Grace", "Freya", "Willow", "Florence", "Emily", "Ella", "Poppy", "Evie", "Elsie", "Charlotte",
		"Noah", "Oliver", "George", "Arthur", "Muhammad", "Leo", "Harry", "Oscar", "Archie", "Henry", "Theodore", "Freddie", "Jack", "Charlie", "Theo", "Alfie", "Jacob", "Thomas", "Finley", "Arlo"}
	benchTowns = []string{"Bedford", "Luton", "Dunstable", "Leighton Buzzard", "Biggleswade", "Ampthill", "Flitwick", "Sandy", "Cardiff", "Swansea", "Newport", "Wrexham", "Bangor", "Holyhead", "Llangefni", "Leeds", "York", "Hull", "Bristol", "Bath"}
)

// generateLost inserts n invented lost pupils in transactions of 50,000,
// through the statement routing uses. Surnames follow a skewed
// distribution like the national one (Smith about 1.3%), dates of birth
// spread over the thirteen school years.
func generateLost(ctx context.Context, l *Ledger, n int) error {
	r := rand.New(rand.NewPCG(1, 2))
	weights := make([]float64, len(benchSurnames))
	total := 0.0
	for i := range weights {
		weights[i] = 0.0126 * math.Pow(float64(i+1), -0.75)
		total += weights[i]
	}
	first := time.Date(2009, 9, 1, 0, 0, 0, 0, time.UTC)
	const days = 13 * 365
	surname := func() string {
		x := r.Float64()
		if x < total {
			for i, w := range weights {
				if x -= w; x < 0 {
					return benchSurnames[i]
				}
			}
		}
		return benchOnsets[r.IntN(len(benchOnsets))] + benchMiddles[r.IntN(len(benchMiddles))] + benchCodas[r.IntN(len(benchCodas))]
	}
	const batch = 50_000
	for done := 0; done < n; done += batch {
		err := l.tx(ctx, func(tx *sql.Tx) error {
			// Index pages in cache rather than spilled and read back.
			if _, err := tx.ExecContext(ctx, `PRAGMA cache_size = -262144`); err != nil {
				return err
			}
			if done == 0 {
				if err := insertTestTransfer(ctx, tx); err != nil {
					return err
				}
			}
			for i := done; i < min(done+batch, n); i++ {
				la := fmt.Sprintf("%03d", 801+i%150)
				estab := fmt.Sprintf("%04d", 1000+i/150%9000)
				via := "XXXXXXX"
				if i%4 == 0 {
					via = "MMMMMMM"
				}
				p := LostPupil{
					UPN: ctftest.UPN(la, estab, i), Surname: surname(), Forename: benchForename[r.IntN(len(benchForename))],
					DOB: first.AddDate(0, 0, r.IntN(days)).Format("2006-01-02"), Gender: []string{"M", "F"}[r.IntN(2)],
					Town: benchTowns[r.IntN(len(benchTowns))], Postcode: "ZZ99 1AA", LA: la, School: la + estab,
					SchoolName: "Invented School", UploadedAt: lostAt.Add(-time.Duration(r.IntN(5*365*24)) * time.Hour),
					Via: via, Path: fmt.Sprintf("lost/%d.xml", i),
				}
				if i == 4242 { // the pupil the upn search finds
					p.UPN = ctftest.UPN("823", "1234", 4242)
				}
				if err := insertLostPupil(ctx, tx, 1, p); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
