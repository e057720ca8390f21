package sftpd

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"github.com/rs/zerolog"
	"golang.org/x/crypto/ssh"

	"github.com/s2sd/s2sd/auth"
	"github.com/s2sd/s2sd/config"
	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/spool"
)

// testChecker allows any name up to limit bytes.
type testChecker struct{ limit int64 }

func (c testChecker) CheckUpload(who Identity, name string) (int64, error) {
	if strings.Contains(name, "bad") {
		return 0, errors.New("destination 8239999 is not a known establishment")
	}
	return c.limit, nil
}

type harness struct {
	t      testing.TB
	dir    string
	ledger *ledger.Ledger
	hasher *auth.Hasher
	srv    *Server
}

// newHarness starts a server on loopback; opts change its dependencies.
func newHarness(t testing.TB, opts ...func(*Deps)) *harness {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	l, err := ledger.Open(ctx, filepath.Join(dir, "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	keys, err := LoadHostKeys(filepath.Join(dir, "hostkeys"))
	if err != nil {
		t.Fatal(err)
	}
	d := config.Default()
	cfg := Config{
		Listen: "127.0.0.1:0", HandshakeTimeout: 5 * time.Second, MaxAuthTries: 6,
		MaxConnsPerAddress: 50, MaxConns: 100, KeyExchanges: d.SSH.KeyExchanges,
		Ciphers: d.SSH.Ciphers, MACs: d.SSH.MACs, TempSuffixes: d.SFTP.TempSuffixes,
		RecentWindow: time.Minute, MinPasswordLength: 12,
		Lockout:        auth.Backoff{Failures: 3, Base: time.Minute, Max: time.Hour},
		AddressLockout: auth.Backoff{Failures: 10, Base: time.Minute, Max: time.Hour},
	}
	h := &harness{t: t, dir: dir, ledger: l, hasher: auth.NewHasher(auth.Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32}, 2)}
	deps := Deps{Ledger: l, Hasher: h.hasher, Spool: spool.Layout{Root: filepath.Join(dir, "spool")},
		HostKeys: keys, Checker: testChecker{limit: 1000}, Log: zerolog.Nop()}
	for _, o := range opts {
		o(&deps)
	}
	h.srv, err = New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.srv.Listen(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.srv.Close(context.Background()) })
	return h
}

func (h *harness) addUser(login, mailbox, kind, role, password string) {
	h.t.Helper()
	ctx := context.Background()
	if mailbox != "" {
		err := h.ledger.AddMailbox(ctx, ledger.Mailbox{Code: mailbox, Name: mailbox, Kind: kind, LA: mailbox[:3]}, time.Now())
		if err != nil && !errors.Is(err, ledger.ErrExists) {
			h.t.Fatal(err)
		}
	}
	hash, _ := h.hasher.Hash(ctx, password)
	if _, err := h.ledger.AddUser(ctx, ledger.User{Login: login, Mailbox: mailbox, Role: role, Email: "a@b.example", PasswordHash: hash}, time.Now()); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) dial(login, password string) (*sftp.Client, error) {
	c, err := ssh.Dial("tcp", h.srv.Addr().String(), &ssh.ClientConfig{
		User: login, Auth: []ssh.AuthMethod{ssh.Password(password)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(),
	})
	if err != nil {
		return nil, err
	}
	sc, err := sftp.NewClient(c)
	if err != nil {
		c.Close()
		return nil, err
	}
	h.t.Cleanup(func() { sc.Close(); c.Close() })
	return sc, nil
}

func names(t *testing.T, c *sftp.Client, dir string) []string {
	t.Helper()
	fis, err := c.ReadDir(dir)
	if err != nil {
		t.Fatalf("ReadDir %s: %v", dir, err)
	}
	var out []string
	for _, fi := range fis {
		out = append(out, fi.Name())
	}
	sort.Strings(out)
	return out
}

func TestViewAndUpload(t *testing.T) {
	h := newHarness(t)
	h.addUser("ampthill", "8231234", "school", "school", "correct horse battery")
	c, err := h.dial("ampthill", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(names(t, c, "/"), ","), "inbox,outbox,rejected"; got != want {
		t.Fatalf("root lists %q, want %q", got, want)
	}
	f, err := c.Create("/outbox/8231234_CTF_8232345_001.XML")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("<CTfile/>")); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(h.dir, "spool", "8231234", "outbox", "8231234_CTF_8232345_001.XML"))
	if err != nil || string(data) != "<CTfile/>" {
		t.Fatalf("outbox file = %q, %v", data, err)
	}
	_, err = c.Create("/inbox/x.xml")
	if !errors.Is(err, os.ErrPermission) { // the pkg/sftp client drops the message; real-client tests check it
		t.Fatalf("upload to inbox: %v", err)
	}
	_, err = c.Create("/outbox/bad.xml")
	if err == nil || !strings.Contains(err.Error(), "destination 8239999 is not a known establishment") {
		t.Fatalf("bad name: %v", err)
	}
	_, err = c.Create("/outbox/8231234_CTF_8232345_001.XML")
	if err == nil || !strings.Contains(err.Error(), "already been sent") {
		t.Fatalf("second upload: %v", err)
	}
	for _, p := range []string{"/../../etc/passwd", "/copies", "/outbox/../../8232345/inbox/x", "/8232345/inbox"} {
		if _, err := c.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("stat %s: %v, want not exist", p, err)
		}
	}
	big, _ := c.Create("/outbox/big.xml")
	_, err = big.Write(bytes.Repeat([]byte("x"), 2000))
	if err == nil || !strings.Contains(err.Error(), "larger than the 1000 bytes limit") {
		t.Fatalf("oversize write: %v", err)
	}
	big.Close()
	if _, err := c.Stat("/outbox/big.xml"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("discarded upload still visible: %v", err)
	}
	// WinSCP: .filepart, then rename.
	p, err := c.OpenFile("/outbox/8231234_CTF_8232345_002.XML.filepart", os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(p, "abc")
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Rename("/outbox/8231234_CTF_8232345_002.XML.filepart", "/outbox/8231234_CTF_8232345_002.XML"); err != nil {
		t.Fatal(err)
	}
	if err := c.Chtimes("/outbox/8231234_CTF_8232345_002.XML", time.Now(), time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(names(t, c, "/outbox"), ","); got != "8231234_CTF_8232345_001.XML,8231234_CTF_8232345_002.XML" {
		t.Fatalf("outbox lists %q", got)
	}
}
