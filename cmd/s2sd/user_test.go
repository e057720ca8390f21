package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/s2sd/s2sd/auth"
	"github.com/s2sd/s2sd/ledger"
)

// userSite is a site with one mailbox of each kind and a closed school,
// put straight into the ledger ("mailbox add" has its own tests).
func userSite(t *testing.T) *site {
	t.Helper()
	s := newSite(t)
	led := s.ledger()
	ctx := context.Background()
	for _, m := range []ledger.Mailbox{
		{Code: "8231234", Name: "Hilltop", Kind: "school", LA: "823", Email: "office@hilltop.sch.uk"},
		{Code: "823LLLL", Name: "Central Bedfordshire", Kind: "la", LA: "823", Email: "s2s@cbc.gov.uk", Copies: true},
		{Code: "823PLAS", Name: "Central Bedfordshire census", Kind: "la-plasc", LA: "823", Email: "census@cbc.gov.uk", Copies: true},
		{Code: "823ADMS", Name: "Central Bedfordshire admissions", Kind: "la-admissions", LA: "823", Email: "admissions@cbc.gov.uk", Copies: true},
		{Code: "8230001", Name: "Old School", Kind: "school", LA: "823", Email: "office@old.sch.uk"},
	} {
		if err := led.AddMailbox(ctx, m, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if err := led.CloseMailbox(ctx, "8230001", "", time.Now()); err != nil {
		t.Fatal(err)
	}
	return s
}

// keyFile writes a new ed25519 public key to a file and returns the file
// and the key's fingerprint.
func keyFile(t *testing.T, comment string) (path, fingerprint string) {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp))) + " " + comment + "\n"
	path = filepath.Join(t.TempDir(), "id_ed25519.pub")
	writeFile(t, path, line)
	return path, ssh.FingerprintSHA256(sp)
}

var tempPasswordLine = regexp.MustCompile(`^temporary password for (\S+): ([a-zA-Z0-9]{20}) \(must be changed at first login\)$`)

// temporaryPassword checks the line printing a temporary password and
// returns the password.
func temporaryPassword(t *testing.T, line, login string) string {
	t.Helper()
	m := tempPasswordLine.FindStringSubmatch(line)
	if m == nil || m[1] != login {
		t.Fatalf("line %q does not give %s's temporary password", line, login)
	}
	return m[2]
}

// checkPassword fails the test unless login's stored password is pw and
// its must-change mark is mustChange.
func checkPassword(t *testing.T, led *ledger.Ledger, login, pw string, mustChange bool) {
	t.Helper()
	u, err := led.User(context.Background(), login)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := auth.NewHasher(auth.DefaultParams(), 1).Verify(context.Background(), pw, u.PasswordHash)
	if err != nil || !ok {
		t.Errorf("%s's password does not verify: %v", login, err)
	}
	if u.MustChange != mustChange {
		t.Errorf("%s MustChange = %v, want %v", login, u.MustChange, mustChange)
	}
}

func TestUserAdd(t *testing.T) {
	t.Parallel()
	s := userSite(t)
	key, fp := keyFile(t, "carol@census-pc")

	expect(t, s.runIn("correct horse battery\n", "user", "add", "alice", "--mailbox", "8231234", "--role", "school", "--email", "alice@hilltop.sch.uk", "--password-stdin"),
		result{stdout: "added user alice (school) in mailbox 8231234\n"})
	checkPassword(t, s.ledger(), "alice", "correct horse battery", false)

	// Flags before the login; a lower-case mailbox code.
	r := s.run("user", "add", "--role", "la-dba", "--mailbox", "823llll", "--email", "dba@cbc.gov.uk", "--temporary-password", "bob")
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if r.code != 0 || r.stderr != "" || len(lines) != 2 || lines[0] != "added user bob (la-dba) in mailbox 823LLLL" {
		t.Fatalf("got %+v", r)
	}
	checkPassword(t, s.ledger(), "bob", temporaryPassword(t, lines[1], "bob"), true)

	// A key and no password.
	expect(t, s.run("user", "add", "carol", "--role", "la-plasc", "--mailbox", "823PLAS", "--email", "census@cbc.gov.uk", "--key", key),
		result{stdout: "added user carol (la-plasc) in mailbox 823PLAS\nadded key " + fp + " to carol\n"})
	u, err := s.ledger().User(context.Background(), "carol")
	if err != nil || u.PasswordHash != "" || u.Role != "la-plasc" || u.Mailbox != "823PLAS" {
		t.Errorf("carol = %+v, %v", u, err)
	}
	keys, err := s.ledger().Keys(context.Background(), "carol")
	if err != nil || len(keys) != 1 || keys[0].Fingerprint != fp || keys[0].Comment != "carol@census-pc" || !strings.HasPrefix(keys[0].Key, "ssh-ed25519 AAAA") {
		t.Errorf("carol's keys = %+v, %v", keys, err)
	}

	// An admin has no mailbox.
	expect(t, s.runIn("a long admin password\n", "user", "add", "root", "--role", "admin", "--email", "ops@s2sd.example.org", "--password-stdin"),
		result{stdout: "added user root (admin)\n"})
	expect(t, s.runIn("another long password\n", "user", "add", "dave", "--role", "LA-Admissions", "--mailbox", "823ADMS", "--email", "dave@cbc.gov.uk", "--password-stdin"),
		result{stdout: "added user dave (la-admissions) in mailbox 823ADMS\n"})

	events, err := s.ledger().AuditEvents(context.Background(), ledger.EventAdmin)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range events {
		if strings.HasPrefix(e.Detail, "user ") {
			got = append(got, e.Login+" "+e.Mailbox+" "+e.Object+" "+e.Detail)
		}
		if strings.Contains(e.Detail, "horse") || strings.Contains(e.Detail, "long") {
			t.Errorf("audit holds a password: %+v", e)
		}
	}
	want := []string{
		"cli 8231234 alice user add role=school mailbox=8231234 password=stdin",
		"cli 823LLLL bob user add role=la-dba mailbox=823LLLL password=temporary",
		"cli 823PLAS carol user add role=la-plasc mailbox=823PLAS keys=1",
		"cli  root user add role=admin password=stdin",
		"cli 823ADMS dave user add role=la-admissions mailbox=823ADMS password=stdin",
	}
	if !slices.Equal(got, want) {
		t.Errorf("audit = %q\nwant %q", got, want)
	}
}

func TestUserAddErrors(t *testing.T) {
	t.Parallel()
	s := userSite(t)
	expect(t, s.runIn("correct horse battery\n", "user", "add", "alice", "--mailbox", "8231234", "--role", "school", "--email", "alice@hilltop.sch.uk", "--password-stdin"),
		result{stdout: "added user alice (school) in mailbox 8231234\n"})
	privateKey := filepath.Join(t.TempDir(), "id_ed25519")
	writeFile(t, privateKey, "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n")
	notKey := filepath.Join(t.TempDir(), "notes.txt")
	writeFile(t, notKey, "my key is on the other laptop\n")

	const pw = "correct horse battery\n"
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  result
	}{
		{"duplicate login", pw, []string{"alice", "--mailbox", "8231234", "--role", "school", "--email", "a2@hilltop.sch.uk", "--password-stdin"},
			fails(1, "user alice already exists")},
		{"duplicate login in other case", pw, []string{"ALICE", "--mailbox", "8231234", "--role", "school", "--email", "a2@hilltop.sch.uk", "--password-stdin"},
			fails(1, "user ALICE already exists")},
		{"unknown role", pw, []string{"erin", "--mailbox", "8231234", "--role", "teacher", "--email", "erin@hilltop.sch.uk", "--password-stdin"},
			fails(1, `unknown role "teacher": use one of school, la-user, la-school, la-lost-pupil, la-lost-pupil-transfer, la-dba, la-dba-view, la-plasc, la-admissions, admin`)},
		{"bad login", pw, []string{"erin smith", "--mailbox", "8231234", "--role", "school", "--email", "erin@hilltop.sch.uk", "--password-stdin"},
			fails(1, `login "erin smith" may hold only letters, digits, '.', '-', '_' and '@', and must start with a letter or digit`)},
		{"personal email", pw, []string{"erin", "--mailbox", "8231234", "--role", "school", "--email", "x@gmail.com", "--password-stdin"},
			fails(1, `email "x@gmail.com" is on a personal domain (gmail.com): use a school or LA address`)},
		{"role and mailbox kind differ", pw, []string{"erin", "--mailbox", "8231234", "--role", "la-user", "--email", "erin@cbc.gov.uk", "--password-stdin"},
			fails(1, "role la-user belongs in an LA mailbox (LLLLLLL), but 8231234 is a school mailbox (LLLSSSS): give a matching --mailbox, or a role for that mailbox (school)")},
		{"school role in LA mailbox", pw, []string{"erin", "--mailbox", "823LLLL", "--role", "school", "--email", "erin@cbc.gov.uk", "--password-stdin"},
			fails(1, "role school belongs in a school mailbox (LLLSSSS), but 823LLLL is an LA mailbox (LLLLLLL): give a matching --mailbox, or a role for that mailbox (la-user, la-school, la-lost-pupil, la-lost-pupil-transfer, la-dba, la-dba-view)")},
		{"plasc role in admissions mailbox", pw, []string{"erin", "--mailbox", "823ADMS", "--role", "la-plasc", "--email", "erin@cbc.gov.uk", "--password-stdin"},
			fails(1, "role la-plasc belongs in an LA census mailbox (LLLPLAS), but 823ADMS is an LA admissions mailbox (LLLADMS): give a matching --mailbox, or a role for that mailbox (la-admissions)")},
		{"admin with a mailbox", pw, []string{"erin", "--mailbox", "823LLLL", "--role", "admin", "--email", "erin@cbc.gov.uk", "--password-stdin"},
			fails(1, "role admin has no mailbox: leave out --mailbox")},
		{"no mailbox", pw, []string{"erin", "--role", "la-user", "--email", "erin@cbc.gov.uk", "--password-stdin"},
			fails(1, "role la-user needs --mailbox CODE: an LA mailbox (LLLLLLL)")},
		{"unknown mailbox", pw, []string{"erin", "--mailbox", "8239999", "--role", "school", "--email", "erin@hilltop.sch.uk", "--password-stdin"},
			fails(1, `mailbox 8239999 does not exist: check the code with "s2sd mailbox list"`)},
		{"malformed mailbox", pw, []string{"erin", "--mailbox", "823", "--role", "school", "--email", "erin@hilltop.sch.uk", "--password-stdin"},
			fails(1, `--mailbox: code "823" must be 7 characters: a school's DfE number (e.g. 8231234) or an LA code (e.g. 823LLLL)`)},
		{"closed mailbox", pw, []string{"erin", "--mailbox", "8230001", "--role", "school", "--email", "erin@old.sch.uk", "--password-stdin"},
			fails(1, "mailbox 8230001 is closed: add the user to its successor or another open mailbox")},
		{"no password option", "", []string{"erin", "--mailbox", "8231234", "--role", "school", "--email", "erin@hilltop.sch.uk"},
			fails(2, `user add: give --password-stdin, --temporary-password or --key FILE: a user needs a password or a key to log in: see "s2sd user add --help"`)},
		{"two password options", pw, []string{"erin", "--mailbox", "8231234", "--role", "school", "--email", "erin@hilltop.sch.uk", "--password-stdin", "--temporary-password"},
			fails(2, `--password-stdin and --temporary-password can't be used together: see "s2sd user add --help"`)},
		{"missing role", pw, []string{"erin", "--mailbox", "8231234", "--email", "erin@hilltop.sch.uk", "--password-stdin"},
			fails(2, `missing flags: --role=STRING: see "s2sd user add --help"`)},
		{"short password", "short\n", []string{"erin", "--mailbox", "8231234", "--role", "school", "--email", "erin@hilltop.sch.uk", "--password-stdin"},
			fails(1, "password on standard input: the new password must be at least 12 characters")},
		{"empty stdin", "", []string{"erin", "--mailbox", "8231234", "--role", "school", "--email", "erin@hilltop.sch.uk", "--password-stdin"},
			fails(1, "no password on standard input: pipe it in as one line, e.g. from a password manager")},
		{"private key", "", []string{"erin", "--mailbox", "8231234", "--role", "school", "--email", "erin@hilltop.sch.uk", "--key", privateKey},
			fails(1, "key file "+privateKey+" holds a private key: give the public key (the .pub file) and keep the private key secret")},
		{"not a key", "", []string{"erin", "--mailbox", "8231234", "--role", "school", "--email", "erin@hilltop.sch.uk", "--key", notKey},
			fails(1, "key file "+notKey+" holds no OpenSSH public key: give a .pub file such as id_ed25519.pub")},
		{"no key file", "", []string{"erin", "--mailbox", "8231234", "--role", "school", "--email", "erin@hilltop.sch.uk", "--key", "/nonexistent/id.pub"},
			fails(1, "key file: open /nonexistent/id.pub: no such file or directory: give the path of an OpenSSH public key (e.g. id_ed25519.pub)")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expect(t, s.runIn(tt.stdin, append([]string{"user", "add"}, tt.args...)...), tt.want)
		})
	}
	users, err := s.ledger().Users(context.Background())
	if err != nil || len(users) != 1 {
		t.Errorf("users = %+v, %v; want only alice", users, err)
	}
}

func TestUserPasswd(t *testing.T) {
	t.Parallel()
	s := userSite(t)
	key, _ := keyFile(t, "bob")
	expect(t, s.run("user", "add", "bob", "--mailbox", "823LLLL", "--role", "la-user", "--email", "bob@cbc.gov.uk", "--key", key).code0(), result{})

	expect(t, s.runIn("a brand new password\r\n", "user", "passwd", "bob", "--password-stdin"), result{stdout: "password set for bob\n"})
	checkPassword(t, s.ledger(), "bob", "a brand new password", false)

	r := s.run("user", "passwd", "--temporary-password", "BOB")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("got %+v", r)
	}
	checkPassword(t, s.ledger(), "bob", temporaryPassword(t, strings.TrimSuffix(r.stdout, "\n"), "bob"), true)

	expect(t, s.run("user", "passwd", "bob"), fails(2, `user passwd: give --password-stdin or --temporary-password: see "s2sd user passwd --help"`))
	expect(t, s.runIn("short\n", "user", "passwd", "bob", "--password-stdin"), fails(1, "password on standard input: the new password must be at least 12 characters"))
	expect(t, s.run("user", "passwd", "nobody", "--temporary-password"), fails(1, "user nobody does not exist"))
}

// code0 strips stdout from a successful result so that expect checks only
// that it succeeded quietly on stderr.
func (r result) code0() result {
	if r.code == 0 {
		r.stdout = ""
	}
	return r
}

func TestUserKeyAdd(t *testing.T) {
	t.Parallel()
	s := userSite(t)
	key1, fp1 := keyFile(t, "bob@laptop")
	key2, fp2 := keyFile(t, "bob@desktop")
	key3, fp3 := keyFile(t, "bob@mis")
	expect(t, s.runIn("correct horse battery\n", "user", "add", "bob", "--mailbox", "823LLLL", "--role", "la-user", "--email", "bob@cbc.gov.uk", "--password-stdin").code0(), result{})

	expect(t, s.run("user", "key", "add", "bob", key1), result{stdout: "added key " + fp1 + " to bob\n"})
	expect(t, s.run("user", "key", "add", "bob", key1), fails(1, "user bob already has key "+fp1+": nothing to add"))
	expect(t, s.run("user", "key", "add", "nobody", key2), fails(1, "user nobody does not exist"))
	expect(t, s.run("user", "key", "add", "bob"), fails(2, `expected "<file>": see "s2sd user key add --help"`))

	// A file of several keys, with comments and blank lines.
	both := filepath.Join(t.TempDir(), "authorized_keys")
	writeFile(t, both, "# bob's other machines\n"+readFile(t, key2)+"\n"+readFile(t, key3)+"# end\n")
	expect(t, s.run("user", "key", "add", "bob", both), result{stdout: "added key " + fp2 + " to bob\nadded key " + fp3 + " to bob\n"})

	keys, err := s.ledger().Keys(context.Background(), "bob")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range keys {
		got = append(got, k.Fingerprint+" "+k.Comment)
	}
	if want := []string{fp1 + " bob@laptop", fp2 + " bob@desktop", fp3 + " bob@mis"}; !slices.Equal(got, want) {
		t.Errorf("keys = %q, want %q", got, want)
	}
}

func TestUserListDelUnlock(t *testing.T) {
	t.Parallel()
	s := userSite(t)
	key, _ := keyFile(t, "carol")
	for _, args := range [][]string{
		{"user", "add", "alice", "--mailbox", "8231234", "--role", "school", "--email", "alice@hilltop.sch.uk", "--password-stdin"},
		{"user", "add", "bob", "--mailbox", "823LLLL", "--role", "la-lost-pupil", "--email", "bob@cbc.gov.uk", "--password-stdin", "--key", key},
		{"user", "add", "root", "--role", "admin", "--email", "ops@s2sd.example.org", "--password-stdin"},
	} {
		expect(t, s.runIn("correct horse battery\n", args...).code0(), result{})
	}
	ctx := context.Background()
	led := s.ledger()
	if err := led.LoginSucceeded(ctx, "alice", time.Date(2025, 9, 1, 8, 30, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	lock := auth.Backoff{Failures: 1, Base: time.Hour, Max: time.Hour}
	if _, err := led.LoginFailed(ctx, "bob", time.Now(), lock); err != nil {
		t.Fatal(err)
	}

	s.must("LOGIN  MAILBOX  ROLE           EMAIL                 LOCKED  LAST_LOGIN            KEYS\n"+
		"alice  8231234  school         alice@hilltop.sch.uk  no      2025-09-01T08:30:00Z  0\n"+
		"bob    823LLLL  la-lost-pupil  bob@cbc.gov.uk        yes     -                     1\n"+
		"root   -        admin          ops@s2sd.example.org  no      -                     0\n",
		"user", "list")
	s.must("login,mailbox,role,email,locked,last_login,keys\n"+
		"alice,8231234,school,alice@hilltop.sch.uk,no,2025-09-01T08:30:00Z,0\n"+
		"bob,823LLLL,la-lost-pupil,bob@cbc.gov.uk,yes,,1\n"+
		"root,,admin,ops@s2sd.example.org,no,,0\n",
		"user", "list", "--format", "csv")
	s.must(`[
  {
    "login": "alice",
    "mailbox": "8231234",
    "role": "school",
    "email": "alice@hilltop.sch.uk",
    "locked": false,
    "last_login": "2025-09-01T08:30:00Z",
    "keys": 0
  },
  {
    "login": "bob",
    "mailbox": "823LLLL",
    "role": "la-lost-pupil",
    "email": "bob@cbc.gov.uk",
    "locked": true,
    "last_login": null,
    "keys": 1
  },
  {
    "login": "root",
    "mailbox": "",
    "role": "admin",
    "email": "ops@s2sd.example.org",
    "locked": false,
    "last_login": null,
    "keys": 0
  }
]
`, "user", "list", "--format", "json")

	s.must("unlocked bob\n", "user", "unlock", "bob")
	expect(t, s.run("user", "unlock", "nobody"), fails(1, "user nobody does not exist"))
	if u, _ := led.User(ctx, "bob"); u.Locked(time.Now()) {
		t.Errorf("bob is still locked: %+v", u)
	}

	s.must("deleted user bob\n", "user", "del", "bob")
	expect(t, s.run("user", "del", "bob"), fails(1, "user bob does not exist"))
	s.must("login,mailbox,role,email,locked,last_login,keys\n"+
		"alice,8231234,school,alice@hilltop.sch.uk,no,2025-09-01T08:30:00Z,0\n"+
		"root,,admin,ops@s2sd.example.org,no,,0\n",
		"user", "list", "--format=csv")

	var got []string
	events, err := led.AuditEvents(ctx, ledger.EventAdmin)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events[len(events)-2:] {
		got = append(got, e.Mailbox+" "+e.Object+" "+e.Detail)
	}
	if want := []string{"823LLLL bob user unlock", "823LLLL bob user del role=la-lost-pupil"}; !slices.Equal(got, want) {
		t.Errorf("audit = %q, want %q", got, want)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestUserNotices checks that a new user with a temporary password gets
// its username and its password in two separate emails, queued in the
// ledger's outbox, and a reset likewise.
func TestUserNotices(t *testing.T) {
	s := userSite(t)
	res := s.run("user", "add", "newstaff", "--mailbox", "8231234", "--role", "school", "--email", "new@hilltop.sch.uk", "--temporary-password")
	if res.code != 0 {
		t.Fatalf("user add: %d %q", res.code, res.stderr)
	}
	temp := regexp.MustCompile(`temporary password for newstaff: (\S+)`).FindStringSubmatch(res.stdout)
	if temp == nil {
		t.Fatalf("no temporary password in %q", res.stdout)
	}
	s.runIn("", "user", "passwd", "newstaff", "--temporary-password")
	ms, err := s.ledger().Mails(context.Background(), ledger.MailFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, m := range ms {
		kinds = append(kinds, m.Kind+" "+strings.Join(m.To, ","))
		if m.Kind == "new-user-username" && (strings.Contains(m.Body, temp[1]) || !strings.Contains(m.Body, "newstaff")) {
			t.Errorf("username email holds the password or lacks the login:\n%s", m.Body)
		}
		if m.Kind == "new-user-password" && strings.Contains(m.Body+m.Subject, "newstaff") {
			t.Errorf("password email names the login:\n%s", m.Body)
		}
	}
	want := []string{
		"new-user-username new@hilltop.sch.uk", "new-user-password new@hilltop.sch.uk",
		"new-user-username new@hilltop.sch.uk", "new-user-password new@hilltop.sch.uk",
	}
	if !slices.Equal(kinds, want) {
		t.Fatalf("notices %q, want %q", kinds, want)
	}
	if !strings.Contains(ms[1].Body, temp[1]) {
		t.Fatalf("password email lacks the temporary password:\n%s", ms[1].Body)
	}
}
