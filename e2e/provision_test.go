package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Mailboxes and logins most tests use.
const (
	ampthill    = "8231234" // a school
	biggleswade = "8232345" // another school in the same LA
	centralBeds = "823LLLL" // their LA
)

// password is the password the tests give login.
func password(login string) string { return login + " correct horse battery" }

// cli runs an s2sd admin command against the daemon's config and returns
// its stdout; it must succeed.
func (d *daemon) cli(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	all := args
	if d.config != "" {
		all = append([]string{"--config", d.config}, args...)
	}
	r := run(t, exec.Command(build.bin, all...), stdin)
	if r.code != 0 {
		t.Fatalf("s2sd %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

func (d *daemon) mailbox(t *testing.T, code, name, email string) {
	t.Helper()
	out := d.cli(t, "", "mailbox", "add", code, "--name", name, "--email", email)
	if !strings.HasPrefix(out, "added ") {
		t.Fatalf("mailbox add %s printed %q", code, out)
	}
}

// user adds a login with password(login).
func (d *daemon) user(t *testing.T, login, mailbox, role string) {
	t.Helper()
	out := d.cli(t, password(login)+"\n", "user", "add", login, "--mailbox", mailbox, "--role", role,
		"--email", login+"@example.sch.uk", "--password-stdin")
	if want := fmt.Sprintf("added user %s (%s) in mailbox %s\n", login, role, mailbox); out != want {
		t.Fatalf("user add %s printed %q, want %q", login, out, want)
	}
}

// keyUser adds a school login that has only an ed25519 key, and returns
// the private key file.
func (d *daemon) keyUser(t *testing.T, login, mailbox string) string {
	t.Helper()
	key := newKey(t, filepath.Join(d.dir, login+"_ed25519"))
	out := d.cli(t, "", "user", "add", login, "--mailbox", mailbox, "--role", "school",
		"--email", login+"@example.sch.uk", "--key", key+".pub")
	if !strings.Contains(out, "added key SHA256:") {
		t.Fatalf("user add --key printed %q", out)
	}
	return key
}

// newKey generates an ed25519 key pair with ssh-keygen: path and path.pub.
func newKey(t *testing.T, path string) string {
	t.Helper()
	if r := run(t, exec.Command(needTool(t, "ssh-keygen"), "-q", "-t", "ed25519", "-N", "", "-C", filepath.Base(path), "-f", path), ""); r.code != 0 {
		t.Fatalf("ssh-keygen: %s", r.stderr)
	}
	return path
}

var temporaryRE = regexp.MustCompile(`(?m)^temporary password for (\S+): (\S+) \(must be changed at first login\)$`)

// tempUser adds a school login with a temporary password and returns it.
func (d *daemon) tempUser(t *testing.T, login, mailbox string) string {
	t.Helper()
	out := d.cli(t, "", "user", "add", login, "--mailbox", mailbox, "--role", "school",
		"--email", login+"@example.sch.uk", "--temporary-password")
	m := temporaryRE.FindStringSubmatch(out)
	if m == nil || m[1] != login {
		t.Fatalf("user add --temporary-password printed %q", out)
	}
	return m[2]
}

// verify runs `s2sd verify`, which must find the ledger and the files on
// disk in agreement.
func (d *daemon) verify(t *testing.T) {
	t.Helper()
	if out := d.cli(t, "", "verify"); out != "verify: the ledger and the files on disk agree\n" {
		t.Errorf("s2sd verify printed %q", out)
	}
}

// hostKeyFingerprint is the SHA256 fingerprint ("SHA256:…") of one of the
// daemon's host keys (ed25519, ecdsa or rsa), as ssh-keygen prints it.
func (d *daemon) hostKeyFingerprint(t *testing.T, typ string) string {
	t.Helper()
	keygen := needTool(t, "ssh-keygen")
	pub := run(t, exec.Command(keygen, "-y", "-f", filepath.Join(d.data, "hostkeys", "ssh_host_"+typ+"_key")), "")
	if pub.code != 0 {
		t.Fatalf("ssh-keygen -y: %s", pub.stderr)
	}
	pubFile := filepath.Join(d.dir, "host_"+typ+".pub")
	if err := os.WriteFile(pubFile, []byte(pub.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	fp := run(t, exec.Command(keygen, "-l", "-E", "sha256", "-f", pubFile), "")
	f := strings.Fields(fp.stdout)
	if fp.code != 0 || len(f) < 2 || !strings.HasPrefix(f[1], "SHA256:") {
		t.Fatalf("ssh-keygen -l: %q %s", fp.stdout, fp.stderr)
	}
	return f[1]
}
