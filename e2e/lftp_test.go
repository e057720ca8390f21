package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// lftp runs lftp's commands in one session logged in with a password,
// with localDir as the local working directory.
func (d *daemon) lftp(t *testing.T, l login, localDir string, commands ...string) result {
	t.Helper()
	script := append([]string{
		`set sftp:connect-program "ssh -a -x -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"`,
		"set net:max-retries 1",
		"set net:timeout 20",
		fmt.Sprintf(`open -u "%s,%s" sftp://127.0.0.1:%d`, l.name, l.password, d.port),
		"lcd " + localDir,
	}, commands...)
	f, err := os.CreateTemp(d.dir, "lftp-*")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(strings.Join(script, "\n") + "\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return run(t, exec.Command(needTool(t, "lftp"), "-f", f.Name()), "")
}

// TestLftp sends with lftp's put and mput, lists, is refused a resend and
// the removal of sent and unsent names with the server's own messages, and
// receives with mget.
func TestLftp(t *testing.T) {
	t.Parallel()
	needTool(t, "lftp")
	d := schools(t, options{})
	ampthillLogin, biggleswadeLogin := passwordLogin("ampthill"), passwordLogin("biggleswade")

	send := filepath.Join(d.dir, "send")
	if err := os.MkdirAll(send, 0o700); err != nil {
		t.Fatal(err)
	}
	var names []string
	files := map[string][]byte{}
	for seq := 1; seq <= 4; seq++ {
		name, data := ctf(ampthill, biggleswade, seq, 20_000*seq)
		if err := os.WriteFile(filepath.Join(send, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
		files[name] = data
	}
	unsent := ctfName(ampthill, biggleswade, 9)

	r := d.lftp(t, ampthillLogin, send, "cd /outbox", "put "+names[0], "mput "+strings.Join(names[1:], " "), "cls -1")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("lftp exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if got := lines(r.stdout); !slices.Equal(got, names) {
		t.Errorf("cls -1 /outbox after put and mput lists %q, want %q", got, names)
	}
	for _, name := range names {
		d.assertRouted(t, ampthill, biggleswade, name, files[name])
	}

	r = d.lftp(t, ampthillLogin, send, "cd /outbox",
		"put "+names[0],
		"rm "+unsent,
		"rm "+names[1],
		"put "+names[2]+" -o /inbox/"+names[2],
		"ls")
	wantErr := []string{
		"put: Access failed: " + names[0] + " is still waiting at " + biggleswade + ": send the file again under the next sequence number",
		"rm: Access failed: /outbox/" + unsent + ": no such file or directory",
		"rm: Access failed: " + names[1] + " has been sent and can no longer be deleted",
		"put: Access failed: /inbox/" + names[2] + ": files can only be uploaded into /outbox/; put the file there to send it",
	}
	if got := lines(r.stderr); !slices.Equal(got, wantErr) {
		t.Errorf("lftp stderr:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantErr, "\n"))
	}
	for _, name := range names {
		f := longLine(t, r.stdout, name)
		if f[0] != "-r--------" || f[2] != "ampthill" || f[4] != fmt.Sprint(len(files[name])) {
			t.Errorf("ls /outbox shows %q; want a read-only file of %d bytes owned by ampthill", f, len(files[name]))
		}
	}
	d.assertRouted(t, ampthill, biggleswade, names[0], files[names[0]]) // the refused resend changed nothing

	recv := filepath.Join(d.dir, "recv")
	if err := os.MkdirAll(recv, 0o700); err != nil {
		t.Fatal(err)
	}
	// The receiver refuses one file by deleting it, and takes the rest.
	refused, taken := names[3], names[:3]
	r = d.lftp(t, biggleswadeLogin, recv, "rm /inbox/"+refused, "mget /inbox/*")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("lftp rm and mget exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if got := entries(t, recv); !slices.Equal(got, taken) {
		t.Errorf("mget /inbox/* fetched %q, want %q", got, taken)
	}
	for _, name := range taken {
		assertFile(t, filepath.Join(recv, name), files[name])
		d.waitTransferState(t, name, "collected")
	}
	waitEntries(t, d.box(biggleswade, "inbox"), taken...)
	d.waitTransferState(t, refused, "rejected")
	d.waitAudit(t, "delete", func(e auditEvent) bool { return e.Login == "biggleswade" && e.Object == "/inbox/"+refused })
	d.verify(t)
}
