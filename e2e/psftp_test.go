package e2e

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// psftp runs PuTTY's psftp (FileZilla's SFTP code) in batch mode in dir,
// carrying on after errors (-be), with the server's ed25519 host key
// pinned. psftp answers the server's keyboard-interactive "Password: "
// prompt with -pw.
func (d *daemon) psftp(t *testing.T, l login, dir, batch string) result {
	t.Helper()
	psftp := needTool(t, "psftp")
	f, err := os.CreateTemp(d.dir, "psftp-*")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(batch); err != nil {
		t.Fatal(err)
	}
	f.Close()
	cmd := exec.Command(psftp, "-P", fmt.Sprint(d.port), "-l", l.name, "-pw", l.password, "-batch", "-be",
		"-hostkey", d.hostKeyFingerprint(t, "ed25519"), "-b", f.Name(), "127.0.0.1")
	cmd.Dir = dir
	return run(t, cmd, "")
}

// TestPsftp sends, lists and receives with psftp, including a 4 MiB
// download, during which PuTTY sends winadj@putty.projects.tartarus.org
// channel requests that must be answered (with failure) for the transfer
// to go on; and shows psftp's wording of the refusals.
func TestPsftp(t *testing.T) {
	t.Parallel()
	needTool(t, "psftp")
	d := schools(t, options{})
	small, smallData := ctf(ampthill, biggleswade, 1, 30_000)
	big, bigData := ctf(ampthill, biggleswade, 2, 4<<20)
	d.localFile(t, small, smallData)
	d.localFile(t, big, bigData)
	local := filepath.Join(d.dir, "local")

	r := d.psftp(t, passwordLogin("ampthill"), local, strings.Join([]string{
		"cd /outbox",
		"put " + small,
		"put " + big,
		"put " + small + " /inbox/" + small,
		"mkdir /outbox/newfolder",
		"rm " + small,
		"ls /copies",
		"ls",
		"",
	}, "\n"))
	if r.code != 0 {
		t.Fatalf("psftp exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	// PuTTY prints the status code's text, not the server's message.
	want := []string{
		"Remote working directory is /",
		"Remote directory is now /outbox",
		"local:" + small + " => remote:/outbox/" + small,
		"local:" + big + " => remote:/outbox/" + big,
		"/inbox/" + small + ": open for write: permission denied",
		"mkdir /outbox/newfolder: permission denied",
		"rm /outbox/" + small + ": permission denied",
		"Listing directory /copies",
		"Unable to open /copies: no such file or directory",
		"Listing directory /outbox",
	}
	if got := lines(r.stdout); len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
		t.Errorf("psftp printed:\n%s\nwant it to start with:\n%s", r.stdout, strings.Join(want, "\n"))
	}
	for name, data := range map[string][]byte{small: smallData, big: bigData} {
		if f := longLine(t, r.stdout, name); f[0] != "-r--------" || f[2] != "ampthill" || f[4] != fmt.Sprint(len(data)) {
			t.Errorf("psftp ls shows %q; want a read-only file of %d bytes owned by ampthill", f, len(data))
		}
		d.assertRouted(t, ampthill, biggleswade, name, data)
	}
	wantAuth := []string{`Using username "ampthill".`, "Keyboard-interactive authentication prompts from server:", "End of keyboard-interactive prompts from server"}
	if got := lines(r.stderr); !slices.Equal(got, wantAuth) {
		t.Errorf("psftp stderr:\n%s\nwant:\n%s", r.stderr, strings.Join(wantAuth, "\n"))
	}

	recv := filepath.Join(d.dir, "recv")
	if err := os.MkdirAll(recv, 0o700); err != nil {
		t.Fatal(err)
	}
	r = d.psftp(t, passwordLogin("biggleswade"), recv, "cd /inbox\nget "+small+"\nget "+big+"\n")
	want = []string{
		"Remote working directory is /",
		"Remote directory is now /inbox",
		"remote:/inbox/" + small + " => local:" + small,
		"remote:/inbox/" + big + " => local:" + big,
	}
	if got := lines(r.stdout); r.code != 0 || !slices.Equal(got, want) {
		t.Errorf("psftp get: exit %d, printed:\n%s\nwant:\n%s\nstderr:\n%s", r.code, r.stdout, strings.Join(want, "\n"), r.stderr)
	}
	assertFile(t, filepath.Join(recv, small), smallData)
	assertFile(t, filepath.Join(recv, big), bigData)

	// psftp does not say whether it sent winadj, so paramiko sends one
	// in the middle of a download, on the SFTP channel, as PuTTY does.
	py := d.py(t, "sftp_probe.py", map[string]any{
		"user": "biggleswade", "password": password("biggleswade"), "mode": "winadj", "path": "/inbox/" + big,
	}, nil)
	var reply, sum string
	py.ok("winadj", &reply)
	if reply != "failure" {
		t.Errorf("winadj@putty.projects.tartarus.org with want-reply: %q, want failure", reply)
	}
	py.ok("download", &sum)
	if want := fmt.Sprintf("%x", sha256.Sum256(bigData)); sum != want {
		t.Errorf("the download around the winadj request has SHA-256 %s, want %s", sum, want)
	}
	py.ok("list", nil)
}
