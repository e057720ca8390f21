package e2e

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// op is one SFTP request of the security matrix and its exact outcome:
// the value on success, or the errno paramiko maps the status to (0 for
// SSH_FX_FAILURE) and the server's message.
type op struct {
	name, op, path, to string
	value              any // on success; nil: not checked
	errno              int
	msg                string // "" means the request succeeds
}

// runOps sends ops as one login and checks every outcome.
func (d *daemon) runOps(t *testing.T, l login, ops []op) {
	t.Helper()
	var req []map[string]string
	for _, o := range ops {
		req = append(req, map[string]string{"name": o.name, "op": o.op, "path": o.path, "to": o.to})
	}
	r := d.py(t, "sftp_probe.py", map[string]any{"user": l.name, "password": l.password, "mode": "ops", "ops": req}, nil)
	for _, o := range ops {
		if o.msg != "" {
			r.failed(o.name, o.errno, o.msg)
			continue
		}
		r.ok(o.name, nil)
		if o.value != nil {
			// Compare as JSON values, whatever their spelling.
			b, _ := json.Marshal(o.value)
			var got, want any
			json.Unmarshal(b, &want)
			json.Unmarshal(r.get(o.name).Value, &got)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: %s %q returned %s, want %s", o.name, o.op, o.path, r.get(o.name).Value, b)
			}
		}
	}
}

const (
	badChars   = "file names may not contain NUL bytes or backslashes"
	onlyOutbox = ": files can only be uploaded into /outbox/; put the file there to send it"
)

func noSuch(p string) string { return p + ": no such file or directory" }

// TestSecurity is the matrix of what no user may do: leave its view, see
// another mailbox, follow links, run commands, forward ports or its agent.
func TestSecurity(t *testing.T) {
	t.Parallel()
	d := schools(t, options{})
	key := d.keyUser(t, "ampthillkey", ampthill)
	d.user(t, "centralbeds", centralBeds, "la-user")
	d.user(t, "centralbedsview", centralBeds, "la-dba-view")
	d.cli(t, password("root")+"\n", "user", "add", "root", "--role", "admin", "--email", "admin@s2s.example.gov.uk", "--password-stdin")
	school := passwordLogin("ampthill")
	name := ctfName(ampthill, biggleswade, 1)

	// A file waiting in the other school's inbox, and links planted in
	// this school's inbox by someone with access to the disk.
	for _, code := range []string{ampthill, biggleswade} {
		if err := os.MkdirAll(d.box(code, "inbox"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	secret := filepath.Join(d.box(biggleswade, "inbox"), "8239999_CTF_8232345_001.XML")
	secretData := []byte("<CTfile>another school's pupils</CTfile>\n")
	real := filepath.Join(d.box(ampthill, "inbox"), "8232345_CTF_8231234_001.XML")
	realData := []byte("<CTfile>this school's pupil</CTfile>\n")
	for p, b := range map[string][]byte{secret: secretData, real: realData} {
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"passwd.XML": "/etc/passwd",
		"other.XML":  "../../" + biggleswade + "/inbox/" + filepath.Base(secret),
		"etc":        "/etc",
	}
	for n, target := range links {
		if err := os.Symlink(target, filepath.Join(d.box(ampthill, "inbox"), n)); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("paths", func(t *testing.T) {
		t.Parallel()
		d.runOps(t, school, []op{
			{name: "dotdot_stat", op: "stat", path: "/outbox/../../../etc/passwd", errno: enoent, msg: noSuch("/etc/passwd")},
			{name: "dotdot_read", op: "read", path: "/outbox/../../../etc/passwd", errno: enoent, msg: noSuch("/etc/passwd")},
			{name: "relative_read", op: "read", path: "../../../../etc/shadow", errno: enoent, msg: noSuch("/etc/shadow")},
			{name: "absolute_read", op: "read", path: "/etc/passwd", errno: enoent, msg: noSuch("/etc/passwd")},
			{name: "dotdot_root", op: "list", path: "/../../", value: []string{"inbox", "messages", "outbox", "rejected", "reports"}},
			{name: "dotdot_list", op: "list", path: "/../../etc", errno: enoent, msg: noSuch("/etc")},
			{name: "dotdot_write", op: "write", path: "/../../tmp/" + name, errno: eacces, msg: "/tmp/" + name + onlyOutbox},
			{name: "outbox_dotdot_write", op: "write", path: "/outbox/../../tmp/" + name, errno: eacces, msg: "/tmp/" + name + onlyOutbox},
			{name: "inbox_write", op: "write", path: "/inbox/" + name, errno: eacces, msg: "/inbox/" + name + onlyOutbox},
			{name: "backslash_stat", op: "stat", path: `/outbox\..\..\etc\passwd`, errno: eacces, msg: badChars},
			{name: "backslash_write", op: "write", path: `/outbox/..\` + name, errno: eacces, msg: badChars},
			{name: "nul_stat", op: "stat", path: "/outbox/\x00", errno: eacces, msg: badChars},
			// The server cleans the path first: a NUL in a component that
			// ".." removes never reaches the view.
			{name: "nul_dotdot_stat", op: "stat", path: "/outbox/x\x00/../../etc/passwd", errno: enoent, msg: noSuch("/etc/passwd")},
			{name: "nul_write", op: "write", path: "/outbox/" + name + "\x00.txt", errno: eacces, msg: badChars},
			{name: "nul_read", op: "read", path: "/inbox/" + filepath.Base(real) + "\x00", errno: eacces, msg: badChars},
			{name: "staging_list", op: "list", path: "/outbox/.staging", errno: enoent, msg: noSuch("/outbox/.staging")},
			{name: "staging_root", op: "list", path: "/.staging", errno: enoent, msg: noSuch("/.staging")},
			{name: "spool_root", op: "list", path: "/" + ampthill, errno: enoent, msg: noSuch("/" + ampthill)},
			{name: "deep", op: "stat", path: "/outbox/sub/" + name, errno: enoent, msg: noSuch("/outbox/sub/" + name)},
			{name: "symlink", op: "symlink", path: "/outbox/link.XML", to: "/etc/passwd", errno: eacces, msg: "links are not allowed"},
			{name: "readlink", op: "readlink", path: "/outbox", msg: "/outbox is not a link"},
			{name: "mkdir", op: "mkdir", path: "/outbox/sub", errno: eacces, msg: "folders cannot be created; upload files into /outbox/"},
			{name: "rmdir", op: "rmdir", path: "/outbox", errno: eacces, msg: "folders cannot be removed"},
			{name: "rename_out", op: "rename", path: "/inbox/" + filepath.Base(real), to: "/outbox/" + name, errno: eacces,
				msg: "only a file uploaded into /outbox/ under a temporary name (such as NAME.filepart) can be renamed, to its final name in /outbox/"},
			{name: "rename_escape", op: "posix_rename", path: "/outbox/" + name + ".filepart", to: "/../../tmp/x", errno: enoent, msg: noSuch("/tmp/x")},
			{name: "setstat", op: "setstat", path: "/etc/passwd", errno: enoent, msg: noSuch("/etc/passwd")},
			{name: "realpath", op: "realpath", path: "../../..", value: "/"},
		})
		if _, err := os.Stat("/tmp/" + name); err == nil {
			t.Errorf("/tmp/%s exists", name)
		}
	})

	t.Run("other mailbox", func(t *testing.T) {
		t.Parallel()
		base := filepath.Base(secret)
		d.runOps(t, school, []op{
			{name: "list", op: "list", path: "/" + biggleswade + "/inbox", errno: enoent, msg: noSuch("/" + biggleswade + "/inbox")},
			{name: "read", op: "read", path: "/" + biggleswade + "/inbox/" + base, errno: enoent, msg: noSuch("/" + biggleswade + "/inbox/" + base)},
			{name: "relative", op: "read", path: "../" + biggleswade + "/inbox/" + base, errno: enoent, msg: noSuch("/" + biggleswade + "/inbox/" + base)},
			{name: "via_inbox", op: "read", path: "/inbox/../../" + biggleswade + "/inbox/" + base, errno: enoent, msg: noSuch("/" + biggleswade + "/inbox/" + base)},
			{name: "absent_same_answer", op: "stat", path: "/" + biggleswade + "/inbox/nothing.XML", errno: enoent, msg: noSuch("/" + biggleswade + "/inbox/nothing.XML")},
			{name: "remove", op: "remove", path: "/" + biggleswade + "/inbox/" + base, errno: enoent, msg: noSuch("/" + biggleswade + "/inbox/" + base)},
			{name: "copies", op: "list", path: "/copies", errno: enoent, msg: noSuch("/copies")},
		})
		assertFile(t, secret, secretData)
	})

	t.Run("planted links", func(t *testing.T) {
		t.Parallel()
		realBase := filepath.Base(real)
		d.runOps(t, school, []op{
			{name: "list", op: "list", path: "/inbox", value: []string{realBase}},
			{name: "read_real", op: "read", path: "/inbox/" + realBase, value: string(realData)},
			{name: "stat_passwd", op: "stat", path: "/inbox/passwd.XML", errno: enoent, msg: noSuch("/inbox/passwd.XML")},
			{name: "lstat_passwd", op: "lstat", path: "/inbox/passwd.XML", errno: enoent, msg: noSuch("/inbox/passwd.XML")},
			{name: "read_passwd", op: "read", path: "/inbox/passwd.XML", errno: enoent, msg: noSuch("/inbox/passwd.XML")},
			{name: "read_other", op: "read", path: "/inbox/other.XML", errno: enoent, msg: noSuch("/inbox/other.XML")},
			{name: "list_dir_link", op: "list", path: "/inbox/etc", msg: "/inbox/etc is not a folder"},
			{name: "read_through_dir_link", op: "read", path: "/inbox/etc/passwd", errno: enoent, msg: noSuch("/inbox/etc/passwd")},
			{name: "remove_link", op: "remove", path: "/inbox/passwd.XML", errno: enoent, msg: noSuch("/inbox/passwd.XML")},
			{name: "readlink", op: "readlink", path: "/inbox/passwd.XML", msg: "/inbox/passwd.XML is not a link"},
		})
		for n, target := range links {
			if got, err := os.Readlink(filepath.Join(d.box(ampthill, "inbox"), n)); err != nil || got != target {
				t.Errorf("planted link %s: %q, %v", n, got, err)
			}
		}
		assertFile(t, secret, secretData)
	})

	t.Run("role views", func(t *testing.T) {
		t.Parallel()
		d.runOps(t, passwordLogin("root"), []op{
			{name: "root", op: "list", path: "/", value: []string{"outbox", "rejected", "reports"}},
			{name: "inbox", op: "list", path: "/inbox", errno: enoent, msg: noSuch("/inbox")},
		})
		d.runOps(t, passwordLogin("centralbeds"), []op{
			{name: "root", op: "list", path: "/", value: []string{"copies", "inbox", "messages", "outbox", "rejected", "reports", "withdraw"}},
		})
		d.runOps(t, passwordLogin("centralbedsview"), []op{
			{name: "root", op: "list", path: "/", value: []string{"admin", "reports"}},
			{name: "inbox", op: "list", path: "/inbox", errno: enoent, msg: noSuch("/inbox")},
			{name: "write", op: "write", path: "/outbox/" + name, errno: eacces, msg: "/outbox/" + name + ": your role cannot upload files"},
		})
	})

	t.Run("openssh links and names", func(t *testing.T) {
		t.Parallel()
		realBase := filepath.Base(real)
		local := d.localFile(t, name, []byte("x"))
		r := d.sftp(t, login{name: "ampthillkey", key: key}, strings.Join([]string{
			"-ln -s /inbox/" + realBase + " /outbox/symlink.XML",
			"-ln /inbox/" + realBase + " /outbox/hardlink.XML",
			`-put ` + local + ` "/outbox/back\\slash.XML"`,
			"-cd /" + biggleswade + "/inbox",
			"-ls ../" + biggleswade,
			"-get /inbox/passwd.XML " + filepath.Join(d.dir, "passwd"),
			"ls /inbox",
			"",
		}, "\n"))
		want := []string{
			`remote symlink file "/inbox/` + realBase + `" to "/outbox/symlink.XML": Permission denied`,
			`remote link "/inbox/` + realBase + `" to "/outbox/hardlink.XML": Permission denied`,
			`dest open "/outbox/back\\slash.XML": Permission denied`,
			`stat remote: No such file or directory`,
			`Can't ls: "/../` + biggleswade + `" not found`,
			`File "/inbox/passwd.XML" not found.`,
		}
		if got := lines(r.stderr); r.code != 0 || !slices.Equal(got, want) {
			t.Errorf("sftp exit %d, stderr:\n%s\nwant:\n%s", r.code, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		out := lines(r.stdout)
		if last := strings.TrimSpace(out[len(out)-1]); last != "/inbox/"+realBase {
			t.Errorf("ls /inbox printed %q, want only %s", last, realBase)
		}
	})

	t.Run("exec shell subsystem", func(t *testing.T) {
		t.Parallel()
		l := login{name: "ampthillkey", key: key}
		// ssh may exit on the refusal before it has shown what the server
		// wrote on the channel's stderr, or the refusal of a request sent
		// after the one it stops at; those lines may appear, no others.
		const told = "s2sd serves only SFTP: shell and command execution are not available."
		for _, c := range []struct {
			opts     []string
			command  []string
			required string
			optional []string
		}{
			{nil, []string{"ls", "/"}, "exec request failed on channel 0", []string{told}},
			{[]string{"-tt"}, nil, "PTY allocation request failed on channel 0", []string{told, "shell request failed on channel 0"}},
			{[]string{"-T"}, nil, "shell request failed on channel 0", []string{told}},
			{[]string{"-s"}, []string{"netconf"}, "subsystem request failed on channel 0", nil},
		} {
			r := d.ssh(t, l, c.opts, c.command...)
			got := lines(r.stderr)
			extra := slices.DeleteFunc(slices.Clone(got), func(l string) bool { return l == c.required || slices.Contains(c.optional, l) })
			if r.code != 255 || !slices.Contains(got, c.required) || len(extra) > 0 || r.stdout != "" {
				t.Errorf("ssh %q %q: exit %d, stdout %q, stderr %q; want exit 255 and %q", c.opts, c.command, r.code, r.stdout, got, c.required)
			}
		}
		r := d.py(t, "sftp_probe.py", map[string]any{"user": "ampthill", "password": password("ampthill"), "mode": "agent"}, nil)
		for _, s := range []string{"agent_forwarding", "exec", "shell", "subsystem_other"} {
			var v string
			r.ok(s, &v)
			if v != "refused: Channel closed." {
				t.Errorf("%s channel request with want-reply: %s, want it refused", s, v)
			}
		}
		var root []string
		r.ok("sftp_after", &root)
		r.ok("sftp_first_channel", &root)
		if !slices.Equal(root, []string{"inbox", "messages", "outbox", "rejected", "reports"}) {
			t.Errorf("SFTP after the refused requests lists / as %q", root)
		}
	})

	t.Run("port forwarding", func(t *testing.T) {
		t.Parallel()
		l := login{name: "ampthillkey", key: key}
		prohibited := regexp.MustCompile(`(?m)^channel \d+: open failed: administratively prohibited: s2sd serves only SFTP: port forwarding and other channels are not allowed\r?$`)

		// -W: stdio forwarding fails outright.
		r := d.ssh(t, l, []string{"-o", "LogLevel=INFO", "-W", d.addr()})
		if r.code != 255 || !prohibited.MatchString(r.stderr) || !strings.Contains(r.stderr, "stdio forwarding failed") {
			t.Errorf("ssh -W: exit %d, stderr:\n%s", r.code, r.stderr)
		}
		// -R: the server refuses the tcpip-forward global request.
		r = d.ssh(t, l, []string{"-N", "-o", "ExitOnForwardFailure=yes", "-R", "127.0.0.1:0:" + d.addr()})
		if got := lines(r.stderr); r.code != 255 || !slices.Equal(got, []string{"Error: remote port forwarding failed for listen port 0"}) {
			t.Errorf("ssh -R: exit %d, stderr %q", r.code, got)
		}
		// -L: the local port opens, but each connection's channel is
		// refused and the connection closed.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		local := ln.Addr().String()
		ln.Close()
		stderr := filepath.Join(d.dir, "forward.err")
		f, err := os.Create(stderr)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cmd := d.opensshCmd(t, "ssh", l, []string{"-o", "LogLevel=INFO", "-N", "-L", local + ":" + d.addr()}, "ampthillkey@127.0.0.1")
		cmd.Env = env()
		cmd.Stdout, cmd.Stderr = f, f
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() {
			cmd.Process.Kill()
			cmd.Wait()
		}()
		var c net.Conn
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if c, err = net.Dial("tcp", local); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("ssh -L did not listen on %s: %v", local, err)
			}
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if n, err := c.Read(make([]byte, 64)); n != 0 || err == nil {
			t.Errorf("a forwarded connection read %d bytes, %v; want it closed at once", n, err)
		}
		c.Close()
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			b, _ := os.ReadFile(stderr)
			if prohibited.Match(b) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("ssh -L printed:\n%s\nwant the channel refused as administratively prohibited", b)
			}
		}
	})

	t.Run("agent forwarding", func(t *testing.T) {
		t.Parallel()
		sock := filepath.Join(d.dir, "agent.sock")
		agent := exec.Command(needTool(t, "ssh-agent"), "-D", "-a", sock)
		agent.Env = env()
		if err := agent.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() {
			agent.Process.Kill()
			agent.Wait()
		}()
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if _, err := os.Stat(sock); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("ssh-agent did not create its socket")
			}
		}
		cmd := d.opensshCmd(t, "sftp", login{name: "ampthillkey", key: key}, []string{"-A", "-o", "IdentityAgent=" + sock, "-o", "LogLevel=DEBUG1"}, "-b", "-", "ampthillkey@127.0.0.1")
		cmd.Env = env("SSH_AUTH_SOCK=" + sock)
		r := run(t, cmd, "ls /\n")
		if r.code != 0 || !strings.Contains(r.stderr, "debug1: Requesting authentication agent forwarding.") {
			t.Fatalf("sftp -A: exit %d\nstderr:\n%s", r.code, r.stderr)
		}
		if out := lines(r.stdout); len(out) != 2 || !slices.Equal(strings.Fields(out[1]), []string{"/inbox", "/messages", "/outbox", "/rejected", "/reports"}) {
			t.Errorf("sftp -A: ls / printed %q", out)
		}
	})

}
