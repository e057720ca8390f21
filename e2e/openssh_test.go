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

// login is how a client authenticates: with a password, or with a key.
type login struct {
	name     string
	password string // "" for a key login
	key      string // private key file
}

func passwordLogin(name string) login { return login{name: name, password: password(name)} }

// opensshCmd builds an OpenSSH command (ssh or sftp) for l. opts come
// first so that they win over the defaults (OpenSSH keeps the first value
// of an option); tail follows them (destination, batch file, command). A
// password is typed by sshpass.
func (d *daemon) opensshCmd(t *testing.T, tool string, l login, opts []string, tail ...string) *exec.Cmd {
	args := append([]string{"-F", os.DevNull}, opts...)
	args = append(args,
		"-o", fmt.Sprintf("Port=%d", d.port),
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "LogLevel=ERROR", "-o", "ConnectTimeout=20", "-o", "IdentityAgent=none")
	if l.key != "" {
		args = append(args, "-i", l.key, "-o", "IdentitiesOnly=yes", "-o", "PasswordAuthentication=no",
			"-o", "KbdInteractiveAuthentication=no", "-o", "BatchMode=yes")
	} else {
		// sftp -b adds BatchMode=yes, which would stop the password
		// prompt; the first value given wins.
		args = append(args, "-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password",
			"-o", "NumberOfPasswordPrompts=1", "-o", "BatchMode=no")
	}
	args = append(args, tail...)
	prog := needTool(t, tool)
	if l.key != "" {
		return exec.Command(prog, args...)
	}
	cmd := exec.Command(needTool(t, "sshpass"), append([]string{"-e", prog}, args...)...)
	cmd.Env = env("SSHPASS=" + l.password)
	return cmd
}

// sftp runs OpenSSH sftp in batch mode.
func (d *daemon) sftp(t *testing.T, l login, batch string, opts ...string) result {
	t.Helper()
	f, err := os.CreateTemp(d.dir, "batch-*")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(batch); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return run(t, d.opensshCmd(t, "sftp", l, opts, "-b", f.Name(), l.name+"@127.0.0.1"), "")
}

// ssh runs OpenSSH ssh with a remote command (or none).
func (d *daemon) ssh(t *testing.T, l login, opts []string, command ...string) result {
	t.Helper()
	return run(t, d.opensshCmd(t, "ssh", l, opts, append([]string{l.name + "@127.0.0.1"}, command...)...), "")
}

// longLine finds the `ls -l` line of name in sftp's output and returns
// its fields: mode, links, owner, group, size, date (3 fields), name.
func longLine(t *testing.T, out, name string) []string {
	t.Helper()
	for _, l := range lines(out) {
		f := strings.Fields(l)
		if len(f) == 9 && f[8] == name {
			return f
		}
	}
	t.Fatalf("no `ls -l` line for %s in:\n%s", name, out)
	return nil
}

// TestOpenSSH drives OpenSSH's sftp in batch mode, with a key and with a
// password: each school sends the other a CTF, which is routed into the
// other's inbox, and downloads the one it received; and the refusals.
func TestOpenSSH(t *testing.T) {
	t.Parallel()
	d := schools(t, options{})
	key := d.keyUser(t, "ampthillkey", ampthill) // while the daemon runs
	type leg struct {
		sender, receiver login
		from, to         string
		name             string
		data             []byte
	}
	legs := []*leg{
		{sender: login{name: "ampthillkey", key: key}, receiver: passwordLogin("biggleswade"), from: ampthill, to: biggleswade},
		{sender: passwordLogin("biggleswade"), receiver: login{name: "ampthillkey", key: key}, from: biggleswade, to: ampthill},
	}
	for i, lg := range legs {
		lg.name, lg.data = ctf(lg.from, lg.to, i+1, 150_000)
	}
	for _, lg := range legs {
		t.Run("send/"+lg.sender.name, func(t *testing.T) {
			local := d.localFile(t, lg.name, lg.data)
			r := d.sftp(t, lg.sender, strings.Join([]string{
				"ls /",
				"put " + local + " /outbox/" + lg.name,
				"ls -l /outbox",
				"-put " + local + " /inbox/" + lg.name,
				"-mkdir /outbox/newfolder",
				"-ls /copies",
				"-rm /outbox/" + lg.name,
				"",
			}, "\n"))
			if r.code != 0 {
				t.Fatalf("sftp exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			// OpenSSH's sftp prints the status code's text, not the
			// server's message (paramiko_test.go checks the messages).
			wantErr := []string{
				`dest open "/inbox/` + lg.name + `": Permission denied`,
				`remote mkdir "/outbox/newfolder": Permission denied`,
				`Can't ls: "/copies" not found`,
				`remote delete /outbox/` + lg.name + `: Permission denied`,
			}
			if got := lines(r.stderr); !slices.Equal(got, wantErr) {
				t.Errorf("sftp stderr:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantErr, "\n"))
			}
			out := lines(r.stdout)
			i := slices.Index(out, "sftp> ls /")
			if i < 0 || i+1 >= len(out) || !slices.Equal(strings.Fields(out[i+1]), []string{"/inbox", "/messages", "/outbox", "/rejected", "/reports"}) {
				t.Errorf("ls / printed:\n%s", r.stdout)
			}
			f := longLine(t, r.stdout, lg.name)
			if f[0] != "-r--------" || f[2] != lg.sender.name || f[3] != lg.from || f[4] != fmt.Sprint(len(lg.data)) {
				t.Errorf("ls -l /outbox shows %q; want a read-only file of %d bytes owned by %s, group %s", f, len(lg.data), lg.sender.name, lg.from)
			}
			d.assertRouted(t, lg.from, lg.to, lg.name, lg.data)
			d.waitAudit(t, "upload", func(e auditEvent) bool {
				return e.Login == lg.sender.name && e.Object == lg.name && e.Detail == fmt.Sprintf("size=%d", len(lg.data))
			})
		})
	}
	for _, lg := range legs {
		t.Run("receive/"+lg.receiver.name, func(t *testing.T) {
			got := filepath.Join(d.dir, "got-"+lg.name)
			r := d.sftp(t, lg.receiver, "ls -l /inbox\nget /inbox/"+lg.name+" "+got+"\n")
			if r.code != 0 {
				t.Fatalf("sftp exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			f := longLine(t, r.stdout, lg.name)
			if f[0] != "-rw-------" || f[2] != lg.receiver.name || f[3] != lg.to || f[4] != fmt.Sprint(len(lg.data)) {
				t.Errorf("ls -l /inbox shows %q; want a file of %d bytes owned by %s, group %s", f, len(lg.data), lg.receiver.name, lg.to)
			}
			assertFile(t, got, lg.data)
			d.waitTransferState(t, lg.name, "collected")
			d.waitAudit(t, "download", func(e auditEvent) bool {
				return e.Login == lg.receiver.name && e.Object == "/inbox/"+lg.name && e.Detail == "complete=true"
			})
		})
	}
	waitEntries(t, d.box(ampthill, ".staging"))
	waitEntries(t, d.box(biggleswade, ".staging"))
}
