package reports

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/s2sd/s2sd/reports/reportstest"
	"github.com/s2sd/s2sd/routing"
)

// scenario builds reportstest's scripted year and a service whose clock
// stands at its end.
func scenario(t *testing.T) *Service {
	t.Helper()
	led := reportstest.Build(t, t.TempDir())
	return New(led, func() time.Time { return reportstest.Now })
}

func generate(t *testing.T, s *Service, v Viewer, name, period string) string {
	t.Helper()
	b, err := s.Generate(context.Background(), v, name, period)
	if err != nil {
		t.Fatalf("%s %s/%s: %v", v.Mailbox, period, name, err)
	}
	return string(b)
}

func expectReport(t *testing.T, who, name, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s %s:\n%s\nwant:\n%s", who, name, got, want)
	}
}

// TestScenario compares every report, as each kind of reader gets it for
// the current academic year, with the figures worked out by hand.
func TestScenario(t *testing.T) {
	s := scenario(t)
	la := func(role routing.Role, box string) Viewer { return Viewer{Role: role, Mailbox: box} }
	for _, v := range []Viewer{
		la(routing.RoleLAUser, "823LLLL"), la(routing.RoleLADBAView, "823LLLL"), la(routing.RoleLALostPupil, "823LLLL"),
		la(routing.RoleLAPlasc, "823PLAS"),
	} {
		if got := s.Names(v); len(got) != 12 {
			t.Fatalf("%s sees %d reports: %v", v.Role, len(got), got)
		}
		for _, name := range ReportNames() {
			expectReport(t, string(v.Role), name, generate(t, s, v, name+".csv", ""), reportstest.LA823[name])
		}
	}
	school := Viewer{Role: routing.RoleSchool, Mailbox: "8231234"}
	for name, want := range reportstest.Ampthill {
		expectReport(t, "Ampthill", name, generate(t, s, school, name+".csv", ""), want)
	}
	anglesey := Viewer{Role: routing.RoleLAUser, Mailbox: "660LLLL"}
	for name, want := range reportstest.Anglesey {
		expectReport(t, "Anglesey", name, generate(t, s, anglesey, name+".csv", ""), want)
	}
	admin := Viewer{Role: routing.RoleAdmin}
	for name, want := range reportstest.Admin {
		expectReport(t, "admin", name, generate(t, s, admin, name+".csv", ""), want)
	}
	// Every file involves Central Beds: an admin's other reports are its.
	for _, name := range []string{"cluster", "leaving-age", "generic", "quality"} {
		expectReport(t, "admin", name, generate(t, s, admin, name+".csv", ""), reportstest.LA823[name])
	}
	expectReport(t, "admin", "received", generate(t, s, admin, "received.csv", ""), reportstest.Admin["sent"])

	// A range, and the current year named as one.
	expectReport(t, "Ampthill", "2025-07-01_2025-10-31/sent", generate(t, s, school, "sent.csv", "2025-07-01_2025-10-31"),
		reportstest.AmpthillSentJulyToOctober)
	expectReport(t, "Central Beds", "2025-09-01_2026-08-31/usage", generate(t, s, la(routing.RoleLAUser, "823LLLL"), "usage.csv", "2025-09-01_2026-08-31"),
		reportstest.LA823["usage"])
	// One day, in UK time: transfer 2 was sent at 10:30 BST on 6 October.
	day := generate(t, s, la(routing.RoleLAUser, "823LLLL"), "schools.csv", "2025-10-06_2025-10-06")
	if want := reportstest.CSV("id,uploaded,file,kind,from,from_name,to,to_name,state,state_changed\n" +
		"2,2025-10-06 10:30,8231234_CTF_6602001_002.XML,ctf,8231234,Ampthill,6602001,\"Ysgol Môn, Amlwch\",collected,2025-10-07 14:15\n"); day != want {
		t.Errorf("one day:\n%s\nwant:\n%s", day, want)
	}
	// Before any transfer: headers only.
	if got := generate(t, s, admin, "monitor.csv", "2024-09-01_2025-06-30"); got != reportstest.CSV("la,la_name,direction,files,pupils,collected,awaiting,rejected,withdrawn,expired\n") {
		t.Errorf("empty monitor: %q", got)
	}
	// An LA with no files still sees its own three rows.
	if got, want := generate(t, s, la(routing.RoleLAUser, "825LLLL"), "monitor.csv", "2024-09-01_2025-06-30"), reportstest.CSV(
		"la,la_name,direction,files,pupils,collected,awaiting,rejected,withdrawn,expired\n"+
			"825,Bucks,within,0,0,0,0,0,0,0\n825,Bucks,incoming,0,0,0,0,0,0,0\n825,Bucks,outgoing,0,0,0,0,0,0,0\n"); got != want {
		t.Errorf("quiet LA's monitor:\n%s\nwant:\n%s", got, want)
	}
}

// TestLeavingAgeAsOf: a range that ends before today counts the 60 days
// from its last day.
func TestLeavingAgeAsOf(t *testing.T) {
	s := scenario(t)
	v := Viewer{Role: routing.RoleLAUser, Mailbox: "823LLLL"}
	head := "record,uploaded,la,school,school_name,destination,upn,surname,forename,dob,gender,school_age_ends,days_left\n"
	row := "2,2025-12-02,823,8232345,Biggleswade,MMMMMMM,R823234500000,Ashcroft,Pupil0,2009-11-02,F,2026-06-26,"
	for _, c := range []struct{ period, want string }{
		{"2025-09-01_2026-04-27", head + row + "60\n"}, // 60 days before 26 June
		{"2025-09-01_2026-04-26", head},                // 61
	} {
		if got := generate(t, s, v, "leaving-age.csv", c.period); got != reportstest.CSV(c.want) {
			t.Errorf("%s:\n%s\nwant:\n%s", c.period, got, reportstest.CSV(c.want))
		}
	}
	// On 1 July the record is past school age and not yet removed.
	later := New(s.ledger, func() time.Time { return time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC) })
	if got, want := generate(t, later, v, "leaving-age.csv", ""), reportstest.CSV(head+row+"-5\n"); got != want {
		t.Errorf("on 1 July:\n%s\nwant:\n%s", got, want)
	}
}

func TestNames(t *testing.T) {
	s := New(nil, nil)
	all := []string{"sent.csv", "received.csv", "usage.csv", "schools.csv", "cluster.csv", "monitor.csv", "lost-numbers.csv",
		"lost-details.csv", "leaving-age.csv", "generic.csv", "messages.csv", "quality.csv"}
	for _, c := range []struct {
		role routing.Role
		want []string
	}{
		{routing.RoleSchool, []string{"sent.csv", "received.csv", "generic.csv", "quality.csv"}},
		{routing.RoleLAUser, all}, {routing.RoleLASchool, all}, {routing.RoleLADBA, all}, {routing.RoleLADBAView, all},
		{routing.RoleLALostPupil, all}, {routing.RoleLALostPupilTransfer, all}, {routing.RoleLAPlasc, all},
		{routing.RoleLAAdmissions, all}, {routing.RoleAdmin, all},
		{"visitor", nil},
	} {
		if got := s.Names(Viewer{Role: c.role}); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.role, got, c.want)
		}
	}
}

// TestRefused: a report a role may not read does not exist for it, and
// bad periods say what is wrong.
func TestRefused(t *testing.T) {
	s := scenario(t)
	school := Viewer{Role: routing.RoleSchool, Mailbox: "8231234"}
	la := Viewer{Role: routing.RoleLAUser, Mailbox: "823LLLL"}
	for _, c := range []struct {
		who          Viewer
		name, period string
		sentinel     error
		msg          string
	}{
		{school, "usage.csv", "", ErrNoReport, "usage.csv: no such report: list /reports for the reports you may read"},
		{school, "lost-details.csv", "", ErrNoReport, "lost-details.csv: no such report: list /reports for the reports you may read"},
		{school, "leaving-age.csv", "2025-09-01_2026-08-31", ErrNoReport, "leaving-age.csv: no such report: list /reports for the reports you may read"},
		{school, "", "lost-numbers.csv", ErrNoReport, "lost-numbers.csv: no such report: list /reports for the reports you may read"},
		{la, "sales.csv", "", ErrNoReport, "sales.csv: no such report: list /reports for the reports you may read"},
		{la, "sent", "", ErrNoReport, "sent: no such report: list /reports for the reports you may read"},
		{Viewer{Role: "visitor", Mailbox: "8231234"}, "sent.csv", "", ErrNoReport, "sent.csv: no such report: list /reports for the reports you may read"},
		{la, "sent.csv", "2025-09-01", ErrPeriod,
			`invalid report period "2025-09-01": name a period folder FROM_TO with dates as YYYY-MM-DD, e.g. 2025-09-01_2026-08-31`},
		{la, "", "last-year", ErrPeriod,
			`invalid report period "last-year": name a period folder FROM_TO with dates as YYYY-MM-DD, e.g. 2025-09-01_2026-08-31`},
		{la, "sent.csv", "2025-9-1_2026-08-31", ErrPeriod,
			`invalid report period "2025-9-1_2026-08-31": name a period folder FROM_TO with dates as YYYY-MM-DD, e.g. 2025-09-01_2026-08-31`},
		{la, "sent.csv", "2026-02-30_2026-08-31", ErrPeriod,
			`invalid report period "2026-02-30_2026-08-31": 2026-02-30 is not a real date: write dates as YYYY-MM-DD`},
		{la, "sent.csv", "2025-09-01_2026-13-01", ErrPeriod,
			`invalid report period "2025-09-01_2026-13-01": 2026-13-01 is not a real date: write dates as YYYY-MM-DD`},
		{la, "sent.csv", "2026-08-31_2025-09-01", ErrPeriod,
			`invalid report period "2026-08-31_2025-09-01": it ends before it starts: put the earlier date first`},
		{la, "sent.csv", "2018-09-01_2025-09-01", ErrPeriod,
			`invalid report period "2018-09-01_2025-09-01": it spans more than 7 years: ask for 7 years at most`},
	} {
		_, err := s.Generate(context.Background(), c.who, c.name, c.period)
		if !errors.Is(err, c.sentinel) || err.Error() != c.msg {
			t.Errorf("%s %s/%s: %v\nwant: %s", c.who.Role, c.period, c.name, err, c.msg)
		}
	}
	// Seven years to the day before is the longest period; a folder that
	// is a period is checked alone.
	if _, err := s.Generate(context.Background(), la, "", "2018-09-01_2025-08-31"); err != nil {
		t.Errorf("seven years: %v", err)
	}
}

func TestAcademicYear(t *testing.T) {
	for _, c := range []struct {
		now  time.Time
		want string
	}{
		{time.Date(2026, 5, 20, 12, 0, 0, 0, time.UTC), "2025-09-01_2026-08-31"},
		{time.Date(2026, 8, 31, 22, 59, 0, 0, time.UTC), "2025-09-01_2026-08-31"}, // 23:59 BST
		{time.Date(2026, 8, 31, 23, 0, 0, 0, time.UTC), "2026-09-01_2027-08-31"},  // midnight BST
		{time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), "2026-09-01_2027-08-31"},
	} {
		if got := AcademicYear(c.now).String(); got != c.want {
			t.Errorf("%s: %s, want %s", c.now, got, c.want)
		}
	}
	// A period's instants are UK days: BST at both ends here.
	p, _ := ParsePeriod("2025-09-01_2026-08-31")
	sp := p.span()
	if !sp.From.Equal(time.Date(2025, 8, 31, 23, 0, 0, 0, time.UTC)) || !sp.To.Equal(time.Date(2026, 8, 31, 23, 0, 0, 0, time.UTC)) {
		t.Errorf("span %v", sp)
	}
}

// TestScope reads every report as every party of the scenario and checks
// that each row names the reader: a school in a party column, an LA
// through one of its codes or its number.
func TestScope(t *testing.T) {
	s := scenario(t)
	parties := map[string]bool{"from": true, "to": true, "code": true, "school": true, "la": true, "from_la": true,
		"to_la": true, "claimed_by": true}
	var viewers []Viewer
	for _, m := range reportstest.Mailboxes {
		switch m.Kind {
		case "school":
			viewers = append(viewers, Viewer{Role: routing.RoleSchool, Mailbox: m.Code})
		case "la":
			for _, role := range []routing.Role{routing.RoleLAUser, routing.RoleLALostPupilTransfer, routing.RoleLADBAView} {
				viewers = append(viewers, Viewer{Role: role, Mailbox: m.Code})
			}
		case "la-plasc":
			viewers = append(viewers, Viewer{Role: routing.RoleLAPlasc, Mailbox: m.Code})
		}
	}
	rows := 0
	for _, v := range viewers {
		mine := func(code string) bool {
			if v.Role == routing.RoleSchool {
				return code == v.Mailbox
			}
			return code == v.Mailbox[:3] || len(code) == 7 && code[:3] == v.Mailbox[:3]
		}
		for _, period := range []string{"", "2019-09-01_2026-08-31"} {
			for _, name := range s.Names(v) {
				b := generate(t, s, v, name, period)
				r := csv.NewReader(strings.NewReader(strings.TrimPrefix(b, "\ufeff")))
				recs, err := r.ReadAll()
				if err != nil || len(recs) == 0 {
					t.Fatalf("%s %s: %v", v.Mailbox, name, err)
				}
				for _, rec := range recs[1:] {
					rows++
					ok := false
					for i, col := range recs[0] {
						if parties[col] && mine(rec[i]) {
							ok = true
						}
					}
					if !ok {
						t.Errorf("%s (%s) reads a row of %s outside its scope: %q", v.Mailbox, v.Role, name, rec)
					}
				}
			}
		}
	}
	if rows < 100 {
		t.Fatalf("only %d rows checked", rows)
	}
}

func TestCSV(t *testing.T) {
	tb := Table{Columns: []string{"a", "b", "n"}, Rows: [][]any{
		{"=HYPERLINK(\"x\")", "say \"hi\", twice", -3},
		{"+1", "line\nbreak", int64(7)},
		{"-x", "@SUM(A1)", 0},
		{"Ysgol Gŵyr", "", 1},
	}}
	want := "\ufeffa,b,n\r\n" +
		"\"'=HYPERLINK(\"\"x\"\")\",\"say \"\"hi\"\", twice\",-3\r\n" +
		"'+1,\"line\r\nbreak\",7\r\n" +
		"'-x,'@SUM(A1),0\r\n" +
		"Ysgol Gŵyr,,1\r\n"
	if got := tb.CSV(); !bytes.Equal(got, []byte(want)) {
		t.Errorf("got:\n%q\nwant:\n%q", got, want)
	}
}
