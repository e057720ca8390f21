package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestFirstStart runs `s2sd serve` with only --data (and --listen on a
// free port) on a directory that does not exist: it creates the data
// directory, the three host keys, the ledger in WAL mode and the mail
// folder, with no config and no root; a second start keeps the keys.
func TestFirstStart(t *testing.T) {
	t.Parallel()
	keygen := needTool(t, "ssh-keygen")
	dir := t.TempDir()
	data := filepath.Join(dir, "new", "s2sd-data")
	d := bareDaemon(t, dir, data, "serve", "--data", data, "--listen", "127.0.0.1:0")
	d.start(t)

	for p, mode := range map[string]os.FileMode{
		data:                            os.ModeDir | 0o700,
		filepath.Join(data, "mail"):     os.ModeDir | 0o700,
		filepath.Join(data, "spool"):    os.ModeDir | 0o700,
		filepath.Join(data, "hostkeys"): os.ModeDir | 0o700,
	} {
		if fi, err := os.Stat(p); err != nil || fi.Mode() != mode {
			t.Errorf("%s: %v %v, want a folder with mode %v", p, fi.Mode(), err, mode)
		}
	}
	keys := map[string]string{}
	for _, k := range []struct{ file, bits, typ string }{
		{"ssh_host_ed25519_key", "256", "(ED25519)"},
		{"ssh_host_ecdsa_key", "256", "(ECDSA)"},
		{"ssh_host_rsa_key", "3072", "(RSA)"},
	} {
		p := filepath.Join(data, "hostkeys", k.file)
		fi, err := os.Stat(p)
		if err != nil || fi.Mode() != 0o600 {
			t.Errorf("%s: %v %v, want mode 0600", p, fi.Mode(), err)
			continue
		}
		r := run(t, exec.Command(keygen, "-l", "-f", p), "")
		f := strings.Fields(r.stdout)
		if r.code != 0 || len(f) < 3 || f[0] != k.bits || f[len(f)-1] != k.typ {
			t.Errorf("ssh-keygen -l -f %s: %q %s, want a %s-bit %s key", k.file, r.stdout, r.stderr, k.bits, k.typ)
		}
		b, _ := os.ReadFile(p)
		keys[k.file] = string(b)
	}
	var journal string
	if err := openLedger(t, filepath.Join(data, "ledger.db")).QueryRow("PRAGMA journal_mode").Scan(&journal); err != nil || journal != "wal" {
		t.Errorf("ledger journal_mode %q (%v), want wal", journal, err)
	}
	if !strings.Contains(d.logText(), fmt.Sprintf(`"listen":"127.0.0.1:%d"`, d.port)) {
		t.Errorf("the log does not name the listen address:\n%s", d.logText())
	}

	d.stop(t)
	d.start(t)
	for file, before := range keys {
		if after, _ := os.ReadFile(filepath.Join(data, "hostkeys", file)); !bytes.Equal(after, []byte(before)) {
			t.Errorf("%s changed at the second start", file)
		}
	}
}

var demoLoginRE = regexp.MustCompile(`(?m)^  (\S+)\s+(\S+)\s+(\S+)\s+password (\S+)$`)

// TestDemo runs `s2sd serve --demo` in an empty working directory, with
// no --data: the data goes to ./s2sd-data, and every printed login works
// with OpenSSH's sftp; one demo school sends the other a CTF.
func TestDemo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d := bareDaemon(t, dir, filepath.Join(dir, "s2sd-data"), "serve", "--demo", "--listen", "127.0.0.1:0")
	d.start(t)
	// The logins are printed once the server listens.
	log := d.waitLog(t, fmt.Sprintf("Connect with: sftp -P %d ampthill@127.0.0.1\n", d.port))
	if !strings.Contains(log, "Demo logins (passwords are new on each start with --demo):\n") {
		t.Fatalf("serve --demo printed:\n%s", log)
	}
	type demoLogin struct{ mailbox, role, password string }
	logins := map[string]demoLogin{}
	for _, m := range demoLoginRE.FindAllStringSubmatch(log, -1) {
		logins[m[1]] = demoLogin{m[2], m[3], m[4]}
	}
	want := map[string][2]string{
		"ampthill": {"8231234", "school"}, "biggleswade": {"8232345", "school"}, "amlwch": {"6602001", "school"},
		"centralbeds": {"823LLLL", "la-user"}, "anglesey": {"660LLLL", "la-user"},
	}
	if len(logins) != len(want) {
		t.Errorf("serve --demo printed logins %v, want %v", logins, want)
	}
	for name, w := range want {
		l, ok := logins[name]
		if !ok || l.mailbox != w[0] || l.role != w[1] {
			t.Errorf("demo login %s: %+v, want mailbox %s role %s", name, l, w[0], w[1])
			continue
		}
		root := []string{"/inbox", "/messages", "/outbox", "/rejected", "/reports"}
		if l.role == "la-user" {
			root = []string{"/copies", "/inbox", "/messages", "/outbox", "/rejected", "/reports", "/withdraw"}
		}
		r := d.sftp(t, login{name: name, password: l.password}, "ls /\n")
		if out := lines(r.stdout); r.code != 0 || len(out) != 2 || !slices.Equal(strings.Fields(out[1]), root) {
			t.Errorf("sftp as demo login %s: exit %d, printed %q, stderr %q", name, r.code, out, r.stderr)
		}
	}

	name, data := ctf("8231234", "8232345", 1, 5_000)
	r := d.sftp(t, login{name: "ampthill", password: logins["ampthill"].password}, "put "+d.localFile(t, name, data)+" /outbox/"+name+"\n")
	if r.code != 0 {
		t.Fatalf("sftp put as the demo school: exit %d\n%s", r.code, r.stderr)
	}
	d.assertRouted(t, "8231234", "8232345", name, data)
}
