package main

import (
	"testing"

	"github.com/s2sd/s2sd/reports/reportstest"
)

// reportSite is a site where reportstest's scripted year has been played
// through the real router.
func reportSite(t *testing.T) *site {
	t.Helper()
	s := newSite(t)
	reportstest.Build(t, s.data)
	return s
}

// The scenario's year up to its clock: every file was sent by 15 April,
// and leaving-age counts from 20 May, the last day asked for.
var scenarioDates = []string{"--from", "2025-09-01", "--to", "2026-05-20"}

// TestReportCommand prints every report as the CSV files /reports serves,
// for an LA, a school and an admin, with the figures worked out by hand.
func TestReportCommand(t *testing.T) {
	s := reportSite(t)
	for _, c := range []struct {
		mailbox string
		want    map[string]string
	}{
		{"823LLLL", reportstest.LA823},
		{"823plas", reportstest.LA823},
		{"8231234", reportstest.Ampthill},
		{"660LLLL", reportstest.Anglesey},
		{"", reportstest.Admin},
	} {
		for name, want := range c.want {
			args := append([]string{"report", name}, scenarioDates...)
			if c.mailbox != "" {
				args = append(args, "--mailbox", c.mailbox)
			}
			expect(t, s.run(args...), result{stdout: want})
		}
	}
	s.must(reportstest.AmpthillSentJulyToOctober, "report", "sent.csv", "--mailbox", "8231234", "--from", "2025-07-01", "--to", "2025-10-31")
}

func TestReportFormats(t *testing.T) {
	s := reportSite(t)
	s.must("FROM_LA  FROM_LA_NAME  TO_LA  TO_LA_NAME    CTFS  PUPILS  COLLECTED  AWAITING\n"+
		"660      Anglesey      823    Central Beds  1     1       0          1\n"+
		"823      Central Beds  660    Anglesey      1     3       1          0\n"+
		"823      Central Beds  823    Central Beds  2     3       1          0\n"+
		"823      Central Beds  825    Bucks         1     2       0          1\n",
		append([]string{"report", "cluster", "--format", "table", "--mailbox", "823LLLL"}, scenarioDates...)...)
	s.must(`[
  {
    "la": "823",
    "age": 10,
    "gender": "M",
    "uploaded": 1,
    "missing": 1,
    "left_sector": 0,
    "since_claimed": 1,
    "claimed_by_la": 0
  },
  {
    "la": "823",
    "age": 16,
    "gender": "F",
    "uploaded": 1,
    "missing": 0,
    "left_sector": 1,
    "since_claimed": 0,
    "claimed_by_la": 0
  }
]
`, append([]string{"report", "lost-numbers", "--format", "json", "--mailbox", "823LLLL"}, scenarioDates...)...)
	// A report with no rows: the header alone, or an empty array.
	s.must("LA  LA_NAME  CODE  NAME  RECEIVED  READ  UNREAD  OLDEST_UNREAD\n", "report", "messages", "--format", "table")
	s.must("[]\n", "report", "messages", "--format", "json")
	// With only --to, the longest period that ends then: seven years.
	s.must(reportstest.AmpthillSentJulyToOctober, "report", "sent", "--mailbox", "8231234", "--to", "2025-10-31")
}

func TestReportRefused(t *testing.T) {
	s := reportSite(t)
	expect(t, s.run("report", "sales"), fails(2, `unknown report "sales": use one of sent, received, usage, schools, cluster, monitor, `+
		`lost-numbers, lost-details, leaving-age, generic, messages, quality: see "s2sd report --help"`))
	expect(t, s.run("report", "usage", "--mailbox", "8231234"),
		fails(1, "report usage is not available to school mailbox 8231234: it may read sent.csv, received.csv, generic.csv, quality.csv"))
	expect(t, s.run("report", "sent", "--mailbox", "8239999"), fails(1, `mailbox 8239999 does not exist: see "s2sd mailbox list"`))
	expect(t, s.run("report", "sent", "--from", "2026-02-30", "--to", "2026-03-01"),
		fails(1, `invalid report period "2026-02-30_2026-03-01": 2026-02-30 is not a real date: write dates as YYYY-MM-DD`))
	expect(t, s.run("report", "sent", "--from", "2026-03-01", "--to", "2026-02-01"),
		fails(1, `invalid report period "2026-03-01_2026-02-01": it ends before it starts: put the earlier date first`))
	expect(t, s.run("report", "sent", "--from", "2010-01-01", "--to", "2026-02-01"),
		fails(1, `invalid report period "2010-01-01_2026-02-01": it spans more than 7 years: ask for 7 years at most`))
	expect(t, s.run("report", "sent", "--to", "31/10/2025"),
		fails(1, `invalid report period "31/10/2025_31/10/2025": 31/10/2025 is not a real date: write dates as YYYY-MM-DD`))
	expect(t, s.run("report", "sent", "--format", "xlsx"), fails(2, `--format must be one of "csv","table","json" but got "xlsx": see "s2sd report --help"`))
}
