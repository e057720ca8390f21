// Package e2e runs the clients people really use (OpenSSH sftp, lftp,
// curl, psftp and paramiko) against the real s2sd binary, each test with
// its own daemon, data directory and SQLite ledger on loopback.
package e2e

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// build holds what TestMain prepares once for every test: the s2sd binary
// and a set of host keys to copy into each data directory, so that tests
// do not each spend seconds generating an RSA-3072 key. Only TestMain
// writes it.
var build struct {
	bin      string // the s2sd binary
	hostKeys string // directory of pre-generated host keys, or ""
}

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "s2sd-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	build.bin = filepath.Join(tmp, "s2sd")
	cmd := exec.Command("go", "build", "-o", build.bin, "./cmd/s2sd")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build ./cmd/s2sd: %v\n%s", err, out)
		return 1
	}
	build.hostKeys = hostKeyTemplate(filepath.Join(tmp, "hostkeys"))
	return m.Run()
}

// moduleRoot is the directory of the main module's go.mod.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside a Go module")
	}
	return filepath.Dir(gomod), nil
}

// hostKeyTemplate generates s2sd's three host keys with ssh-keygen into
// dir and returns dir, or "" when ssh-keygen is missing (each daemon then
// generates its own).
func hostKeyTemplate(dir string) string {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return ""
	}
	for _, k := range []struct{ typ, bits string }{{"ed25519", "256"}, {"ecdsa", "256"}, {"rsa", "3072"}} {
		path := filepath.Join(dir, "ssh_host_"+k.typ+"_key")
		if err := exec.Command("ssh-keygen", "-q", "-t", k.typ, "-b", k.bits, "-N", "", "-C", "", "-f", path).Run(); err != nil {
			return ""
		}
	}
	return dir
}

// options are the config settings a test changes from the harness's.
type options struct {
	extra              string // more TOML, appended to the config
	lockoutThreshold   int    // failures that lock an account or unknown login; default 3
	addressLockout     int    // failures that lock a source address; default 5
	maxAuthTries       int    // default 6
	maxConnsPerAddress int    // default 64
	maxCTFSize         int64  // default 50 MiB
	handshakeTimeout   string // default "20s"
}

// daemon is one s2sd data directory and the `s2sd serve` process running
// on it, restarted as often as a test likes.
type daemon struct {
	dir    string   // the test's scratch directory
	data   string   // the data directory
	config string   // the TOML config file; "" for none
	serve  []string // the arguments that start the daemon
	port   int      // the SFTP port of the current run

	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
	log  string        // the current run's stdout and stderr
	runs int
}

// newDaemon writes a config for a fresh data directory (with host keys
// already in it) but does not start the daemon.
func newDaemon(t *testing.T, o options) *daemon {
	t.Helper()
	dir := t.TempDir()
	d := &daemon{dir: dir, data: filepath.Join(dir, "data"), config: filepath.Join(dir, "s2sd.toml")}
	d.serve = []string{"--config", d.config, "serve"}
	if o.lockoutThreshold == 0 {
		o.lockoutThreshold = 3
	}
	if o.addressLockout == 0 {
		o.addressLockout = 5
	}
	if o.maxAuthTries == 0 {
		o.maxAuthTries = 6
	}
	if o.maxConnsPerAddress == 0 {
		o.maxConnsPerAddress = 64
	}
	if o.maxCTFSize == 0 {
		o.maxCTFSize = 50 << 20
	}
	if o.handshakeTimeout == "" {
		o.handshakeTimeout = "20s"
	}
	cfg := fmt.Sprintf(`data = %q
listen = "127.0.0.1:0"

[sftp]
max_ctf_size = %d

[auth]
lockout_threshold = %d
address_lockout_threshold = %d
lockout_base = "1m"
lockout_max = "10m"
min_password_length = 12
max_concurrent_hashes = 4

[ssh]
handshake_timeout = %q
max_auth_tries = %d
max_conns_per_address = %d
`, d.data, o.maxCTFSize, o.lockoutThreshold, o.addressLockout, o.handshakeTimeout, o.maxAuthTries, o.maxConnsPerAddress) + o.extra
	if err := os.WriteFile(d.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(d.data, "hostkeys"), 0o700); err != nil {
		t.Fatal(err)
	}
	if build.hostKeys != "" {
		for _, name := range []string{"ssh_host_ed25519_key", "ssh_host_ecdsa_key", "ssh_host_rsa_key"} {
			b, err := os.ReadFile(filepath.Join(build.hostKeys, name))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(d.data, "hostkeys", name), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Cleanup(func() { d.cleanup(t) })
	return d
}

// bareDaemon is a daemon started with exactly args and no config file, in
// dir as its working directory; data is the data directory it should use.
func bareDaemon(t *testing.T, dir, data string, args ...string) *daemon {
	d := &daemon{dir: dir, data: data, serve: args}
	t.Cleanup(func() { d.cleanup(t) })
	return d
}

// schools is the usual fixture, started: two schools and their LA, and a
// password user in each school.
func schools(t *testing.T, o options) *daemon {
	t.Helper()
	d := newDaemon(t, o)
	d.mailbox(t, ampthill, "Ampthill Lower School", "office@ampthill.sch.uk")
	d.mailbox(t, biggleswade, "Biggleswade Academy", "office@biggleswade.sch.uk")
	d.mailbox(t, centralBeds, "Central Bedfordshire Council", "s2s@centralbedfordshire.gov.uk")
	d.user(t, "ampthill", ampthill, "school")
	d.user(t, "biggleswade", biggleswade, "school")
	d.start(t)
	return d
}

// env is the environment for s2sd and the clients: this process's, less
// any S2SD_ settings that would point the daemon elsewhere.
func env(extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "S2SD_") && !strings.HasPrefix(kv, "SSH_AUTH_SOCK=") {
			out = append(out, kv)
		}
	}
	return append(out, extra...)
}

var listeningRE = regexp.MustCompile(`"listen":"127\.0\.0\.1:(\d+)".*"message":"SFTP server listening"`)

// start starts `s2sd serve` and waits until it accepts connections.
func (d *daemon) start(t *testing.T) {
	t.Helper()
	d.runs++
	d.log = filepath.Join(d.dir, fmt.Sprintf("serve-%d.log", d.runs))
	logf, err := os.Create(d.log)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	d.cmd = exec.Command(build.bin, d.serve...)
	d.cmd.Dir = d.dir
	d.cmd.Env = env()
	d.cmd.Stdout, d.cmd.Stderr = logf, logf
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) {
		cmd.Wait()
		close(done)
	}(d.cmd, d.done)

	deadline := time.Now().Add(60 * time.Second)
	for {
		if m := listeningRE.FindStringSubmatch(d.logText()); m != nil {
			fmt.Sscan(m[1], &d.port)
			break
		}
		select {
		case <-d.done:
			t.Fatalf("s2sd serve exited at start-up (%v):\n%s", d.cmd.ProcessState, d.logText())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("s2sd serve did not listen within a minute:\n%s", d.logText())
		}
	}
	c, err := net.DialTimeout("tcp", d.addr(), 5*time.Second)
	if err != nil {
		t.Fatalf("s2sd serve logged that it listens on %s but: %v", d.addr(), err)
	}
	c.Close()
}

func (d *daemon) addr() string { return fmt.Sprintf("127.0.0.1:%d", d.port) }

func (d *daemon) logText() string {
	b, _ := os.ReadFile(d.log)
	return string(b)
}

// waitLog waits up to 30s for the daemon to print text, and returns all
// it has printed.
func (d *daemon) waitLog(t *testing.T, text string) string {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		log := d.logText()
		if strings.Contains(log, text) {
			return log
		}
		if time.Now().After(deadline) || !d.running() {
			t.Fatalf("s2sd serve did not print %q:\n%s", text, log)
		}
	}
}

func (d *daemon) running() bool {
	if d.cmd == nil {
		return false
	}
	select {
	case <-d.done:
		return false
	default:
		return true
	}
}

// stop sends SIGTERM and asserts a clean exit within the grace period.
func (d *daemon) stop(t *testing.T) {
	t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	d.waitExit(t)
}

// waitExit waits for the daemon to exit and asserts that it exited 0.
func (d *daemon) waitExit(t *testing.T) {
	t.Helper()
	select {
	case <-d.done:
	case <-time.After(40 * time.Second):
		d.cmd.Process.Kill()
		<-d.done
		t.Fatalf("s2sd serve did not exit within 40s of SIGTERM:\n%s", d.logText())
	}
	if got := d.cmd.ProcessState.ExitCode(); got != 0 {
		t.Errorf("s2sd serve exited with %v, want exit code 0:\n%s", d.cmd.ProcessState, d.logText())
	}
}

// crash kills the daemon with SIGKILL, as a power cut would.
func (d *daemon) crash(t *testing.T) {
	t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL: %v", err)
	}
	<-d.done
	if ws, ok := d.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("s2sd serve ended with %v, not by SIGKILL", d.cmd.ProcessState)
	}
}

func (d *daemon) cleanup(t *testing.T) {
	if d.running() {
		d.stop(t)
	}
}

// result is what a command printed and its exit code.
type result struct {
	stdout, stderr string
	code           int
}

// run runs a command to completion (at most two minutes) with stdin.
func run(t *testing.T, cmd *exec.Cmd, stdin string) result {
	t.Helper()
	if cmd.Env == nil {
		cmd.Env = env()
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", cmd.Path, err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	var err error
	select {
	case err = <-waited:
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		<-waited
		t.Fatalf("%s %q did not finish within two minutes\nstdout: %s\nstderr: %s", cmd.Path, cmd.Args[1:], stdout.String(), stderr.String())
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%s: %v", cmd.Path, err)
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: cmd.ProcessState.ExitCode()}
}

// needTool returns the path of a client program. A missing client fails
// the test in CI and skips it elsewhere.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missing(t, "%s is not installed: %v", name, err)
	}
	return p
}

func missing(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// lines splits output into its lines, dropping empty ones.
func lines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if l := strings.TrimRight(sc.Text(), "\r"); l != "" {
			out = append(out, l)
		}
	}
	return out
}
