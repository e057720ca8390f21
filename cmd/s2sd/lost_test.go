package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/s2sd/s2sd/delivery"
	"github.com/s2sd/s2sd/internal/ctftest"
	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/routing"
)

// lostSite is a site where schools have sent four lost pupils to the
// Lost Pupil Database through the real router: Ashcroft and Ashcraft
// born 2015-01-10, Robert and Rupert born 2014-02-03: ids 1 to 4.
func lostSite(t *testing.T) *site {
	t.Helper()
	s := newSite(t)
	led := s.ledger()
	ctx := context.Background()
	for _, m := range []ledger.Mailbox{
		{Code: "823LLLL", Name: "LA", Kind: "la", LA: "823", Copies: true},
		{Code: "8231234", Name: "Ampthill", Kind: "school", LA: "823"},
		{Code: "8232345", Name: "Biggleswade", Kind: "school", LA: "823"},
	} {
		if err := led.AddMailbox(ctx, m, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	las, _ := routing.NewLANumbers(routing.DefaultLANumbers())
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	r := delivery.New(delivery.Config{Data: s.data, LANumbers: las, Limits: routing.DefaultLimits(),
		Now: func() time.Time { return at }}, led, zerolog.Nop())
	r.Start(ctx)
	defer r.Close()
	for i, p := range []struct{ from, via, surname, dob string }{
		{"8231234", "XXXXXXX", "Ashcroft", "2015-01-10"},
		{"8231234", "MMMMMMM", "Ashcraft", "2015-01-10"},
		{"8232345", "XXXXXXX", "Robert", "2014-02-03"},
		{"8232345", "XXXXXXX", "Rupert", "2014-02-03"},
	} {
		doc := ctftest.CTF(ctftest.Options{SourceLEA: p.from[:3], SourceEstab: p.from[3:], DestLEA: p.via[:3], DestEstab: p.via[3:],
			Serial: i, Surname: p.surname})
		doc = strings.Replace(doc, "<DOB>2015-01-10</DOB>", "<DOB>"+p.dob+"</DOB>", 1)
		name := p.from + "_CTF_" + p.via + "_00" + itoa(i+1) + ".XML"
		outbox := filepath.Join(s.data, "spool", p.from, "outbox")
		os.MkdirAll(outbox, 0o700)
		if err := os.WriteFile(filepath.Join(outbox, name), []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		r.Expect(p.from, name, delivery.Sender{Login: "office", Mailbox: p.from, Role: routing.RoleSchool})
		r.Submit(p.from, name)
		r.Wait() // one at a time: ids 1 to 4 in order
	}
	return s
}

func TestLostSearchCommand(t *testing.T) {
	t.Parallel()
	s := lostSite(t)
	upn := func(school string, serial int) string { return ctftest.UPN(school[:3], school[3:], serial) }

	s.must("id,upn,former_upn,surname,former_surname,forename,middle_names,dob,gender,town,postcode,la,school,school_name,uploaded,destination\n"+
		"2,"+upn("8231234", 1)+",,Ashcraft,,Pupil0,,2015-01-10,M,Fernhollow,ZZ99 1AA,823,8231234,Ampthill,2026-11-24T10:00:00Z,MMMMMMM\n"+
		"1,"+upn("8231234", 0)+",,Ashcroft,,Pupil0,,2015-01-10,M,Fernhollow,ZZ99 1AA,823,8231234,Ampthill,2026-11-24T10:00:00Z,XXXXXXX\n",
		"lost", "search", "--surname", "ASH", "--dob", "2015-01-10", "--format", "csv")
	s.must("ID  UPN            FORMER_UPN  SURNAME  FORMER_SURNAME  FORENAME  MIDDLE_NAMES  DOB         GENDER  TOWN        POSTCODE  LA   SCHOOL   SCHOOL_NAME  UPLOADED              DESTINATION\n"+
		"4   "+upn("8232345", 3)+"  -           Rupert   -               Pupil0    -             2014-02-03  M       Fernhollow  ZZ99 1AA  823  8232345  Biggleswade  2026-11-24T10:00:00Z  XXXXXXX\n"+
		"3   "+upn("8232345", 2)+"  -           Robert   -               Pupil0    -             2014-02-03  M       Fernhollow  ZZ99 1AA  823  8232345  Biggleswade  2026-11-24T10:00:00Z  XXXXXXX\n",
		"lost", "search", "--like", "Robert", "--sort", "uploaded")
	s.must(`[
  {
    "id": 1,
    "upn": "`+upn("8231234", 0)+`",
    "former_upn": "",
    "surname": "Ashcroft",
    "former_surname": "",
    "forename": "Pupil0",
    "middle_names": "",
    "dob": "2015-01-10",
    "gender": "M",
    "town": "Fernhollow",
    "postcode": "ZZ99 1AA",
    "la": "823",
    "school": "8231234",
    "school_name": "Ampthill",
    "uploaded": "2026-11-24T10:00:00Z",
    "destination": "XXXXXXX"
  }
]
`, "lost", "search", "--upn", strings.ToLower(upn("8231234", 0)), "--format", "json")
	s.must("[]\n", "lost", "search", "--surname", "nobody", "--format", "json")

	for _, c := range []struct {
		args []string
		want result
	}{
		{[]string{"lost", "search", "--dob", "2015-01-10"},
			fails(1, "a search needs --upn, --surname or --like: add one of them, e.g. --surname jones --dob 2012-03-04")},
		{[]string{"lost", "search", "--surname", "ash", "--sort", "age"},
			fails(1, `sort "age" must be one of surname, forename, dob, uploaded, town`)},
		{[]string{"lost", "search", "--surname", "ash", "--dob", "2015-02-30"},
			fails(1, `dob "2015-02-30" must be a date written YYYY-MM-DD, e.g. 2012-03-04`)},
		{[]string{"lost", "search", "--surname", "a%"},
			fails(1, `surname "a%" may hold only letters, spaces, hyphens and apostrophes`)},
		{[]string{"lost", "search", "--surname", "ash,like=x"},
			fails(1, `--surname "ash,like=x" may not contain a comma or an equals sign`)},
		{[]string{"lost", "search", "--surname", "ash", "--format", "xml"},
			fails(2, `--format must be one of "table","csv","json" but got "xml": see "s2sd lost search --help"`)},
		{[]string{"lost", "search", "--name", "ash"},
			fails(2, `unknown flag --name: see "s2sd lost search --help"`)},
	} {
		expect(t, s.run(c.args...), c.want)
	}

	ev, err := s.ledger().AuditEvents(context.Background(), ledger.EventSearch)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ev {
		got = append(got, e.Login+" "+e.Object+" "+e.Detail)
	}
	want := []string{
		"cli surname=ASH,dob=2015-01-10 results=2",
		"cli like=Robert,sort=uploaded results=2",
		"cli upn=" + strings.ToLower(upn("8231234", 0)) + " results=1",
		"cli surname=nobody results=0",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
