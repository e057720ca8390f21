package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s2sd/s2sd/ledger"
)

// TestMain runs main instead of the tests when S2SD_TEST_MAIN=1, so that
// the tests can run the real command, exit status and all, by re-running
// the test binary (litestream's main_cli_test.go pattern).
func TestMain(m *testing.M) {
	if os.Getenv("S2SD_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// result is what one run of s2sd did.
type result struct {
	stdout, stderr string
	code           int
}

// invocation describes one run of s2sd.
type invocation struct {
	env   []string // extra KEY=value pairs
	dir   string   // working directory ("" for the test's)
	stdin string
}

// exec runs s2sd with args in a clean environment: no S2SD_ variable but
// those in inv.env.
func (inv invocation) exec(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "S2SD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "S2SD_TEST_MAIN=1")
	cmd.Env = append(cmd.Env, inv.env...)
	cmd.Dir = inv.dir
	cmd.Stdin = strings.NewReader(inv.stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("run s2sd %s: %v", strings.Join(args, " "), err)
	}
	return result{stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()}
}

// site is a data directory that the commands run against through
// S2SD_DATA.
type site struct {
	t    *testing.T
	data string
}

func newSite(t *testing.T) *site {
	t.Helper()
	return &site{t: t, data: t.TempDir()}
}

// run runs s2sd against the site.
func (s *site) run(args ...string) result {
	s.t.Helper()
	return s.runIn("", args...)
}

// runIn runs s2sd against the site with stdin.
func (s *site) runIn(stdin string, args ...string) result {
	s.t.Helper()
	return invocation{env: []string{"S2SD_DATA=" + s.data}, stdin: stdin}.exec(s.t, args...)
}

// must runs s2sd and fails the test unless it succeeds with stdout want
// and nothing on stderr.
func (s *site) must(want string, args ...string) {
	s.t.Helper()
	expect(s.t, s.run(args...), result{stdout: want})
}

// ledger opens the site's ledger.
func (s *site) ledger() *ledger.Ledger {
	s.t.Helper()
	led, err := ledger.Open(context.Background(), filepath.Join(s.data, "ledger.db"))
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { led.Close() })
	return led
}

// expect fails the test unless got is want, exactly.
func expect(t *testing.T, got, want result) {
	t.Helper()
	if got != want {
		t.Errorf("exit %d, want %d\nstdout:\n%s\nwant stdout:\n%s\nstderr:\n%s\nwant stderr:\n%s",
			got.code, want.code, got.stdout, want.stdout, got.stderr, want.stderr)
	}
}

// fails builds the result of a command that fails with message on stderr.
func fails(code int, message string) result {
	return result{stderr: "s2sd: " + message + "\n", code: code}
}

func TestNoCommand(t *testing.T) {
	t.Parallel()
	expect(t, invocation{}.exec(t), fails(2, `expected one of "serve", "mailbox", "user", "transfers", "verify", ...: see "s2sd --help"`))
}

func TestUnknownCommand(t *testing.T) {
	t.Parallel()
	got := invocation{}.exec(t, "mailbox", "frobnicate")
	expect(t, got, fails(2, `unexpected argument frobnicate: see "s2sd mailbox --help"`))
}

func TestHelp(t *testing.T) {
	t.Parallel()
	got := invocation{}.exec(t, "--help")
	if got.code != 0 || got.stderr != "" || !strings.HasPrefix(got.stdout, "Usage: s2sd <command> [flags]\n") {
		t.Fatalf("got %+v", got)
	}
	for _, cmd := range []string{
		"serve [flags]", "mailbox add --name=STRING --email=ADDR <code> [flags]", "mailbox close <code> [flags]",
		"mailbox import <file> [flags]", "mailbox list [flags]", "user add --role=STRING --email=ADDR <login> [flags]",
		"user passwd <login> [flags]", "user key add <login> <file>", "user list [flags]", "user del <login>",
		"user unlock <login>", "check-config [flags]", "version [flags]",
	} {
		if !strings.Contains(got.stdout, "\n  "+cmd+"\n") {
			t.Errorf("help lacks %q:\n%s", cmd, got.stdout)
		}
	}
}

// serve is registered with its flags; serve.go provides runServe.
func TestServeGrammar(t *testing.T) {
	t.Parallel()
	got := invocation{}.exec(t, "serve", "--help")
	if got.code != 0 || got.stderr != "" {
		t.Fatalf("got %+v", got)
	}
	for _, flag := range []string{"--listen=STRING", "SFTP listen address (default 127.0.0.1:2022).", "--demo", "--data=DIR", "--config=FILE"} {
		if !strings.Contains(got.stdout, flag) {
			t.Errorf("serve help lacks %q:\n%s", flag, got.stdout)
		}
	}
	expect(t, invocation{}.exec(t, "serve", "now"), fails(2, `unexpected argument now: see "s2sd serve --help"`))
}

func TestVersion(t *testing.T) {
	t.Parallel()
	// A test binary carries no module version.
	expect(t, invocation{}.exec(t, "version"), result{stdout: "s2sd devel\n"})
}

func TestCheckConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.toml")
	bad := filepath.Join(dir, "bad.toml")
	invalid := filepath.Join(dir, "invalid.toml")
	badValue := filepath.Join(dir, "bad-value.toml")
	writeFile(t, good, "data = \"/srv/s2sd\"\nla_numbers = [\"823\", \"681\"]\n[metrics]\nlisten = \"\"\n")
	writeFile(t, bad, "data = \"/srv/s2sd\"\nlisten_addr = \"0.0.0.0:22\"\n")
	writeFile(t, invalid, "la_numbers = [\"82\"]\n")
	writeFile(t, badValue, "[daemon]\nshutdown_grace = \"thirty seconds\"\n")
	defaults := "config file: none; built-in defaults (give one with --config or S2SD_CONFIG)\n"
	fromFile := func(path string) string { return "config file: " + path + "\n" }
	ok := func(data, metrics string) string {
		return "data directory: " + data + "\nSFTP listen: 127.0.0.1:2022\n" + metrics + "\nconfig OK\n"
	}

	expect(t, invocation{}.exec(t, "check-config"),
		result{stdout: defaults + ok("s2sd-data", "metrics listen: 127.0.0.1:9122")})
	expect(t, invocation{}.exec(t, "check-config", "--config", good),
		result{stdout: fromFile(good) + ok("/srv/s2sd", "metrics: off")})
	expect(t, invocation{env: []string{"S2SD_CONFIG=" + good}}.exec(t, "check-config"),
		result{stdout: fromFile(good) + ok("/srv/s2sd", "metrics: off")})
	expect(t, invocation{env: []string{"S2SD_CONFIG=" + good, "S2SD_METRICS_LISTEN=127.0.0.1:9200", "S2SD_DATA=/var/lib/s2sd"}}.exec(t, "check-config"),
		result{stdout: fromFile(good) + "environment overrides: S2SD_DATA, S2SD_METRICS_LISTEN\n" + ok("/var/lib/s2sd", "metrics listen: 127.0.0.1:9200")})
	expect(t, invocation{env: []string{"S2SD_SFTP_RECENT_WINDOWW=5m"}}.exec(t, "check-config"),
		result{stdout: defaults + ok("s2sd-data", "metrics listen: 127.0.0.1:9122"),
			stderr: "warning: S2SD_SFTP_RECENT_WINDOWW is not a setting and is ignored; see s2sd.example.toml\n"})
	failsAfter := func(stdout, message string) result {
		r := fails(1, message)
		r.stdout = stdout
		return r
	}
	expect(t, invocation{}.exec(t, "check-config", "--config", bad),
		failsAfter(fromFile(bad), "config "+bad+": unknown key(s) listen_addr: check the spelling against the example config"))
	expect(t, invocation{}.exec(t, "check-config", "--config", badValue),
		failsAfter(fromFile(badValue), "config "+badValue+`: toml: line 2 (last key "daemon.shutdown_grace"): invalid duration: "thirty seconds"`))
	expect(t, invocation{env: []string{"S2SD_CONFIG=" + invalid}}.exec(t, "check-config"),
		failsAfter(fromFile(invalid), `config: la_numbers: LA number "82" must be exactly 3 digits`))
	expect(t, invocation{env: []string{"S2SD_SSH_MAX_CONNS=lots"}}.exec(t, "check-config"),
		failsAfter(defaults, `config: S2SD_SSH_MAX_CONNS (ssh.max_conns): "lots" is not a whole number`))
	expect(t, invocation{}.exec(t, "check-config", "--config", filepath.Join(dir, "none.toml")),
		failsAfter(fromFile(filepath.Join(dir, "none.toml")), "config: open "+filepath.Join(dir, "none.toml")+": no such file or directory"))
}

// The data directory comes from --data, else S2SD_DATA, else the config
// file, else ./s2sd-data; global flags may stand anywhere.
func TestDataDirectory(t *testing.T) {
	t.Parallel()
	a, b := t.TempDir(), t.TempDir()
	add := []string{"mailbox", "add", "8231234", "--name", "Hilltop", "--email", "office@hilltop.sch.uk"}
	expect(t, invocation{}.exec(t, append([]string{"--data", a}, add...)...), result{stdout: "added school mailbox 8231234: Hilltop\n"})
	expect(t, invocation{}.exec(t, append(add[:3:3], "--data", b, "--name", "Other", "--email", "office@other.sch.uk")...),
		result{stdout: "added school mailbox 8231234: Other\n"})

	list := "CODE     NAME     KIND    LA   STATUS  SUCCESSOR  EMAIL                  TOWN  POSTCODE  COPIES  URN\n" +
		"8231234  Hilltop  school  823  open    -          office@hilltop.sch.uk  -     -         no      -\n"
	expect(t, invocation{}.exec(t, "mailbox", "list", "--data", a), result{stdout: list})
	expect(t, invocation{env: []string{"S2SD_DATA=" + a}}.exec(t, "mailbox", "list"), result{stdout: list})
	// --data wins over S2SD_DATA.
	expect(t, invocation{env: []string{"S2SD_DATA=" + b}}.exec(t, "--data="+a, "mailbox", "list"), result{stdout: list})
	// The config file's data.
	cfg := filepath.Join(t.TempDir(), "s2sd.toml")
	writeFile(t, cfg, "data = \""+a+"\"\n")
	expect(t, invocation{}.exec(t, "mailbox", "list", "--config", cfg), result{stdout: list})

	// The default is ./s2sd-data, which an admin command does not create.
	wd := t.TempDir()
	expect(t, invocation{dir: wd}.exec(t, "mailbox", "list"),
		fails(1, `data directory s2sd-data does not exist: run "s2sd serve" once to create it, or give the right one with --data or S2SD_DATA`))
	if err := os.Mkdir(filepath.Join(wd, "s2sd-data"), 0o700); err != nil {
		t.Fatal(err)
	}
	expect(t, invocation{dir: wd}.exec(t, "mailbox", "list"), result{stdout: "CODE  NAME  KIND  LA  STATUS  SUCCESSOR  EMAIL  TOWN  POSTCODE  COPIES  URN\n"})
	if _, err := os.Stat(filepath.Join(wd, "s2sd-data", "ledger.db")); err != nil {
		t.Errorf("no ledger in the default data directory: %v", err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
