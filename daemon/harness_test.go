package daemon

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"github.com/rs/zerolog"
	"golang.org/x/crypto/ssh"

	"github.com/s2sd/s2sd/config"
	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/sftpd"
)

// TestMain runs the login storm's clients instead of the tests when the
// benchmark re-runs the test binary for them (see BenchmarkLoginStorm).
func TestMain(m *testing.M) {
	if addr := os.Getenv(stormClientEnv); addr != "" {
		os.Exit(stormClients(addr))
	}
	os.Exit(m.Run())
}

// hostKeys is a directory of host keys generated once for all tests,
// copied into each data directory: an RSA-3072 key takes a while.
var hostKeys = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "s2sd-daemon-hostkeys-")
	if err != nil {
		return "", err
	}
	_, err = sftpd.LoadHostKeys(dir)
	return dir, err
})

// testConfig is the default config on a fresh data directory (with host
// keys), SFTP and metrics on ephemeral loopback ports.
func testConfig(t testing.TB) config.Config {
	t.Helper()
	src, err := hostKeys()
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Data = t.TempDir()
	cfg.Listen = "127.0.0.1:0"
	cfg.Metrics.Listen = "127.0.0.1:0"
	dst := cfg.DataPath("hostkeys")
	if err := os.MkdirAll(dst, 0o700); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return cfg
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
	}
}

// running is a daemon started by Run in a goroutine.
type running struct {
	d       *Daemon
	reloads chan os.Signal
	stop    context.CancelFunc
	done    chan error
}

// runDaemon starts Run with cfg and log, and waits until it serves.
func runDaemon(t *testing.T, cfg config.Config, log zerolog.Logger, o Options) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{reloads: make(chan os.Signal, 1), stop: cancel, done: make(chan error, 1)}
	ready := make(chan *Daemon, 1)
	o.Ready = func(d *Daemon) error { ready <- d; return nil }
	o.Reloads = r.reloads
	if o.Reload == nil {
		o.Reload = func() (config.Config, error) { return cfg, nil }
	}
	go func() { r.done <- Run(ctx, cfg, log, o) }()
	select {
	case r.d = <-ready:
	case err := <-r.done:
		t.Fatalf("Run: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the daemon did not start within 30s")
	}
	t.Cleanup(func() { r.shutdown(t) })
	return r
}

// shutdown stops the daemon, once, and returns Run's error.
func (r *running) shutdown(t *testing.T) error {
	t.Helper()
	if r.stop == nil {
		return nil
	}
	r.stop()
	r.stop = nil
	select {
	case err := <-r.done:
		return err
	case <-time.After(60 * time.Second):
		t.Fatal("the daemon did not stop within 60s")
		return nil
	}
}

// addUser adds a mailbox (if missing) and a user with password.
func addUser(t testing.TB, d *Daemon, login, mailbox, password string) {
	t.Helper()
	ctx := context.Background()
	err := d.Ledger.AddMailbox(ctx, ledger.Mailbox{Code: mailbox, Name: "School " + mailbox, Kind: "school",
		LA: mailbox[:3], Email: "office@" + mailbox + ".example.sch.uk"}, time.Now())
	if err != nil && !errors.Is(err, ledger.ErrExists) {
		t.Fatal(err)
	}
	hash, err := d.Hasher.Hash(ctx, password)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Ledger.AddUser(ctx, ledger.User{Login: login, Mailbox: mailbox, Role: "school",
		Email: login + "@" + mailbox + ".example.sch.uk", PasswordHash: hash}, time.Now()); err != nil {
		t.Fatal(err)
	}
}

// dial logs in over SFTP with a password.
func dial(addr, login, password string) (*sftp.Client, func(), error) {
	c, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{
		User: login, Auth: []ssh.AuthMethod{ssh.Password(password)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 30 * time.Second,
	})
	if err != nil {
		return nil, nil, err
	}
	sc, err := sftp.NewClient(c)
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	return sc, func() { sc.Close(); c.Close() }, nil
}
