package e2e

import (
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

var metricsRE = regexp.MustCompile(`"component":"metrics","listen":"(127\.0\.0\.1:\d+)".*"message":"metrics listening"`)

// TestUnderSystemd runs the real binary as systemd runs a Type=notify
// service with a watchdog: NOTIFY_SOCKET is a unixgram socket of the
// test's. The daemon must say READY=1 once it serves and ping the
// watchdog; serve metrics and readiness; on SIGHUP say RELOADING=1, apply
// log.level from the edited file and say READY=1; on SIGTERM say
// STOPPING=1 and exit 0. It sets environment variables, so it does not
// run in parallel.
func TestUnderSystemd(t *testing.T) {
	dir, err := os.MkdirTemp("", "sdn") // a socket path must be short
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(dir, "notify"), Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()
	msgs := make(chan string, 1000)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := sock.Read(buf)
			if err != nil {
				return
			}
			msgs <- string(buf[:n])
		}
	}()
	t.Setenv("NOTIFY_SOCKET", filepath.Join(dir, "notify"))
	t.Setenv("WATCHDOG_USEC", "300000")
	next := func(what string) string {
		t.Helper()
		for {
			select {
			case m := <-msgs:
				if m != "WATCHDOG=1" {
					return m
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("no sd_notify message (%s) within 30s", what)
			}
		}
	}

	d := schools(t, options{extra: "\n[metrics]\nlisten = \"127.0.0.1:0\"\n\n[log]\nlevel = \"info\"\n"})
	if m, want := next("ready"), "READY=1\nSTATUS=serving SFTP on "+d.addr(); m != want {
		t.Fatalf("first message %q, want %q", m, want)
	}
	select {
	case m := <-msgs:
		if m != "WATCHDOG=1" {
			t.Fatalf("got %q, want a watchdog ping", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no watchdog ping within 5s of a 300ms watchdog")
	}

	m := metricsRE.FindStringSubmatch(d.logText())
	if m == nil {
		t.Fatalf("no metrics listener in the log:\n%s", d.logText())
	}
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + m[1] + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/readyz"); code != 200 || body != "ready\n" {
		t.Fatalf("/readyz: %d %q", code, body)
	}
	if r := d.sftp(t, passwordLogin("ampthill"), "ls /\n"); r.code != 0 {
		t.Fatalf("sftp: exit %d\n%s", r.code, r.stderr)
	}
	if _, body := get("/metrics"); !strings.Contains(body, `s2sd_logins_total{outcome="ok"} 1`) {
		t.Errorf("/metrics after one login:\n%s", body)
	}

	cfg, err := os.ReadFile(d.config)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(cfg), `level = "info"`, `level = "debug"`, 1)
	if err := os.WriteFile(d.config, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if m := next("reloading"); !strings.HasPrefix(m, "RELOADING=1\nMONOTONIC_USEC=") {
		t.Fatalf("reload began with %q", m)
	}
	if m := next("reloaded"); m != "READY=1" {
		t.Fatalf("reload ended with %q", m)
	}
	d.waitLog(t, `"message":"SIGHUP: configuration reloaded: log.level"`)
	if r := d.sftp(t, passwordLogin("ampthill"), "ls /\n"); r.code != 0 {
		t.Fatalf("sftp after SIGHUP: exit %d\n%s", r.code, r.stderr)
	}
	d.waitLog(t, `"level":"debug"`) // the new level applies

	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if m := next("stopping"); m != "STOPPING=1" {
		t.Fatalf("shutdown began with %q", m)
	}
	d.waitExit(t)
}

// TestServeExitCodes: serve exits 1 with the field named when the config
// is wrong, and 2 on a command line that does not parse.
func TestServeExitCodes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(bad, []byte("[daemon]\nshutdown_grace = \"0s\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args   []string
		env    []string
		code   int
		stderr string
	}{
		{[]string{"--config", bad, "serve"}, nil, 1, "s2sd: config: daemon.shutdown_grace: must be greater than zero\n"},
		{[]string{"serve"}, []string{"S2SD_DAEMON_SHUTDOWN_GRACE=soon"}, 1,
			"s2sd: config: S2SD_DAEMON_SHUTDOWN_GRACE (daemon.shutdown_grace): \"soon\" is not a duration such as 90s, 10m or 1h\n"},
	} {
		cmd := exec.Command(build.bin, tc.args...)
		cmd.Dir = dir
		cmd.Env = env(tc.env...)
		r := run(t, cmd, "")
		if r.code != tc.code || r.stderr != tc.stderr {
			t.Errorf("s2sd %s: exit %d, stderr %q; want %d, %q", strings.Join(tc.args, " "), r.code, r.stderr, tc.code, tc.stderr)
		}
	}
	cmd := exec.Command(build.bin, "serve", "--no-such-flag")
	cmd.Dir = dir
	cmd.Env = env()
	if r := run(t, cmd, ""); r.code != 2 {
		t.Errorf("serve --no-such-flag: exit %d, want 2", r.code)
	}
}
