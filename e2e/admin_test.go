package e2e

import (
	"bytes"
	"database/sql"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// adminDaemon starts the fixture of the /admin/ tests: Central
// Bedfordshire (823) with two schools, its census mailbox and users of
// every kind, among them its database administrator cbdba and a viewer
// cbview; and a school of Bedford (822) with a user of its own.
func adminDaemon(t *testing.T) *daemon {
	t.Helper()
	d := newDaemon(t, options{})
	d.mailbox(t, ampthill, "Ampthill Lower School", "office@ampthill.sch.uk")
	d.mailbox(t, biggleswade, "Biggleswade Academy", "office@biggleswade.sch.uk")
	d.mailbox(t, centralBeds, "Central Bedfordshire Council", "s2s@centralbedfordshire.gov.uk")
	d.mailbox(t, "823PLAS", "Central Bedfordshire census", "census@centralbedfordshire.gov.uk")
	d.mailbox(t, "8221111", "Bedford Free School", "office@bedford.sch.uk")
	d.user(t, "ampthill", ampthill, "school")
	d.user(t, "biggleswade", biggleswade, "school")
	d.user(t, "cbdba", centralBeds, "la-dba")
	d.user(t, "cbview", centralBeds, "la-dba-view")
	d.user(t, "cbuser", centralBeds, "la-user")
	d.user(t, "leaver", centralBeds, "la-user")
	d.user(t, "plas", "823PLAS", "la-plasc")
	d.user(t, "bedford", "8221111", "school")
	d.start(t)
	return d
}

// lastLogin is a user's last login as /admin/users.csv shows it.
func (d *daemon) lastLogin(t *testing.T, login string) string {
	t.Helper()
	var at sql.NullString
	if err := openLedger(t, filepath.Join(d.data, "ledger.db")).QueryRow(`SELECT last_login FROM users WHERE login = ?`, login).Scan(&at); err != nil {
		t.Fatal(err)
	}
	return reportStamp(t, at)
}

// userRows are the users in the ledger as "login mailbox role email".
func (d *daemon) userRows(t *testing.T) []string {
	t.Helper()
	rows, err := openLedger(t, filepath.Join(d.data, "ledger.db")).Query(`SELECT login, COALESCE(mailbox,''), role, email FROM users ORDER BY login`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var l, m, r, e string
		if err := rows.Scan(&l, &m, &r, &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.Join([]string{l, m, r, e}, " "))
	}
	return out
}

// eml is one email the daemon wrote into its .eml folder.
type eml struct {
	to, subject, body string
}

// waitEmails waits for n emails to addr in the .eml folder whose
// subjects are among subjects.
func (d *daemon) waitEmails(t *testing.T, addr string, n int, subjects ...string) []eml {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var got []eml
		files, _ := filepath.Glob(filepath.Join(d.data, "mail", "*.eml"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			msg, err := mail.ReadMessage(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if msg.Header.Get("To") != "<"+addr+">" && msg.Header.Get("To") != addr {
				continue
			}
			var body io.Reader = msg.Body
			if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
				body = quotedprintable.NewReader(body)
			}
			text, err := io.ReadAll(body)
			if err != nil {
				t.Fatal(err)
			}
			subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
			if !slices.Contains(subjects, subject) {
				continue
			}
			got = append(got, eml{to: addr, subject: subject, body: strings.ReplaceAll(string(text), "\r\n", "\n")})
		}
		if len(got) >= n || time.Now().After(deadline) {
			if len(got) != n {
				t.Fatalf("%d emails to %s, want %d: %+v", len(got), addr, n, got)
			}
			slices.SortFunc(got, func(a, b eml) int { return strings.Compare(a.subject, b.subject) })
			return got
		}
	}
}

var mailedPasswordRE = regexp.MustCompile(`(?m)^    (\S+)$`)

// accountEmails checks the two emails of a new or reset account, the
// username in one and the password alone in the other, and returns the
// password.
func (d *daemon) accountEmails(t *testing.T, login, addr string, reset bool) string {
	t.Helper()
	userSubject := "S2S: your new account"
	if reset {
		userSubject = "S2S: your password was reset"
	}
	ms := d.waitEmails(t, addr, 2, userSubject, "S2S: your temporary password")
	user, pass := ms[0], ms[1]
	if user.subject != userSubject {
		user, pass = pass, user
	}
	m := mailedPasswordRE.FindStringSubmatch(pass.body)
	if m == nil || strings.Contains(pass.body, login) {
		t.Fatalf("the password email to %s: %+v", addr, pass)
	}
	if !strings.Contains(user.body, "Username: "+login+"\n") || strings.Contains(user.body, m[1]) {
		t.Fatalf("the username email to %s: %+v", addr, user)
	}
	return m[1]
}

func crlf(lines ...string) string { return strings.Join(lines, "\r\n") + "\r\n" }

// TestAdminUsers has an LA's database administrator download users.csv
// with OpenSSH's sftp, upload it edited (a new user, a role change, a
// password reset, a removed row, and rows refused for a school of another
// LA, a personal email address and a taken login), and read the result;
// then the new user logs in with the emailed temporary password and must
// change it.
func TestAdminUsers(t *testing.T) {
	t.Parallel()
	d := adminDaemon(t)
	dba := passwordLogin("cbdba")
	got := filepath.Join(d.dir, "users.csv")
	r := d.sftp(t, dba, "ls /\nls -l /admin\nget /admin/users.csv "+got+"\n")
	if r.code != 0 {
		t.Fatalf("sftp exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	out := lines(r.stdout)
	if i := slices.Index(out, "sftp> ls /"); i < 0 || !slices.Contains(strings.Fields(out[i+1]), "/admin") {
		t.Errorf("ls / printed:\n%s", r.stdout)
	}
	for _, name := range []string{"users.csv", "schools.csv"} {
		if f := longLine(t, r.stdout, name); f[0] != "-rw-------" {
			t.Errorf("ls -l /admin shows %q; want a file the DBA may replace", f)
		}
	}
	want := "\ufeff" + crlf(
		"login,mailbox,role,email,locked,last_login,reset",
		"ampthill,8231234,school,ampthill@example.sch.uk,no,,",
		"biggleswade,8232345,school,biggleswade@example.sch.uk,no,,",
		"cbdba,823LLLL,la-dba,cbdba@example.sch.uk,no,"+d.lastLogin(t, "cbdba")+",",
		"cbuser,823LLLL,la-user,cbuser@example.sch.uk,no,,",
		"cbview,823LLLL,la-dba-view,cbview@example.sch.uk,no,,",
		"leaver,823LLLL,la-user,leaver@example.sch.uk,no,,",
		"plas,823PLAS,la-plasc,plas@example.sch.uk,no,,",
	)
	assertFile(t, got, []byte(want))

	// Edited as in Excel: leaver's row deleted, rows changed and added.
	edited := d.localFile(t, "edited-users.csv", []byte("\ufeff"+crlf(
		"login,mailbox,role,email,locked,last_login,reset",
		"ampthill,8231234,school,ampthill@example.sch.uk,no,,",
		"biggleswade,8232345,school,biggleswade@example.sch.uk,no,,yes",
		"cbdba,823LLLL,la-dba,cbdba@example.sch.uk,no,,",
		"cbuser,823LLLL,la-school,cbuser@example.sch.uk,no,,",
		"cbview,823LLLL,la-dba-view,cbview@example.sch.uk,no,,",
		"plas,823PLAS,la-plasc,plas@example.sch.uk,no,,",
		"newstaff,823LLLL,la-user,newstaff@centralbedfordshire.gov.uk,,,",
		"bedfordstaff,8221111,school,staff@bedford.sch.uk,,,",
		"homeuser,8231234,school,someone@hotmail.com,,,",
		"bedford,8231234,school,bedford@example.sch.uk,,,",
	)))
	result := filepath.Join(d.dir, "users.result.txt")
	r = d.sftp(t, dba, "put "+edited+" /admin/users.csv\nget /admin/users.result.txt "+result+"\nls /admin\n")
	if r.code != 0 {
		t.Fatalf("sftp exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	b, err := os.ReadFile(result)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	head, rest, _ := strings.Cut(text, "\r\n\r\n")
	if !strings.HasPrefix(head, "users.csv uploaded by cbdba on ") || !strings.HasSuffix(head, " (UK time)") {
		t.Errorf("users.result.txt starts %q", head)
	}
	wantRest := crlf(
		"line 2, ampthill: unchanged",
		"line 3, biggleswade: password reset; the username and temporary password were emailed separately to biggleswade@example.sch.uk",
		"line 4, cbdba: unchanged",
		"line 5, cbuser: role changed from la-user to la-school",
		"line 6, cbview: unchanged",
		"line 7, plas: unchanged",
		"line 8, newstaff: created as la-user in 823LLLL; its username and temporary password were emailed separately to newstaff@centralbedfordshire.gov.uk",
		"line 9, bedfordstaff: refused: 8221111 is not in your LA (823)",
		`line 10, homeuser: refused: email "someone@hotmail.com" is on a personal domain (hotmail.com): use a school or LA address`,
		"line 11, bedford: refused: login bedford is taken; choose another",
		"removed row, leaver: deleted (was la-user in 823LLLL)",
		"",
		"Summary: 1 created, 2 changed, 1 deleted, 4 unchanged, 3 refused, 0 failed.",
	)
	if rest != wantRest {
		t.Errorf("users.result.txt:\n%s\nwant:\n%s", rest, wantRest)
	}
	if i := slices.Index(lines(r.stdout), "sftp> ls /admin"); i < 0 || !slices.Equal(strings.Fields(lines(r.stdout)[i+1]),
		[]string{"/admin/schools.csv", "/admin/users.csv", "/admin/users.result.txt"}) {
		t.Errorf("ls /admin printed:\n%s", r.stdout)
	}
	wantUsers := []string{
		"ampthill 8231234 school ampthill@example.sch.uk",
		"bedford 8221111 school bedford@example.sch.uk",
		"biggleswade 8232345 school biggleswade@example.sch.uk",
		"cbdba 823LLLL la-dba cbdba@example.sch.uk",
		"cbuser 823LLLL la-school cbuser@example.sch.uk",
		"cbview 823LLLL la-dba-view cbview@example.sch.uk",
		"newstaff 823LLLL la-user newstaff@centralbedfordshire.gov.uk",
		"plas 823PLAS la-plasc plas@example.sch.uk",
	}
	if got := d.userRows(t); !slices.Equal(got, wantUsers) {
		t.Errorf("users:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantUsers, "\n"))
	}
	var audit []string
	for _, e := range d.audit(t, "admin") {
		if e.Login == "cbdba" {
			audit = append(audit, e.Object+": "+e.Detail)
		}
	}
	wantAudit := []string{
		"biggleswade: user change password=temporary via=/admin/users.csv",
		"cbuser: user change role=la-user->la-school via=/admin/users.csv",
		"newstaff: user add role=la-user mailbox=823LLLL password=temporary via=/admin/users.csv",
		"leaver: user del role=la-user via=/admin/users.csv",
	}
	if !slices.Equal(audit, wantAudit) {
		t.Errorf("audit:\n%s\nwant:\n%s", strings.Join(audit, "\n"), strings.Join(wantAudit, "\n"))
	}
	if strings.Contains(text, d.accountEmails(t, "biggleswade", "biggleswade@example.sch.uk", true)) {
		t.Errorf("users.result.txt holds biggleswade's password")
	}

	// The new user's temporary password must be changed at first login.
	temp := d.accountEmails(t, "newstaff", "newstaff@centralbedfordshire.gov.uk", false)
	if strings.Contains(text, temp) {
		t.Errorf("users.result.txt holds newstaff's password")
	}
	chosen := "a brand new passphrase"
	p := d.py(t, "auth_probe.py", map[string]any{
		"mode": "temp_password", "source": "127.0.0.31", "user": "newstaff", "password": temp,
		"rounds": [][]string{{chosen, chosen}}, "keyboard": false,
	}, nil)
	var o authOutcome
	p.ok("password", &o)
	if o.Result != "partial" {
		t.Errorf("the temporary password: %+v, want partial success leading to the change", o)
	}
	p.ok("change", nil)
	var root []string
	p.ok("root", &root)
	if !slices.Contains(root, "outbox") || slices.Contains(root, "admin") {
		t.Errorf("newstaff (la-user) sees %q", root)
	}
}

// TestAdminViewerAndSchool checks with OpenSSH's sftp that an
// la-dba-view user reads /admin/ but cannot write, and that a school user
// has no /admin/ at all.
func TestAdminViewerAndSchool(t *testing.T) {
	t.Parallel()
	d := adminDaemon(t)
	got := filepath.Join(d.dir, "viewed.csv")
	local := d.localFile(t, "users.csv", []byte("login,mailbox,role,email,locked,last_login,reset\r\n"))
	r := d.sftp(t, passwordLogin("cbview"), strings.Join([]string{
		"ls /",
		"ls -l /admin",
		"get /admin/users.csv " + got,
		"-put " + local + " /admin/users.csv",
		"-put " + local + " /admin/schools.csv",
		"-rm /admin/users.csv",
		"",
	}, "\n"))
	if r.code != 0 {
		t.Fatalf("sftp exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	wantErr := []string{
		`dest open "/admin/users.csv": Permission denied`,
		`dest open "/admin/schools.csv": Permission denied`,
		`remote delete /admin/users.csv: Permission denied`,
	}
	if got := lines(r.stderr); !slices.Equal(got, wantErr) {
		t.Errorf("sftp stderr:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantErr, "\n"))
	}
	out := lines(r.stdout)
	if i := slices.Index(out, "sftp> ls /"); i < 0 || !slices.Equal(strings.Fields(out[i+1]), []string{"/admin", "/reports"}) {
		t.Errorf("ls / printed:\n%s", r.stdout)
	}
	if f := longLine(t, r.stdout, "users.csv"); f[0] != "-r--------" {
		t.Errorf("ls -l /admin shows %q; want a read-only file", f)
	}
	b, err := os.ReadFile(got)
	if err != nil || !strings.Contains(string(b), "\r\ncbview,823LLLL,la-dba-view,cbview@example.sch.uk,no,") {
		t.Errorf("the viewer's users.csv (%v):\n%s", err, b)
	}
	if users := d.userRows(t); len(users) != 8 {
		t.Errorf("users changed: %v", users)
	}

	r = d.sftp(t, passwordLogin("ampthill"), strings.Join([]string{
		"ls /",
		"-ls /admin",
		"-get /admin/users.csv " + filepath.Join(d.dir, "school.csv"),
		"-put " + local + " /admin/users.csv",
		"",
	}, "\n"))
	if r.code != 0 {
		t.Fatalf("sftp exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	out = lines(r.stdout)
	if i := slices.Index(out, "sftp> ls /"); i < 0 || slices.Contains(strings.Fields(out[i+1]), "/admin") {
		t.Errorf("a school user's ls / printed:\n%s", r.stdout)
	}
	wantErr = []string{
		`Can't ls: "/admin" not found`,
		`File "/admin/users.csv" not found.`,
		`dest open "/admin/users.csv": Permission denied`, // as for any folder but /outbox
	}
	if got := lines(r.stderr); !slices.Equal(got, wantErr) {
		t.Errorf("a school user's sftp stderr:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantErr, "\n"))
	}
	if _, err := os.Stat(filepath.Join(d.dir, "school.csv")); err == nil {
		t.Errorf("a school user downloaded /admin/users.csv")
	}
}

// TestAdminWinSCP replays WinSCP's upload of an edited schools.csv
// through schools.csv.filepart, the removal of the old file and the
// rename; a users.csv with a wrong header, refused at the rename with
// the reason; and an la-dba-view user's attempts to write, refused at
// OPEN with the server's message.
func TestAdminWinSCP(t *testing.T) {
	t.Parallel()
	d := adminDaemon(t)
	schools := d.localFile(t, "schools.csv", []byte("\ufeff"+crlf(
		"code,name,telephone,email,town",
		`8231234,"Ampthill Lower School, Nursery",01525 403000,office@ampthill.sch.uk,Ampthill`,
		"8232345,Biggleswade Academy,,office@biggleswade.sch.uk,Biggleswade",
		"8221111,Bedford Free School,,office@bedford.sch.uk,Bedford",
	)))
	bad := d.localFile(t, "bad-users.csv", []byte("user;mailbox;role;email;locked;last_login;reset\r\nampthill;8231234;school;a@example.sch.uk;;;\r\n"))
	r := d.py(t, "admin_winscp.py", map[string]any{
		"user": "cbdba", "password": password("cbdba"), "file": schools, "bad": bad,
		"view_user": "cbview", "view_password": password("cbview"),
	}, nil)
	for _, s := range []string{"stat_target", "open_filepart", "write", "close", "stat_target_again",
		"remove_target", "rename", "utime", "chmod"} {
		r.ok(s, nil)
	}
	var list map[string]sftpEntry
	r.ok("list", &list)
	var names []string
	for n := range list {
		names = append(names, n)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"schools.csv", "schools.result.txt", "users.csv"}) {
		t.Errorf("/admin lists %v after the upload", names)
	}
	var result string
	r.ok("result", &result)
	_, rest, _ := strings.Cut(result, "\r\n\r\n")
	wantRest := crlf(
		`line 2, 8231234: updated name="Ampthill Lower School, Nursery", telephone="01525 403000", town="Ampthill"`,
		"line 3, 8232345: updated town=\"Biggleswade\"",
		"line 4, 8221111: refused: 8221111 is not in your LA (823)",
		"",
		"Summary: 0 created, 2 changed, 0 deleted, 0 unchanged, 1 refused, 0 failed.",
	)
	if rest != wantRest {
		t.Errorf("schools.result.txt:\n%s\nwant:\n%s", rest, wantRest)
	}
	var name, tel, town string
	if err := openLedger(t, filepath.Join(d.data, "ledger.db")).QueryRow(`SELECT name, telephone, town FROM mailboxes WHERE code = ?`, ampthill).
		Scan(&name, &tel, &town); err != nil || name != "Ampthill Lower School, Nursery" || tel != "01525 403000" || town != "Ampthill" {
		t.Errorf("8231234 is now %q %q %q (%v)", name, tel, town, err)
	}

	const header = "its first line must be the header login,mailbox,role,email,locked,last_login,reset, not " +
		`"user;mailbox;role;email;locked;last_login;reset"; the file uses semicolons: save it with commas`
	r.ok("bad_close", nil)
	r.failed("bad_rename", 0, "users.csv was refused and nothing in it was changed: "+header+"; users.result.txt says the same")
	var badResult string
	r.ok("bad_result", &badResult)
	if !strings.HasSuffix(badResult, "The file was refused and nothing in it was changed:\r\n\r\n- "+header+"\r\n\r\nCorrect the file and upload it again.\r\n") {
		t.Errorf("users.result.txt:\n%s", badResult)
	}
	r.failed("other_name", eacces, "only users.csv and schools.csv can be uploaded to /admin/: download one, edit it and upload it under the same name")
	r.ok("remove_users_result", nil)
	r.ok("list_after_remove", &list)
	if _, ok := list["users.result.txt"]; ok || len(list) != 3 {
		t.Errorf("/admin lists %v after users.result.txt was removed", list)
	}
	if users := d.userRows(t); len(users) != 8 {
		t.Errorf("users changed: %v", users)
	}

	r.ok("view_list", &list)
	if e := list["schools.csv"]; e.Mode&0o200 != 0 || len(list) != 3 {
		t.Errorf("the viewer's /admin: %+v", list)
	}
	var viewed string
	r.ok("view_read", &viewed)
	if viewed != result {
		t.Errorf("the viewer reads schools.result.txt as:\n%s", viewed)
	}
	const readOnly = "la-dba-view users can read /admin/ but not change it; ask your LA's database administrator (la-dba)"
	r.failed("view_open", eacces, readOnly)
	r.failed("view_open_plain", eacces, readOnly)
	r.failed("view_remove", eacces, "la-dba-view users can read /admin/ but not change it")
}
