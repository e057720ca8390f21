package main

import (
	"context"
	"slices"
	"testing"

	"github.com/s2sd/s2sd/ledger"
)

func TestMailboxAdd(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	s.must("added school mailbox 8231234: Hilltop Lower School\n",
		"mailbox", "add", "8231234", "--name", "Hilltop Lower School", "--email", "office@hilltop.sch.uk", "--town", "Dunstable", "--postcode", "LU6 1AA")
	// Flags before the code; lower case; --kind agreeing.
	s.must("added la mailbox 823LLLL: Central Bedfordshire\n",
		"mailbox", "add", "--kind", "la", "--name=Central Bedfordshire", "--email=s2s@centralbedfordshire.gov.uk", "823llll")
	s.must("added la-plasc mailbox 823PLAS: Central Bedfordshire census\n",
		"mailbox", "add", "823PLAS", "--name", "Central Bedfordshire census", "--email", "census@centralbedfordshire.gov.uk", "--no-copies")
	s.must("added la-admissions mailbox 681ADMS: Cardiff admissions\n",
		"mailbox", "add", "681ADMS", "--name", "Cardiff admissions", "--email", "admissions@cardiff.gov.uk")

	m, err := s.ledger().Mailbox(context.Background(), "8231234")
	if err != nil {
		t.Fatal(err)
	}
	want := ledger.Mailbox{Code: "8231234", Name: "Hilltop Lower School", Kind: "school", LA: "823", Status: "open",
		Email: "office@hilltop.sch.uk", Town: "Dunstable", Postcode: "LU6 1AA", Copies: false,
		CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
	if m != want {
		t.Errorf("mailbox = %+v\nwant %+v", m, want)
	}

	s.must("CODE     NAME                         KIND           LA   STATUS  SUCCESSOR  EMAIL                              TOWN       POSTCODE  COPIES  URN\n"+
		"681ADMS  Cardiff admissions           la-admissions  681  open    -          admissions@cardiff.gov.uk          -          -         yes     -\n"+
		"8231234  Hilltop Lower School         school         823  open    -          office@hilltop.sch.uk              Dunstable  LU6 1AA   no      -\n"+
		"823LLLL  Central Bedfordshire         la             823  open    -          s2s@centralbedfordshire.gov.uk     -          -         yes     -\n"+
		"823PLAS  Central Bedfordshire census  la-plasc       823  open    -          census@centralbedfordshire.gov.uk  -          -         no      -\n",
		"mailbox", "list")

	events, err := s.ledger().AuditEvents(context.Background(), ledger.EventAdmin)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range events {
		got = append(got, e.Login+" "+e.Mailbox+" "+e.Object+" "+e.Detail)
	}
	wantEvents := []string{
		"cli 8231234 8231234 mailbox add kind=school",
		"cli 823LLLL 823LLLL mailbox add kind=la",
		"cli 823PLAS 823PLAS mailbox add kind=la-plasc",
		"cli 681ADMS 681ADMS mailbox add kind=la-admissions",
	}
	if !slices.Equal(got, wantEvents) {
		t.Errorf("audit = %q\nwant %q", got, wantEvents)
	}
}

func TestMailboxAddErrors(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	s.must("added school mailbox 8231234: Hilltop\n", "mailbox", "add", "8231234", "--name", "Hilltop", "--email", "office@hilltop.sch.uk")
	tests := []struct {
		name string
		args []string
		want result
	}{
		{"duplicate", []string{"8231234", "--name", "Again", "--email", "a@b.sch.uk"},
			fails(1, "mailbox 8231234 already exists")},
		{"short code", []string{"823123", "--name", "X", "--email", "a@b.sch.uk"},
			fails(1, `code "823123" must be 7 characters: a school's DfE number (e.g. 8231234) or an LA code (e.g. 823LLLL)`)},
		{"malformed code", []string{"823ABCD", "--name", "X", "--email", "a@b.sch.uk"},
			fails(1, `code "823ABCD" is not a school's DfE number (LLLSSSS) or an LA code (LLLLLLL, LLLPLAS, LLLADMS)`)},
		{"unknown LA", []string{"9991234", "--name", "X", "--email", "a@b.sch.uk"},
			fails(1, `code "9991234": 999 is not a known LA number: check the code, or add 999 to la_numbers in the config file if it is a new LA`)},
		{"lost pupil", []string{"XXXXXXX", "--name", "X", "--email", "a@b.sch.uk"},
			fails(1, "XXXXXXX is the Lost Pupil Database, not a mailbox: give a school's DfE number or an LA code")},
		{"lost pupil left", []string{"mmmmmmm", "--name", "X", "--email", "a@b.sch.uk"},
			fails(1, "MMMMMMM is the Lost Pupil Database, not a mailbox: give a school's DfE number or an LA code")},
		{"kind disagrees", []string{"8239999", "--kind", "la", "--name", "X", "--email", "a@b.sch.uk"},
			fails(1, "--kind la does not agree with code 8239999, which is a school mailbox: leave out --kind or fix the code")},
		{"unknown kind", []string{"8239999", "--kind", "academy", "--name", "X", "--email", "a@b.sch.uk"},
			fails(1, `unknown mailbox kind "academy": use one of school, la, la-plasc, la-admissions`)},
		{"no copies for a school", []string{"8239999", "--no-copies", "--name", "X", "--email", "a@b.sch.uk"},
			fails(1, "--no-copies is only for LA mailboxes, and 8239999 is a school mailbox: leave it out")},
		{"personal email", []string{"8239999", "--name", "X", "--email", "head@hotmail.co.uk"},
			fails(1, `email "head@hotmail.co.uk" is on a personal domain (hotmail.co.uk): use a school or LA address`)},
		{"bad email", []string{"8239999", "--name", "X", "--email", "Head <head@x.sch.uk>"},
			fails(1, `email "Head <head@x.sch.uk>" is not a valid address: give a plain address such as office@school.sch.uk`)},
		{"blank name", []string{"8239999", "--name", " ", "--email", "a@b.sch.uk"},
			fails(1, "--name is empty: give the name of the school or LA team")},
		{"missing flags", []string{"8239999"},
			fails(2, `missing flags: --email=ADDR, --name=STRING: see "s2sd mailbox add --help"`)},
		{"missing code", []string{"--name", "X", "--email", "a@b.sch.uk"},
			fails(2, `expected "<code>": see "s2sd mailbox add --help"`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expect(t, s.run(append([]string{"mailbox", "add"}, tt.args...)...), tt.want)
		})
	}
	ms, err := s.ledger().Mailboxes(context.Background())
	if err != nil || len(ms) != 1 {
		t.Errorf("mailboxes = %v, %v; want only 8231234", ms, err)
	}
}

func TestMailboxAddConfiguredLAs(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	cfg := t.TempDir() + "/s2sd.toml"
	writeFile(t, cfg, "la_numbers = [\"823\"]\n")
	expect(t, s.run("mailbox", "add", "6811234", "--name", "X", "--email", "a@b.sch.uk", "--config", cfg),
		fails(1, `code "6811234": 681 is not a known LA number: check the code, or add 681 to la_numbers in the config file if it is a new LA`))
	s.must("added school mailbox 8231234: X\n", "mailbox", "add", "8231234", "--name", "X", "--email", "a@b.sch.uk", "--config", cfg)
}

func TestMailboxClose(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	s.must("added school mailbox 8232345: Oakfield Middle School\n", "mailbox", "add", "8232345", "--name", "Oakfield Middle School", "--email", "office@oakfield.sch.uk")
	s.must("added school mailbox 8234012: Oakfield Academy\n", "mailbox", "add", "8234012", "--name", "Oakfield Academy", "--email", "office@oakfield.academy")
	s.must("added school mailbox 8230001: Old School\n", "mailbox", "add", "8230001", "--name", "Old School", "--email", "office@old.sch.uk")
	s.must("added la mailbox 823LLLL: Central Bedfordshire\n", "mailbox", "add", "823LLLL", "--name", "Central Bedfordshire", "--email", "s2s@cbc.gov.uk")
	s.must("closed mailbox 8230001\n", "mailbox", "close", "8230001")

	for _, tt := range []struct {
		name string
		args []string
		want result
	}{
		{"unknown", []string{"8239999"}, fails(1, `mailbox 8239999 does not exist: check the code with "s2sd mailbox list"`)},
		{"itself", []string{"8232345", "--successor", "8232345"},
			fails(1, "mailbox 8232345 cannot be its own successor: give another mailbox with --successor, or leave it out")},
		{"unknown successor", []string{"8232345", "--successor", "8238888"},
			fails(1, `successor 8238888 does not exist: add it first with "s2sd mailbox add" or "s2sd mailbox import"`)},
		{"closed successor", []string{"8232345", "--successor", "8230001"},
			fails(1, "successor 8230001 is closed: name an open mailbox as the successor of 8232345")},
		{"other kind", []string{"8232345", "--successor", "823LLLL"},
			fails(1, "successor 823LLLL is a la mailbox but 8232345 is a school mailbox: a successor must be of the same kind")},
		{"bad successor", []string{"8232345", "--successor", "XXXXXXX"},
			fails(1, "--successor: XXXXXXX is the Lost Pupil Database, not a mailbox: give a school's DfE number or an LA code")},
		{"malformed", []string{"82"}, fails(1, `code "82" must be 7 characters: a school's DfE number (e.g. 8231234) or an LA code (e.g. 823LLLL)`)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			expect(t, s.run(append([]string{"mailbox", "close"}, tt.args...)...), tt.want)
		})
	}

	// The flag may come first.
	s.must("closed mailbox 8232345: files for it now go to 8234012\n", "mailbox", "close", "--successor", "8234012", "8232345")
	s.must("code,name,kind,la,status,successor,email,town,postcode,copies,urn\n"+
		"8230001,Old School,school,823,closed,,office@old.sch.uk,,,no,\n"+
		"8232345,Oakfield Middle School,school,823,closed,8234012,office@oakfield.sch.uk,,,no,\n"+
		"8234012,Oakfield Academy,school,823,open,,office@oakfield.academy,,,no,\n"+
		"823LLLL,Central Bedfordshire,la,823,open,,s2s@cbc.gov.uk,,,yes,\n",
		"mailbox", "list", "--format", "csv")
}

func TestMailboxListFormats(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	// Empty.
	s.must("CODE  NAME  KIND  LA  STATUS  SUCCESSOR  EMAIL  TOWN  POSTCODE  COPIES  URN\n", "mailbox", "list")
	s.must("code,name,kind,la,status,successor,email,town,postcode,copies,urn\n", "mailbox", "list", "--format", "csv")
	s.must("[]\n", "mailbox", "list", "--format=json")

	s.must("added school mailbox 8231234: Smith & Jones \"Academy\", Upper <School>\n",
		"mailbox", "add", "8231234", "--name", `Smith & Jones "Academy", Upper <School>`, "--email", "office@sj.sch.uk", "--town", "Dunstable")
	s.must("added la mailbox 823LLLL: Central Bedfordshire\n", "mailbox", "add", "823LLLL", "--name", "Central Bedfordshire", "--email", "s2s@cbc.gov.uk")

	s.must("CODE     NAME                                     KIND    LA   STATUS  SUCCESSOR  EMAIL             TOWN       POSTCODE  COPIES  URN\n"+
		"8231234  Smith & Jones \"Academy\", Upper <School>  school  823  open    -          office@sj.sch.uk  Dunstable  -         no      -\n"+
		"823LLLL  Central Bedfordshire                     la      823  open    -          s2s@cbc.gov.uk    -          -         yes     -\n",
		"mailbox", "list", "--format", "table")
	s.must("code,name,kind,la,status,successor,email,town,postcode,copies,urn\n"+
		"8231234,\"Smith & Jones \"\"Academy\"\", Upper <School>\",school,823,open,,office@sj.sch.uk,Dunstable,,no,\n"+
		"823LLLL,Central Bedfordshire,la,823,open,,s2s@cbc.gov.uk,,,yes,\n",
		"mailbox", "list", "--format", "csv")
	s.must(`[
  {
    "code": "8231234",
    "name": "Smith & Jones \"Academy\", Upper <School>",
    "kind": "school",
    "la": "823",
    "status": "open",
    "successor": "",
    "email": "office@sj.sch.uk",
    "town": "Dunstable",
    "postcode": "",
    "copies": false,
    "urn": ""
  },
  {
    "code": "823LLLL",
    "name": "Central Bedfordshire",
    "kind": "la",
    "la": "823",
    "status": "open",
    "successor": "",
    "email": "s2s@cbc.gov.uk",
    "town": "",
    "postcode": "",
    "copies": true,
    "urn": ""
  }
]
`, "mailbox", "list", "--format", "json")
	expect(t, s.run("mailbox", "list", "--format", "xml"),
		fails(2, `--format must be one of "table","csv","json" but got "xml": see "s2sd mailbox list --help"`))
}
