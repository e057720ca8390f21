package e2e

import (
	"bytes"
	"mime"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSecureMessages has an LA send secure messages with OpenSSH's sftp:
// to a code, and to a group with a template. The recipients read them,
// which the sender's sent/ folder then shows, and their notices say that
// a message waits without saying what it says.
func TestSecureMessages(t *testing.T) {
	t.Parallel()
	d := schools(t, options{})
	d.user(t, "cbc", centralBeds, "la-user")
	cbc, amp, big := passwordLogin("cbc"), passwordLogin("ampthill"), passwordLogin("biggleswade")
	local := func(name, text string) string { return d.localFile(t, name, []byte(text)) }

	r := d.sftp(t, cbc, strings.Join([]string{
		"put " + local("my-schools.txt", "# Central Bedfordshire schools\r\n8231234, 8232345\r\n") + " /messages/groups/",
		"put " + local("request-ctf.txt", "Please send the CTF for the pupil below.\r\n") + " /messages/templates/",
		"put " + local("hello.txt", "To: 8231234\r\nSubject: Secret subject\r\n\r\nsecret-body line one\r\nline two\r\n") + " /messages/outbox/",
		"put " + local("request.txt", "To: my-schools\nSubject: Missing CTF\nTemplate: request-ctf\n\nBorn in 2015.\n") + " /messages/outbox/",
		"ls -1 /messages",
		"ls -1 /messages/sent",
		"ls -1 /messages/outbox",
		"ls -1 /messages/groups",
	}, "\n")+"\n")
	if r.code != 0 {
		t.Fatalf("sftp: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	wantListing(t, r.stdout, "/messages", "groups", "inbox", "outbox", "sent", "templates")
	wantListing(t, r.stdout, "/messages/sent", "000001_to_8231234.txt", "000002_to_8231234_and_1_more.txt")
	wantListing(t, r.stdout, "/messages/outbox", "hello.txt", "request.txt") // just sent, read-only
	wantListing(t, r.stdout, "/messages/groups", "my-schools.txt")

	got := filepath.Join(d.dir, "got")
	if err := os.MkdirAll(got, 0o700); err != nil {
		t.Fatal(err)
	}
	r = d.sftp(t, amp, "ls -1 /messages/inbox\nget /messages/inbox/000002_from_823LLLL.txt "+got+"/m2\n")
	if r.code != 0 {
		t.Fatalf("sftp as ampthill: exit %d\n%s", r.code, r.stderr)
	}
	wantListing(t, r.stdout, "/messages/inbox", "000001_from_823LLLL.txt", "000002_from_823LLLL.txt")
	received := readFile(t, filepath.Join(got, "m2"))
	date := lineAfter(received, "Date: ")
	if want := "From: 823LLLL Central Bedfordshire Council\r\nTo: 8231234 Ampthill Lower School\r\nDate: " + date +
		"\r\nSubject: Missing CTF\r\n\r\nPlease send the CTF for the pupil below.\r\n\r\nBorn in 2015.\r\n"; received != want {
		t.Fatalf("received message:\n%q\nwant\n%q", received, want)
	}
	if _, err := time.Parse("Mon 2 Jan 2006 15:04 MST", date); err != nil {
		t.Fatalf("Date: %v", err)
	}

	r = d.sftp(t, cbc, "get /messages/sent/000002_to_8231234_and_1_more.txt "+got+"/s2\n")
	if r.code != 0 {
		t.Fatalf("sftp get sent: exit %d\n%s", r.code, r.stderr)
	}
	sent := readFile(t, filepath.Join(got, "s2"))
	readAt := lineAfter(sent, "Read-By: 8231234 Ampthill Lower School, ")
	if want := "From: 823LLLL Central Bedfordshire Council\r\nTo: my-schools\r\nDate: " + date + "\r\nSubject: Missing CTF\r\n" +
		"Read: 1 of 2\r\nRead-By: 8231234 Ampthill Lower School, " + readAt + "\r\nUnread-By: 8232345 Biggleswade Academy\r\n\r\n" +
		"Please send the CTF for the pupil below.\r\n\r\nBorn in 2015.\r\n"; sent != want {
		t.Fatalf("sent message:\n%q\nwant\n%q", sent, want)
	}

	// Biggleswade got only the group message; deleting it takes it away
	// for Biggleswade alone.
	d.runOps(t, big, []op{
		{name: "list", op: "list", path: "/messages/inbox", value: []string{"000002_from_823LLLL.txt"}},
		{name: "read", op: "read", path: "/messages/inbox/000002_from_823LLLL.txt"},
		{name: "delete", op: "remove", path: "/messages/inbox/000002_from_823LLLL.txt"},
		{name: "gone", op: "list", path: "/messages/inbox", value: []string{}},
		{name: "not_sent", op: "list", path: "/messages/sent", value: []string{}},
		{name: "no_upload_into_inbox", op: "write", path: "/messages/inbox/x.txt", errno: eacces,
			msg: "/messages/inbox/ is filled by s2sd; to send a message, upload it into /messages/outbox/: permission denied"},
		{name: "others_group", op: "read", path: "/messages/groups/my-schools.txt", errno: enoent, msg: noSuch("/messages/groups/my-schools.txt")},
	})
	r = d.sftp(t, cbc, "get /messages/sent/000002_to_8231234_and_1_more.txt "+got+"/s2b\n")
	if s := readFile(t, filepath.Join(got, "s2b")); r.code != 0 || !strings.Contains(s, "Read: 2 of 2\r\n") {
		t.Fatalf("sent after both read: exit %d\n%s", r.code, s)
	}

	// Each recipient mailbox was told once per message, without the
	// subject or the text.
	var notices []string
	for _, m := range d.emails(t) {
		if strings.Contains(m.subject, "secure message") {
			notices = append(notices, strings.Join(m.to, ",")+": "+m.subject)
			for _, secret := range []string{"Secret subject", "secret-body", "Missing CTF", "Born in 2015"} {
				if strings.Contains(m.subject+m.body, secret) {
					t.Errorf("notice %q gives away %q:\n%s", m.subject, secret, m.body)
				}
			}
		}
	}
	slices.Sort(notices)
	from := "S2S: a secure message from 823LLLL Central Bedfordshire Council is waiting"
	if want := []string{
		"office@ampthill.sch.uk,ampthill@example.sch.uk: " + from,
		"office@ampthill.sch.uk,ampthill@example.sch.uk: " + from,
		"office@biggleswade.sch.uk,biggleswade@example.sch.uk: " + from,
	}; !slices.Equal(notices, want) {
		t.Errorf("notices:\n%q\nwant\n%q", notices, want)
	}
}

// TestSecureMessageRefused sends messages with mistakes: each is refused
// at CLOSE with every reason, sent to nobody, and returned to its sender.
func TestSecureMessageRefused(t *testing.T) {
	t.Parallel()
	d := schools(t, options{})
	d.user(t, "cbc", centralBeds, "la-user")
	cbc := passwordLogin("cbc")
	bad := d.localFile(t, "bad.txt", []byte("To: 8239999, nogroup, 8232345\nCc: 8231234\nTemplate: missing\n\nno subject\n"))
	r := d.sftp(t, cbc, "put "+bad+" /messages/outbox/\n")
	if r.code == 0 || !strings.Contains(r.stderr, "close remote") {
		t.Fatalf("sftp put of a bad message: exit %d\n%s", r.code, r.stderr)
	}
	reasons := []string{
		`line 2: unknown header "Cc:"; use To:, Subject: and Template:`,
		"there is no Subject: line, or it is empty: give the message a subject",
	}
	d.runOps(t, cbc, []op{
		{name: "list", op: "list", path: "/messages/inbox", value: []string{"000001_returned.txt"}},
		{name: "sent", op: "list", path: "/messages/sent", value: []string{}},
		{name: "outbox", op: "list", path: "/messages/outbox", value: []string{}},
		// sftp_probe's write sends "written by sftp_probe\n".
		{name: "probe", op: "write", path: "/messages/outbox/probe.txt", errno: 0, msg: "the message was not sent; " +
			"the message must start with header lines (To:, Subject: and optionally Template:), then a blank line, then its text; " +
			"there is no To: line: give the recipients' codes (e.g. 8231234 or 823LLLL) or a group name, separated by commas; " +
			"there is no Subject: line, or it is empty: give the message a subject; " +
			"the message has no text: write it after a blank line below the headers, or name a Template:"},
	})
	returned := d.readVia(t, cbc, "/messages/inbox/000001_returned.txt")
	want := "Your message bad.txt was not sent to anyone, because:\r\n- " + strings.Join(reasons, "\r\n- ") + "\r\n\r\n" +
		"Correct it and upload it into /messages/outbox/ again. The file as you sent it follows.\r\n\r\n" +
		"To: 8239999, nogroup, 8232345\r\nCc: 8231234\r\nTemplate: missing\r\n\r\nno subject\r\n"
	if _, body, _ := strings.Cut(returned, "\r\n\r\n"); body != want {
		t.Fatalf("returned message:\n%q\nwant body\n%q", returned, want)
	}

	// Headers right, recipients wrong: every recipient problem at once.
	bad2 := d.localFile(t, "bad2.txt", []byte("To: 8239999, nogroup, 8232345\nSubject: s\nTemplate: missing\n\ntext\n"))
	if r := d.sftp(t, cbc, "put "+bad2+" /messages/outbox/\n"); r.code == 0 {
		t.Fatalf("sftp put of a message to unknown recipients succeeded")
	}
	returned = d.readVia(t, cbc, "/messages/inbox/000003_returned.txt")
	for _, reason := range []string{
		"- 8239999 is not a known mailbox\r\n",
		"- there is no group \"nogroup\": put nogroup.txt in /messages/groups/ first, or give codes\r\n",
		"- there is no template \"missing.txt\" in /messages/templates/\r\n",
	} {
		if !strings.Contains(returned, reason) {
			t.Errorf("returned message lacks %q:\n%s", reason, returned)
		}
	}
	if strings.Contains(returned, "8232345 is not") {
		t.Errorf("a known recipient was reported:\n%s", returned)
	}
	if n := len(entries(t, d.box(biggleswade, "inbox"))); n != 0 {
		t.Fatalf("biggleswade's file inbox has %d entries", n)
	}
	d.runOps(t, passwordLogin("biggleswade"), []op{
		{name: "nothing", op: "list", path: "/messages/inbox", value: []string{}},
	})
}

// TestSecureMessageWinSCP sends a message the way WinSCP uploads, through
// a .filepart name, a REMOVE of the target and a RENAME, then SETSTAT of
// the just-sent file, which must all succeed.
func TestSecureMessageWinSCP(t *testing.T) {
	t.Parallel()
	d := schools(t, options{})
	file := d.localFile(t, "note.txt", []byte("To: 8232345\r\nSubject: Hello\r\n\r\nFrom WinSCP\r\n"))
	r := d.py(t, "winscp_upload.py", map[string]any{"user": "ampthill", "password": password("ampthill"),
		"dir": "/messages/outbox", "name": "note.txt", "file": file}, nil)
	r.failed("stat_target", enoent, noSuch("/messages/outbox/note.txt"))
	r.ok("close", nil)
	r.failed("remove_target", enoent, noSuch("/messages/outbox/note.txt"))
	for _, s := range []string{"open_filepart", "write", "rename", "utime", "chmod", "stat_final"} {
		r.ok(s, nil)
	}
	var list map[string]any
	r.ok("list", &list)
	if len(list) != 1 || list["note.txt"] == nil {
		t.Fatalf("outbox after sending: %v", list)
	}
	got := d.readVia(t, passwordLogin("biggleswade"), "/messages/inbox/000001_from_8231234.txt")
	if !strings.HasSuffix(got, "\r\nSubject: Hello\r\n\r\nFrom WinSCP\r\n") || !strings.HasPrefix(got, "From: 8231234 Ampthill Lower School\r\n") {
		t.Fatalf("received:\n%s", got)
	}
}

// TestMessagesByRole: every mailbox role has /messages/; the DBA viewer
// and the service admin do not.
func TestMessagesByRole(t *testing.T) {
	t.Parallel()
	d := schools(t, options{})
	d.user(t, "viewer", centralBeds, "la-dba-view")
	d.cli(t, password("root")+"\n", "user", "add", "root", "--role", "admin", "--email", "root@example.gov.uk", "--password-stdin")
	d.runOps(t, passwordLogin("ampthill"), []op{{name: "school", op: "list", path: "/messages/outbox", value: []string{}}})
	for login, write := range map[string]string{"viewer": "your role cannot upload files", "root": onlyOutbox[2:]} {
		d.runOps(t, passwordLogin(login), []op{
			{name: "list", op: "list", path: "/messages", errno: enoent, msg: noSuch("/messages")},
			{name: "inbox", op: "list", path: "/messages/inbox", errno: enoent, msg: noSuch("/messages/inbox")},
			// The same answer as for any folder that does not exist.
			{name: "write", op: "write", path: "/messages/outbox/x.txt", errno: eacces, msg: "/messages/outbox/x.txt: " + write},
		})
	}
}

// lineAfter returns the rest of the line that follows prefix in s.
func lineAfter(s, prefix string) string {
	_, rest, _ := strings.Cut(s, prefix)
	line, _, _ := strings.Cut(rest, "\r\n")
	return line
}

// readVia downloads a file with paramiko and returns it.
func (d *daemon) readVia(t *testing.T, l login, path string) string {
	t.Helper()
	r := d.py(t, "sftp_probe.py", map[string]any{"user": l.name, "password": l.password, "mode": "ops",
		"ops": []map[string]string{{"name": "read", "op": "read", "path": path}}}, nil)
	var s string
	r.ok("read", &s)
	return s
}

// wantListing checks what `ls -1 DIR` printed in an sftp batch's output.
func wantListing(t *testing.T, out, dir string, names ...string) {
	t.Helper()
	_, rest, ok := strings.Cut(out, "sftp> ls -1 "+dir+"\n")
	if !ok {
		t.Fatalf("no listing of %s in:\n%s", dir, out)
	}
	rest, _, _ = strings.Cut(rest, "sftp> ")
	var got []string
	for _, l := range lines(rest) {
		got = append(got, strings.TrimPrefix(l, dir+"/"))
	}
	if !slices.Equal(got, names) {
		t.Fatalf("ls %s: %q, want %q", dir, got, names)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// email is a notice the daemon wrote to its .eml folder.
type email struct {
	to      []string
	subject string
	body    string
}

// emails waits for the mailer to write the queued notices and returns
// them.
func (d *daemon) emails(t *testing.T) []email {
	t.Helper()
	dir := filepath.Join(d.data, "mail")
	var out []email
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		out = out[:0]
		des, _ := os.ReadDir(dir)
		for _, de := range des {
			b, err := os.ReadFile(filepath.Join(dir, de.Name()))
			if err != nil || !strings.HasSuffix(de.Name(), ".eml") {
				continue
			}
			m, err := mail.ReadMessage(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("%s: %v", de.Name(), err)
			}
			body := new(bytes.Buffer)
			body.ReadFrom(m.Body)
			subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
			var to []string
			for _, a := range strings.Split(m.Header.Get("To"), ",") {
				if addr, err := mail.ParseAddress(strings.TrimSpace(a)); err == nil {
					to = append(to, addr.Address)
				}
			}
			out = append(out, email{to: to, subject: subject, body: body.String()})
		}
		if d.mailQueued(t) == 0 || time.Now().After(deadline) {
			return out
		}
	}
}

// mailQueued counts the mails still waiting in the ledger's outbox.
func (d *daemon) mailQueued(t *testing.T) int {
	t.Helper()
	db := openLedger(t, filepath.Join(d.data, "ledger.db"))
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM mail_outbox WHERE state = 'queued'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
