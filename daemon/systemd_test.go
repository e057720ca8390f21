package daemon

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// notifySocket listens on a unixgram socket set as NOTIFY_SOCKET, as
// systemd does for a Type=notify service, and returns the messages it
// receives.
func notifySocket(t *testing.T) <-chan string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sdn") // short: a socket path has ~100 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("NOTIFY_SOCKET", path)
	msgs := make(chan string, 1000)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			msgs <- string(buf[:n])
		}
	}()
	t.Cleanup(func() { conn.Close() })
	return msgs
}

// next returns the next message other than a watchdog ping, and counts
// the pings it skipped.
func next(t *testing.T, msgs <-chan string, pings *int) string {
	t.Helper()
	for {
		select {
		case m := <-msgs:
			if m == "WATCHDOG=1" {
				*pings++
				continue
			}
			return m
		case <-time.After(30 * time.Second):
			t.Fatal("no sd_notify message within 30s")
			return ""
		}
	}
}

// TestSystemdNotify runs the real daemon under a fake systemd: a unixgram
// socket as NOTIFY_SOCKET and a watchdog of 200ms. The daemon must say
// READY=1 once it serves, ping the watchdog, bracket a reload with
// RELOADING=1 and READY=1, and say STOPPING=1 when it shuts down.
func TestSystemdNotify(t *testing.T) {
	msgs := notifySocket(t)
	t.Setenv("WATCHDOG_USEC", "200000")
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	cfg := testConfig(t)
	r := runDaemon(t, cfg, zerolog.Nop(), Options{})
	pings := 0

	ready := next(t, msgs, &pings)
	if want := "READY=1\nSTATUS=serving SFTP on " + r.d.SFTP.Addr().String(); ready != want {
		t.Fatalf("first message %q, want %q", ready, want)
	}
	select {
	case m := <-msgs:
		if m != "WATCHDOG=1" {
			t.Fatalf("got %q, want a watchdog ping", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no watchdog ping within 5s of a 200ms watchdog")
	}

	r.reloads <- syscall.SIGHUP
	reloading := next(t, msgs, &pings)
	if !regexp.MustCompile(`^RELOADING=1\nMONOTONIC_USEC=\d+\n$`).MatchString(reloading) {
		t.Fatalf("reload began with %q, want RELOADING=1 and MONOTONIC_USEC", reloading)
	}
	if m := next(t, msgs, &pings); m != "READY=1" {
		t.Fatalf("reload ended with %q, want READY=1", m)
	}

	r.stop()
	if m := next(t, msgs, &pings); m != "STOPPING=1" {
		t.Fatalf("shutdown began with %q, want STOPPING=1", m)
	}
	if err := <-r.done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	r.stop = nil
}

// TestWatchdogNeedsLedger: the watchdog is pinged while the ledger
// answers, and not once it stops answering, so that systemd restarts a
// daemon whose ledger hangs.
func TestWatchdogNeedsLedger(t *testing.T) {
	msgs := notifySocket(t)
	d, err := Open(context.Background(), testConfig(t), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.watchdog(ctx, 20*time.Millisecond); close(done) }()
	select {
	case m := <-msgs:
		if m != "WATCHDOG=1" {
			t.Fatalf("got %q", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no ping while the ledger answers")
	}
	d.Close(context.Background()) // the ledger closes under the watchdog
	for drained := false; !drained; {
		select {
		case <-msgs:
		case <-time.After(100 * time.Millisecond):
			drained = true
		}
	}
	select {
	case m := <-msgs:
		t.Fatalf("got %q after the ledger closed", m)
	case <-time.After(300 * time.Millisecond):
	}
	cancel()
	<-done
}

// TestNoNotifySocket: outside systemd, notifying does nothing and fails
// nothing.
func TestNoNotifySocket(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	t.Setenv("WATCHDOG_USEC", "")
	r := runDaemon(t, testConfig(t), zerolog.Nop(), Options{})
	if r.d.stopWatchdog != nil {
		t.Fatal("a watchdog runs without WATCHDOG_USEC")
	}
	if err := r.shutdown(t); err != nil {
		t.Fatal(err)
	}
}

// unitFile is the repository's systemd unit.
const unitFile = "../s2sd.service"

// TestUnitFile checks the unit's directives that s2sd relies on.
func TestUnitFile(t *testing.T) {
	b, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]bool{}
	for l := range strings.SplitSeq(string(b), "\n") {
		lines[strings.TrimSpace(l)] = true
	}
	for _, want := range []string{
		"Type=notify", "NotifyAccess=main", "WatchdogSec=30s",
		"ExecStart=/usr/local/bin/s2sd serve --config /etc/s2sd/s2sd.toml",
		"ExecReload=/bin/kill -HUP $MAINPID", "User=s2sd", "Group=s2sd", "DynamicUser=no",
		"StateDirectory=s2sd", "Environment=S2SD_DATA=/var/lib/s2sd", "ConfigurationDirectory=s2sd",
		"ProtectSystem=strict", "NoNewPrivileges=yes", "CapabilityBoundingSet=", "UMask=0077",
		"SystemCallFilter=@system-service", "SystemCallFilter=~@privileged @resources",
		"RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
		"#CapabilityBoundingSet=CAP_NET_BIND_SERVICE", "#AmbientCapabilities=CAP_NET_BIND_SERVICE",
	} {
		if !lines[want] {
			t.Errorf("%s lacks the line %q", unitFile, want)
		}
	}
}

// maxExposure is the bar for systemd-analyze security; common
// SFTP server units score 7.8 and above.
const maxExposure = 2.0

var exposureRE = regexp.MustCompile(`Overall exposure level for s2sd\.service: (\d+\.\d+)`)

// TestUnitFileExposure rates the unit with systemd-analyze security
// --offline=true. test.sh installs systemd where systemd-analyze is
// missing; in CI (CI=true) a missing tool fails the test.
func TestUnitFileExposure(t *testing.T) {
	tool, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("systemd-analyze is missing: install the systemd package (test.sh does)")
		}
		t.Skip("systemd-analyze is missing: install the systemd package, or run test.sh")
	}
	path, err := filepath.Abs(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "security", "--offline=true", "--no-pager", path).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security --offline=true %s: %v\n%s", path, err, out)
	}
	m := exposureRE.FindSubmatch(out)
	if m == nil {
		t.Fatalf("no overall exposure level in:\n%s", out)
	}
	level, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("systemd-analyze security: overall exposure %.1f", level)
	if level > maxExposure {
		t.Fatalf("exposure %.1f is above %.1f:\n%s", level, maxExposure, out)
	}
}
