package laadmin

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/s2sd/s2sd/auth"
	"github.com/s2sd/s2sd/config"
	"github.com/s2sd/s2sd/internal/excelcsv"
	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/routing"
)

// now is the fixed clock of these tests: 10:15 in London, in winter.
var now = time.Date(2026, 11, 24, 10, 15, 0, 0, time.UTC)

var (
	dba     = DBA{Login: "cbdba", Mailbox: "823LLLL", Role: "la-dba", Remote: "192.0.2.1"}
	viewer  = DBA{Login: "cbview", Mailbox: "823LLLL", Role: "la-dba-view", Remote: "192.0.2.2"}
	fixture = []ledger.Mailbox{
		{Code: "8231234", Name: "Ampthill Lower School", Kind: "school", LA: "823", Email: "office@ampthill.sch.uk", Telephone: "01525403000", Town: "Ampthill"},
		{Code: "8232345", Name: "=Biggleswade Academy", Kind: "school", LA: "823", Email: "office@biggleswade.sch.uk", Telephone: "+44 1767 000000", Town: "Biggleswade"},
		{Code: "8233456", Name: "Old School", Kind: "school", LA: "823", Status: ledger.StatusClosed, Successor: "8231234"},
		{Code: "823LLLL", Name: "Central Bedfordshire Council", Kind: "la", LA: "823"},
		{Code: "823PLAS", Name: "Central Bedfordshire census", Kind: "la-plasc", LA: "823"},
		{Code: "8249999", Name: "Elsewhere School", Kind: "school", LA: "824"},
	}
	fixtureUsers = []ledger.User{
		{Login: "amp", Mailbox: "8231234", Role: "school", Email: "amp@example.sch.uk"},
		{Login: "big", Mailbox: "8232345", Role: "school", Email: "big@example.sch.uk"},
		{Login: "cbdba", Mailbox: "823LLLL", Role: "la-dba", Email: "cbdba@example.gov.uk"},
		{Login: "cbdba2", Mailbox: "823LLLL", Role: "la-dba", Email: "cbdba2@example.gov.uk"},
		{Login: "cbuser", Mailbox: "823LLLL", Role: "la-user", Email: "cbuser@example.gov.uk"},
		{Login: "cbview", Mailbox: "823LLLL", Role: "la-dba-view", Email: "cbview@example.gov.uk"},
		{Login: "plas", Mailbox: "823PLAS", Role: "la-plasc", Email: "plas@example.gov.uk"},
		{Login: "other", Mailbox: "8249999", Role: "school", Email: "other@example.sch.uk"},
		{Login: "root", Role: "admin", Email: "root@example.gov.uk"},
	}
)

// newTest is the service over a fresh ledger holding the fixture, with
// amp's last login at 09:00 and cbuser locked out.
func newTest(t *testing.T) (*Service, *ledger.Ledger) {
	t.Helper()
	ctx := context.Background()
	l, err := ledger.Open(ctx, filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	for _, m := range fixture {
		if err := l.AddMailbox(ctx, m, now.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range fixtureUsers {
		u.PasswordHash = "old-hash"
		if _, err := l.AddUser(ctx, u, now.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.LoginSucceeded(ctx, "amp", now.Add(-75*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := l.Exec(ctx, `UPDATE users SET locked_until = ? WHERE login = 'cbuser'`, now.Add(time.Hour).Format("2006-01-02T15:04:05.000000Z")); err != nil {
		t.Fatal(err)
	}
	las, err := routing.NewLANumbers([]string{"823", "824"})
	if err != nil {
		t.Fatal(err)
	}
	s := New(l, auth.NewHasher(auth.DefaultParams(), 2), Config{
		PersonalDomains: config.DefaultPersonalDomains(),
		Listen:          "sftp.example.gov.uk:22",
		LANumbers:       las,
		Now:             func() time.Time { return now },
	}, zerolog.Nop())
	return s, l
}

func csvText(lines ...string) []byte {
	return []byte(excelcsv.BOM + strings.Join(lines, "\r\n") + "\r\n")
}

func read(t *testing.T, s *Service, who DBA, name string) string {
	t.Helper()
	b, err := s.Read(context.Background(), who, name)
	if err != nil {
		t.Fatalf("Read(%s): %v", name, err)
	}
	return string(b)
}

func TestReadFiles(t *testing.T) {
	s, _ := newTest(t)
	for _, who := range []DBA{dba, viewer} {
		users := read(t, s, who, UsersFile)
		want := string(csvText(
			"login,mailbox,role,email,locked,last_login,reset",
			"amp,8231234,school,amp@example.sch.uk,no,2026-11-24 09:00,",
			"big,8232345,school,big@example.sch.uk,no,,",
			"cbdba,823LLLL,la-dba,cbdba@example.gov.uk,no,,",
			"cbdba2,823LLLL,la-dba,cbdba2@example.gov.uk,no,,",
			"cbuser,823LLLL,la-user,cbuser@example.gov.uk,yes,,",
			"cbview,823LLLL,la-dba-view,cbview@example.gov.uk,no,,",
			"plas,823PLAS,la-plasc,plas@example.gov.uk,no,,",
		))
		if users != want {
			t.Errorf("%s: users.csv:\n%q\nwant:\n%q", who.Role, users, want)
		}
		schools := read(t, s, who, SchoolsFile)
		want = string(csvText(
			"code,name,telephone,email,town",
			"8231234,Ampthill Lower School,01525403000,office@ampthill.sch.uk,Ampthill",
			"8232345,'=Biggleswade Academy,'+44 1767 000000,office@biggleswade.sch.uk,Biggleswade",
		))
		if schools != want {
			t.Errorf("%s: schools.csv:\n%q\nwant:\n%q", who.Role, schools, want)
		}
		files, err := s.List(context.Background(), who)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range files {
			names = append(names, f.Name)
			if f.Writable != (who.Role == "la-dba") {
				t.Errorf("%s: %s writable=%v", who.Role, f.Name, f.Writable)
			}
		}
		if want := []string{"schools.csv", "users.csv"}; !slices.Equal(names, want) {
			t.Errorf("%s: /admin lists %v, want %v", who.Role, names, want)
		}
	}
	if _, err := s.Read(context.Background(), dba, UsersResult); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Read(users.result.txt) before any upload = %v, want ErrNotExist", err)
	}
}

// tempPasswordRE finds the password in a temporary-password email.
var tempPasswordRE = regexp.MustCompile(`(?m)^    (\S+)$`)

// mails returns the queued mails to addr, by kind.
func mails(t *testing.T, l *ledger.Ledger, addr string) map[string]ledger.Mail {
	t.Helper()
	ms, err := l.DueMail(context.Background(), now.Add(time.Hour), 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]ledger.Mail{}
	for _, m := range ms {
		if slices.Equal(m.To, []string{addr}) {
			if _, dup := out[m.Kind]; dup {
				t.Errorf("two %s mails to %s", m.Kind, addr)
			}
			out[m.Kind] = m
		}
	}
	return out
}

// assertAccountMails checks the two emails of a new or reset account:
// the login in one, the password alone in the other, which must log in.
func assertAccountMails(t *testing.T, l *ledger.Ledger, login, addr string) {
	t.Helper()
	ms := mails(t, l, addr)
	user, pass := ms["new-user-username"], ms["new-user-password"]
	if len(ms) != 2 || !strings.Contains(user.Body, "Username: "+login) || strings.Contains(pass.Body, login) {
		t.Fatalf("mails to %s: %+v", addr, ms)
	}
	m := tempPasswordRE.FindStringSubmatch(pass.Body)
	if m == nil || strings.Contains(user.Body, m[1]) {
		t.Fatalf("password mail to %s: %q", addr, pass.Body)
	}
	u, err := l.User(context.Background(), login)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := auth.NewHasher(auth.DefaultParams(), 1).Verify(context.Background(), m[1], u.PasswordHash); !ok || err != nil || !u.MustChange {
		t.Errorf("%s: the mailed password does not verify (%v, %v) or is not temporary (%v)", login, ok, err, u.MustChange)
	}
}

func TestUploadUsers(t *testing.T) {
	s, l := newTest(t)
	ctx := context.Background()
	upload := csvText(
		"login,mailbox,role,email,locked,last_login,reset",
		"amp,8231234,school,amp@example.sch.uk,no,2026-11-24 09:00,",
		"BIG,8232345,School,big@example.sch.uk,no,,Yes",
		"cbdba,823llll,la-dba,cbdba@example.gov.uk,no,,",
		"cbdba2,823LLLL,la-user,cbdba2@example.gov.uk,no,,",
		"cbuser,823LLLL,la-school,cbuser@new.example.gov.uk,yes,,",
		"cbview,823LLLL,la-dba,cbview@example.gov.uk,no,,",
		"newbie,823LLLL,la-user,newbie@example.gov.uk,,,",
		"far,8249999,school,far@example.sch.uk,,,",
		"gmail,8231234,school,someone@gmail.com,,,",
		"other,8231234,school,other@example.sch.uk,,,",
		"dup,8231234,school,dup@example.sch.uk,,,",
		"Dup,8231234,school,dup@example.sch.uk,,,",
		"short,8231234",
		`"two words",8231234,school,tw@example.sch.uk,,,`,
		"ghost,8239999,school,ghost@example.sch.uk,,,",
		"shut,8233456,school,shut@example.sch.uk,,,",
		"wrongkind,8231234,la-user,wk@example.sch.uk,,,",
		"boss,823LLLL,admin,boss@example.gov.uk,,,",
		"mover,823PLAS,la-plasc,plas@example.gov.uk,,,",
		",,,,,,",
		"noemail,8231234,school,,,,",
	)
	// plas's row is gone: it is deleted. "mover" is a new login.
	if err := s.Put(ctx, dba, UsersFile, upload); err != nil {
		t.Fatalf("Put: %v", err)
	}
	got := read(t, s, viewer, UsersResult)
	want := "users.csv uploaded by cbdba on 2026-11-24 10:15 (UK time)\r\n\r\n" +
		"line 2, amp: unchanged\r\n" +
		"line 3, big: password reset; the username and temporary password were emailed separately to big@example.sch.uk\r\n" +
		"line 4, cbdba: unchanged\r\n" +
		"line 5, cbdba2: refused: cbdba2 is an LA database administrator (la-dba): only the service operators can change it\r\n" +
		"line 6, cbuser: role changed from la-user to la-school; email changed to cbuser@new.example.gov.uk\r\n" +
		"line 7, cbview: refused: only the service operators appoint LA database administrators (la-dba); ask them\r\n" +
		"line 8, newbie: created as la-user in 823LLLL; its username and temporary password were emailed separately to newbie@example.gov.uk\r\n" +
		"line 9, far: refused: 8249999 is not in your LA (823)\r\n" +
		"line 10, gmail: refused: email \"someone@gmail.com\" is on a personal domain (gmail.com): use a school or LA address\r\n" +
		"line 11, other: refused: login other is taken; choose another\r\n" +
		"line 12, dup: refused: login dup is on lines 12 and 13: give each user one row\r\n" +
		"line 13, Dup: refused: login Dup is on lines 12 and 13: give each user one row\r\n" +
		"line 14, short: refused: line 14 has 2 columns; each row needs 7: login,mailbox,role,email,locked,last_login,reset\r\n" +
		"line 15, two words: refused: login \"two words\" may hold only letters, digits, '.', '-', '_' and '@', and must start with a letter or digit\r\n" +
		"line 16, ghost: refused: mailbox 8239999 does not exist: the service operators add schools from the register; contact them\r\n" +
		"line 17, shut: refused: mailbox 8233456 is closed: use its successor 8231234\r\n" +
		"line 18, wrongkind: refused: role la-user does not fit 8231234, which is a school mailbox: give one of school\r\n" +
		"line 19, boss: refused: only the service operators can make admins\r\n" +
		"line 20, mover: created as la-plasc in 823PLAS; its username and temporary password were emailed separately to plas@example.gov.uk\r\n" +
		"line 22, noemail: refused: the email is empty: give a work address\r\n" +
		"removed row, plas: deleted (was la-plasc in 823PLAS)\r\n" +
		"\r\nSummary: 2 created, 2 changed, 1 deleted, 2 unchanged, 14 refused, 0 failed.\r\n"
	if got != want {
		t.Errorf("users.result.txt:\n%s\nwant:\n%s", got, want)
	}

	users, err := l.LAUsers(ctx, "823")
	if err != nil {
		t.Fatal(err)
	}
	var state []string
	for _, u := range users {
		state = append(state, u.Login+" "+u.Mailbox+" "+u.Role+" "+u.Email)
	}
	wantState := []string{
		"amp 8231234 school amp@example.sch.uk",
		"big 8232345 school big@example.sch.uk",
		"cbdba 823LLLL la-dba cbdba@example.gov.uk",
		"cbdba2 823LLLL la-dba cbdba2@example.gov.uk",
		"cbuser 823LLLL la-school cbuser@new.example.gov.uk",
		"cbview 823LLLL la-dba-view cbview@example.gov.uk",
		"newbie 823LLLL la-user newbie@example.gov.uk",
		"mover 823PLAS la-plasc plas@example.gov.uk",
	}
	if !slices.Equal(state, wantState) {
		t.Errorf("users of LA 823:\n%s\nwant:\n%s", strings.Join(state, "\n"), strings.Join(wantState, "\n"))
	}
	assertAccountMails(t, l, "newbie", "newbie@example.gov.uk")
	assertAccountMails(t, l, "big", "big@example.sch.uk")
	if ms := mails(t, l, "cbuser@new.example.gov.uk"); len(ms) != 0 {
		t.Errorf("a role and email change sent mails: %v", ms)
	}
	if u, _ := l.User(ctx, "cbuser"); u.PasswordHash != "old-hash" || !u.Locked(now) {
		t.Errorf("a role change touched the password or the lockout: %+v", u)
	}

	events, err := l.AuditEvents(ctx, ledger.EventAdmin)
	if err != nil {
		t.Fatal(err)
	}
	var audit []string
	for _, e := range events {
		audit = append(audit, strings.Join([]string{e.Login, e.Remote, e.Mailbox, e.Object, e.Detail}, " | "))
	}
	wantAudit := []string{
		"cbdba | 192.0.2.1 | 8232345 | big | user change password=temporary via=/admin/users.csv",
		"cbdba | 192.0.2.1 | 823LLLL | cbuser | user change role=la-user->la-school email=cbuser@new.example.gov.uk via=/admin/users.csv",
		"cbdba | 192.0.2.1 | 823LLLL | newbie | user add role=la-user mailbox=823LLLL password=temporary via=/admin/users.csv",
		"cbdba | 192.0.2.1 | 823PLAS | mover | user add role=la-plasc mailbox=823PLAS password=temporary via=/admin/users.csv",
		"cbdba | 192.0.2.1 | 823PLAS | plas | user del role=la-plasc via=/admin/users.csv",
	}
	if !slices.Equal(audit, wantAudit) {
		t.Errorf("audit:\n%s\nwant:\n%s", strings.Join(audit, "\n"), strings.Join(wantAudit, "\n"))
	}
	for _, b := range [][]byte{[]byte(got)} {
		for _, m := range tempPasswordRE.FindAllStringSubmatch(string(mails(t, l, "newbie@example.gov.uk")["new-user-password"].Body), -1) {
			if strings.Contains(string(b), m[1]) {
				t.Errorf("the result file holds a password")
			}
		}
	}
}

func TestUploadUsersOwnAndOtherDBAs(t *testing.T) {
	s, l := newTest(t)
	ctx := context.Background()
	// cbdba resets its own password, and removes the rows of itself and
	// of cbdba2; cbview's row is removed and goes.
	upload := csvText(
		"login,mailbox,role,email,locked,last_login,reset",
		"amp,8231234,school,amp@example.sch.uk,,,",
		"big,8232345,school,big@example.sch.uk,,,",
		"cbuser,823LLLL,la-user,cbuser@example.gov.uk,,,",
		"plas,823PLAS,la-plasc,plas@example.gov.uk,,,",
		"cbdba,823LLLL,la-dba,cbdba@example.gov.uk,,,yes",
	)
	if err := s.Put(ctx, dba, UsersFile, upload); err != nil {
		t.Fatal(err)
	}
	got := read(t, s, dba, UsersResult)
	for _, line := range []string{
		"line 6, cbdba: refused: you cannot change your own login here: ask the service operators\r\n",
		"removed row, cbdba2: refused: not deleted: LA database administrators (la-dba) are removed by the service operators; ask them\r\n",
		"removed row, cbview: deleted (was la-dba-view in 823LLLL)\r\n",
		"Summary: 0 created, 0 changed, 1 deleted, 4 unchanged, 2 refused, 0 failed.",
	} {
		if !strings.Contains(got, line) {
			t.Errorf("users.result.txt lacks %q:\n%s", line, got)
		}
	}
	if u, _ := l.User(ctx, "cbdba"); u.PasswordHash != "old-hash" {
		t.Errorf("the DBA reset its own password")
	}
	if _, err := l.User(ctx, "cbdba2"); err != nil {
		t.Errorf("cbdba2 was deleted: %v", err)
	}

	// Leaving out its own row changes nothing either.
	upload = csvText(
		"login,mailbox,role,email,locked,last_login,reset",
		"amp,8231234,school,amp@example.sch.uk,,,",
		"big,8232345,school,big@example.sch.uk,,,",
		"cbdba2,823LLLL,la-dba,cbdba2@example.gov.uk,,,",
		"cbuser,823LLLL,la-user,cbuser@example.gov.uk,,,",
		"plas,823PLAS,la-plasc,plas@example.gov.uk,,,",
	)
	if err := s.Put(ctx, dba, UsersFile, upload); err != nil {
		t.Fatal(err)
	}
	if got := read(t, s, dba, UsersResult); !strings.Contains(got, "removed row, cbdba: refused: not deleted: you cannot delete your own login\r\n") {
		t.Errorf("users.result.txt:\n%s", got)
	}
}

func TestUploadUsersRefusedWhole(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"header", csvText("user,mailbox,role", "amp,8231234,school"),
			`users.csv was refused and nothing in it was changed: its first line must be the header login,mailbox,role,email,locked,last_login,reset, not "user,mailbox,role"`},
		{"semicolons", csvText("login;mailbox;role;email;locked;last_login;reset"),
			`users.csv was refused and nothing in it was changed: its first line must be the header login,mailbox,role,email,locked,last_login,reset, not "login;mailbox;role;email;locked;last_login;reset"; the file uses semicolons: save it with commas`},
		{"empty", nil,
			`users.csv was refused and nothing in it was changed: its first line must be the header login,mailbox,role,email,locked,last_login,reset, not ""`},
		{"not UTF-8", []byte("login,mailbox,role,email,locked,last_login,reset\r\namp,8231234,school,amp@example.sch.uk,,,\r\nnew,8231234,school,caf\xe9@example.sch.uk,,,\r\n"),
			`users.csv was refused and nothing in it was changed: it is not UTF-8 text: in Excel, save it as "CSV UTF-8 (Comma delimited)"`},
		{"quotes", csvText("login,mailbox,role,email,locked,last_login,reset", `amp,8231234,school,"amp@example.sch.uk,,,`),
			`users.csv was refused and nothing in it was changed: line 2 is not valid CSV (extraneous or missing " in quoted-field): check its quotes`},
		// Only the DBAs (which cannot be deleted) would be left.
		{"header only", csvText("login,mailbox,role,email,locked,last_login,reset"),
			`users.csv was refused and nothing in it was changed: this file would delete 5 of the 7 users of LA 823; if you mean it, delete fewer at a time (at most half of them in one upload)`},
		{"most", csvText("login,mailbox,role,email,locked,last_login,reset",
			"amp,8231234,school,amp@example.sch.uk,,,",
			"newbie,823LLLL,la-user,newbie@example.gov.uk,,,"),
			`users.csv was refused and nothing in it was changed: this file would delete 4 of the 7 users of LA 823; if you mean it, delete fewer at a time (at most half of them in one upload)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, l := newTest(t)
			ctx := context.Background()
			err := s.Put(ctx, dba, UsersFile, tc.data)
			if err == nil || err.Error() != tc.want+"; users.result.txt says the same" {
				t.Fatalf("Put = %v\nwant %s", err, tc.want)
			}
			users, _ := l.LAUsers(ctx, "823")
			if len(users) != 7 {
				t.Errorf("%d users left, want all 7", len(users))
			}
			if ev, _ := l.AuditEvents(ctx, ledger.EventAdmin); len(ev) != 0 {
				t.Errorf("audited %v", ev)
			}
			reason := strings.TrimPrefix(tc.want, "users.csv was refused and nothing in it was changed: ")
			wantResult := "users.csv uploaded by cbdba on 2026-11-24 10:15 (UK time)\r\n\r\n" +
				"The file was refused and nothing in it was changed:\r\n\r\n- " + reason + "\r\n\r\n" +
				"Correct the file and upload it again.\r\n"
			if got := read(t, s, dba, UsersResult); got != wantResult {
				t.Errorf("users.result.txt:\n%q\nwant:\n%q", got, wantResult)
			}
		})
	}
}

// TestRoundTrip uploads the files as downloaded: nothing changes, though
// cells were quoted against Excel's formulas.
func TestRoundTrip(t *testing.T) {
	s, l := newTest(t)
	ctx := context.Background()
	for _, name := range []string{UsersFile, SchoolsFile} {
		b := read(t, s, dba, name)
		if err := s.Put(ctx, dba, name, []byte(b)); err != nil {
			t.Fatal(err)
		}
		res := read(t, s, dba, resultOf[name])
		if strings.Contains(res, ": refused") || !strings.Contains(res, " 0 changed, 0 deleted, ") {
			t.Errorf("%s uploaded unchanged:\n%s", name, res)
		}
		if again := read(t, s, dba, name); again != b {
			t.Errorf("%s changed:\n%s\nwas:\n%s", name, again, b)
		}
	}
	if ev, _ := l.AuditEvents(ctx, ledger.EventAdmin); len(ev) != 0 {
		t.Errorf("audited %v", ev)
	}
}

func TestUploadSchools(t *testing.T) {
	s, l := newTest(t)
	ctx := context.Background()
	upload := csvText(
		"Code,Name,Telephone,Email,Town",
		// Excel dropped the telephone's leading 0: no change.
		"8231234,Ampthill Lower School,1525403000,office@ampthill.sch.uk,Ampthill",
		"8232345,Biggleswade Academy,01767 111111,head@biggleswade.sch.uk,'=Biggleswade",
		"8239999,New School,,new@example.sch.uk,Somewhere",
		"8249999,Elsewhere School,,e@example.sch.uk,Elsewhere",
		"823LLLL,Central Bedfordshire Council,,,",
		"8233456,Old School,,,",
	)
	if err := s.Put(ctx, dba, SchoolsFile, upload); err != nil {
		t.Fatal(err)
	}
	got := read(t, s, dba, SchoolsResult)
	want := "schools.csv uploaded by cbdba on 2026-11-24 10:15 (UK time)\r\n\r\n" +
		"line 2, 8231234: unchanged\r\n" +
		"line 3, 8232345: updated name=\"Biggleswade Academy\", telephone=\"01767 111111\", email=\"head@biggleswade.sch.uk\", town=\"=Biggleswade\"\r\n" +
		"line 4, 8239999: refused: 8239999 is not one of your schools: schools are added by the service operators from the register; contact them\r\n" +
		"line 5, 8249999: refused: 8249999 is not in your LA (823)\r\n" +
		"line 6, 823LLLL: refused: 823LLLL is not a school: only schools' details are kept here\r\n" +
		"line 7, 8233456: refused: school 8233456 is closed: its details cannot be changed\r\n" +
		"\r\nSummary: 0 created, 1 changed, 0 deleted, 1 unchanged, 4 refused, 0 failed.\r\n"
	if got != want {
		t.Errorf("schools.result.txt:\n%s\nwant:\n%s", got, want)
	}
	m, _ := l.Mailbox(ctx, "8232345")
	if m.Name != "Biggleswade Academy" || m.Telephone != "01767 111111" || m.Email != "head@biggleswade.sch.uk" || m.Town != "=Biggleswade" {
		t.Errorf("8232345 is now %+v", m)
	}
	if m, _ := l.Mailbox(ctx, "8231234"); m.Telephone != "01525403000" {
		t.Errorf("8231234's telephone is now %q", m.Telephone)
	}

	// A removed row leaves its school alone; a personal address and a
	// bad telephone number are refused.
	upload = csvText(
		"code,name,telephone,email,town",
		"8232345,Biggleswade Academy,call us,head@hotmail.co.uk,Biggleswade",
		"8232345 ,Biggleswade Academy,01767 111111,head@hotmail.co.uk,Biggleswade",
	)
	if err := s.Put(ctx, dba, SchoolsFile, upload); err != nil {
		t.Fatal(err)
	}
	got = read(t, s, dba, SchoolsResult)
	for _, line := range []string{
		"line 2, 8232345: refused: school 8232345 is on lines 2 and 3: give each school one row\r\n",
		"removed row, 8231234: unchanged (schools cannot be removed here; ask the service operators to close one)\r\n",
	} {
		if !strings.Contains(got, line) {
			t.Errorf("schools.result.txt lacks %q:\n%s", line, got)
		}
	}
	upload = csvText(
		"code,name,telephone,email,town",
		"8231234,Ampthill Lower School,call us,office@ampthill.sch.uk,Ampthill",
		"8232345,Biggleswade Academy,01767 111111,head@hotmail.co.uk,=Biggleswade",
	)
	if err := s.Put(ctx, dba, SchoolsFile, upload); err != nil {
		t.Fatal(err)
	}
	got = read(t, s, dba, SchoolsResult)
	for _, line := range []string{
		"line 2, 8231234: refused: telephone \"call us\" may hold only digits, spaces and + ( ) -\r\n",
		"line 3, 8232345: refused: email \"head@hotmail.co.uk\" is on a personal domain (hotmail.co.uk): use a school or LA address\r\n",
	} {
		if !strings.Contains(got, line) {
			t.Errorf("schools.result.txt lacks %q:\n%s", line, got)
		}
	}
	events, _ := l.AuditEvents(ctx, ledger.EventAdmin)
	if len(events) != 1 || events[0].Object != "8232345" ||
		events[0].Detail != `school change name="Biggleswade Academy" telephone="01767 111111" email="head@biggleswade.sch.uk" town="=Biggleswade" via=/admin/schools.csv` {
		t.Errorf("audit: %+v", events)
	}
}

func TestViewerCannotWrite(t *testing.T) {
	s, l := newTest(t)
	ctx := context.Background()
	const msg = "la-dba-view users can read /admin/ but not change it; ask your LA's database administrator (la-dba)"
	for _, name := range []string{UsersFile, SchoolsFile} {
		if err := s.CheckPut(viewer, name); !errors.Is(err, fs.ErrPermission) || err.Error() != msg {
			t.Errorf("CheckPut(%s) = %v", name, err)
		}
		b := read(t, s, viewer, name)
		if err := s.Put(ctx, viewer, name, []byte(b)); !errors.Is(err, fs.ErrPermission) {
			t.Errorf("Put(%s) = %v", name, err)
		}
	}
	if err := s.Put(ctx, dba, UsersFile, []byte(read(t, s, dba, UsersFile))); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{UsersFile, UsersResult} {
		if err := s.Remove(ctx, viewer, name); !errors.Is(err, fs.ErrPermission) || err.Error() != "la-dba-view users can read /admin/ but not change it" {
			t.Errorf("Remove(%s) by the viewer = %v", name, err)
		}
	}
	if rs, _ := l.AdminResults(ctx, "823"); len(rs) != 1 {
		t.Errorf("results: %v", rs)
	}
}

func TestNamesAndRemove(t *testing.T) {
	s, _ := newTest(t)
	ctx := context.Background()
	for _, name := range []string{"users.xlsx", "users.result.txt", "notes.txt"} {
		err := s.CheckPut(dba, name)
		if !errors.Is(err, fs.ErrPermission) || err.Error() != "only users.csv and schools.csv can be uploaded to /admin/: download one, edit it and upload it under the same name" {
			t.Errorf("CheckPut(%s) = %v", name, err)
		}
	}
	school := DBA{Login: "amp", Mailbox: "8231234", Role: "school"}
	if _, err := s.List(ctx, school); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("a school user listed /admin/: %v", err)
	}
	if _, err := s.Read(ctx, school, UsersFile); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("a school user read users.csv: %v", err)
	}
	// Removing users.csv is how WinSCP makes way for its upload: it does
	// nothing. A result file goes for good.
	if err := s.Remove(ctx, dba, UsersFile); err != nil {
		t.Errorf("Remove(users.csv) = %v", err)
	}
	if err := s.Remove(ctx, dba, UsersResult); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Remove(users.result.txt) before any upload = %v", err)
	}
	if err := s.Put(ctx, dba, SchoolsFile, []byte(read(t, s, dba, SchoolsFile))); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, dba, SchoolsResult); err != nil {
		t.Errorf("Remove(schools.result.txt) = %v", err)
	}
	files, _ := s.List(ctx, dba)
	if len(files) != 2 {
		t.Errorf("after removing the result, /admin/ lists %+v", files)
	}
}
