package sftpd

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/s2sd/s2sd/auth"
	"github.com/s2sd/s2sd/config"
	"github.com/s2sd/s2sd/spool"
)

// fakeLost is a Lost Pupil Database whose match folder is a directory:
// Match stores the CSV and, as its results, the CSV upper-cased. A CSV
// holding "bad" cannot be matched.
type fakeLost struct {
	dir string

	mu      sync.Mutex
	matched []string // names, in order
}

var _ LostPupils = (*fakeLost)(nil)

func (f *fakeLost) Search(Identity, string) ([]LostEntry, []byte, error) { return nil, nil, nil }
func (f *fakeLost) Claimed(Identity) ([]LostEntry, error)                { return nil, nil }
func (f *fakeLost) Claim(Identity, string, int64) error                  { return nil }
func (f *fakeLost) Open(Identity, int64) (*os.File, error)               { return nil, os.ErrNotExist }
func (f *fakeLost) Forward(Identity, int64, string) error                { return nil }

func (f *fakeLost) CheckMatch(_ Identity, name string) (int64, error) {
	if !strings.HasSuffix(name, ".csv") {
		return 0, errors.New(name + ": upload a CSV file")
	}
	if _, err := os.Stat(filepath.Join(f.dir, name)); err == nil {
		return 0, errors.New(name + " is already in /lost-pupils/match/")
	}
	return 100, nil
}

func (f *fakeLost) Match(who Identity, name, staged string) error {
	b, err := os.ReadFile(staged)
	if err != nil {
		return err
	}
	if bytes.Contains(b, []byte("bad")) {
		return errors.New(name + " cannot be matched: bad")
	}
	if err := os.WriteFile(filepath.Join(f.dir, strings.TrimSuffix(name, ".csv")+".results.csv"), bytes.ToUpper(b), 0o600); err != nil {
		return err
	}
	f.mu.Lock()
	f.matched = append(f.matched, name)
	f.mu.Unlock()
	return os.Rename(staged, filepath.Join(f.dir, name))
}

func (f *fakeLost) MatchFiles(Identity) ([]LostEntry, error) {
	es, err := os.ReadDir(f.dir)
	var out []LostEntry
	for _, e := range es {
		fi, _ := e.Info()
		out = append(out, LostEntry{Name: e.Name(), Size: fi.Size(), Uploaded: fi.ModTime()})
	}
	return out, err
}

func (f *fakeLost) MatchOpen(_ Identity, name string) (*os.File, error) {
	return os.Open(filepath.Join(f.dir, name))
}

func (f *fakeLost) MatchRemove(_ Identity, name string) error {
	return os.Remove(filepath.Join(f.dir, name))
}

func (f *fakeLost) names() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string{}, f.matched...)
}

// newLostHarness is newHarness with the fake Lost Pupil Database and an
// la-lost-pupil user "finder" in 660LLLL.
func newLostHarness(t *testing.T) (*harness, *fakeLost) {
	t.Helper()
	h := &harness{t: t, dir: t.TempDir(), hasher: auth.NewHasher(auth.Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32}, 2)}
	base := newHarness(t) // for its ledger and host keys
	h.ledger = base.ledger
	lost := &fakeLost{dir: filepath.Join(h.dir, "match")}
	if err := os.MkdirAll(lost.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	keys, err := LoadHostKeys(filepath.Join(base.dir, "hostkeys"))
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
	layout := spool.Layout{Root: filepath.Join(h.dir, "spool")}
	if err := layout.Ensure("660LLLL"); err != nil {
		t.Fatal(err)
	}
	h.srv, err = New(cfg, Deps{Ledger: h.ledger, Hasher: h.hasher, Spool: layout, HostKeys: keys,
		Checker: testChecker{limit: 1000}, Lost: lost, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.srv.Listen(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.srv.Close(context.Background()) })
	h.addUser("finder", "660LLLL", "la", "la-lost-pupil", "correct horse battery")
	return h, lost
}

// TestMatchUploads uploads into /lost-pupils/match/ with pkg/sftp's
// client, which writes concurrently: plain names are matched at CLOSE,
// temporary names at their RENAME, and nothing else is left behind.
func TestMatchUploads(t *testing.T) {
	h, lost := newLostHarness(t)
	staging := filepath.Join(h.dir, "spool", "660LLLL", spool.Staging)
	c, err := h.dial("finder", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(names(t, c, "/lost-pupils"), ","); got != "claimed,match,search" {
		t.Fatalf("/lost-pupils lists %q", got)
	}
	put := func(name, content string) error {
		f, err := c.OpenFile("/lost-pupils/match/"+name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
		if err != nil {
			return err
		}
		if _, err := f.Write([]byte(content)); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	csv := strings.Repeat("upn,surname\n", 8)
	if err := put("census.csv", csv); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(names(t, c, "/lost-pupils/match"), ","); got != "census.csv,census.results.csv" {
		t.Fatalf("match lists %q", got)
	}
	r, err := c.Open("/lost-pupils/match/census.results.csv")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(r); string(b) != strings.ToUpper(csv) {
		t.Fatalf("results read %q", b)
	}
	r.Close()
	if _, err := c.ReadDir("/lost-pupils/match/census.csv"); err == nil || !strings.Contains(err.Error(), "/lost-pupils/match/census.csv is not a folder") {
		t.Errorf("listing a CSV as a folder: %v", err)
	}
	if _, err := c.ReadDir("/lost-pupils/match/none.csv"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("listing a missing file: %v", err)
	}

	// Refusals: at OPEN, at the write past the limit, at CLOSE.
	if err := put("census.csv", csv); err == nil || !strings.Contains(err.Error(), "census.csv is already in /lost-pupils/match/") {
		t.Errorf("second census.csv: %v", err)
	}
	if err := put("notes.txt", "x"); err == nil || !strings.Contains(err.Error(), "notes.txt: upload a CSV file") {
		t.Errorf("notes.txt: %v", err)
	}
	if err := put("big.csv", strings.Repeat("x", 101)); err == nil || !strings.Contains(err.Error(), "big.csv is larger than the 100 bytes limit for a batch-matching CSV") {
		t.Errorf("big.csv: %v", err)
	}
	if err := put("bad.csv", "bad"); err == nil || !strings.Contains(err.Error(), "bad.csv cannot be matched: bad") {
		t.Errorf("bad.csv: %v", err)
	}
	if _, err := c.Create("/lost-pupils/search/x.csv"); !errors.Is(err, os.ErrPermission) {
		t.Errorf("upload into a search: %v", err)
	}

	// A temporary name waits for its rename, which matches it; times set
	// after the upload are accepted.
	if err := put("second.csv.filepart", "abc"); err != nil {
		t.Fatal(err)
	}
	if fi, err := c.Stat("/lost-pupils/match/second.csv.filepart"); err != nil || fi.Size() != 3 {
		t.Fatalf("stat of the temporary name: %v, %v", fi, err)
	}
	if got := lost.names(); strings.Join(got, ",") != "census.csv" {
		t.Fatalf("matched %q before the rename", got)
	}
	if err := c.Rename("/lost-pupils/match/second.csv.filepart", "/lost-pupils/match/second.csv"); err != nil {
		t.Fatal(err)
	}
	if err := c.Chtimes("/lost-pupils/match/second.csv", time.Now(), time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := c.Rename("/lost-pupils/match/second.csv", "/lost-pupils/match/third.csv"); !errors.Is(err, os.ErrPermission) {
		t.Errorf("renaming a matched CSV: %v", err)
	}
	if err := c.Remove("/lost-pupils/match/census.results.csv"); err != nil {
		t.Fatal(err)
	}
	if err := c.Remove("/lost-pupils/match/census.results.csv"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("removing it again: %v", err)
	}
	if got := strings.Join(names(t, c, "/lost-pupils/match"), ","); got != "census.csv,second.csv,second.results.csv" {
		t.Fatalf("match lists %q", got)
	}

	// A temporary name never renamed goes when its session ends.
	if err := put("left.csv.filepart", "abc"); err != nil {
		t.Fatal(err)
	}
	if es, _ := os.ReadDir(staging); len(es) != 1 {
		t.Fatalf("staging holds %d files mid-upload", len(es))
	}
	c.Close()
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		es, _ := os.ReadDir(staging)
		if len(es) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("staging holds %d files after the session ended", len(es))
		}
	}
	if got := lost.names(); strings.Join(got, ",") != "census.csv,second.csv" {
		t.Errorf("matched %q", got)
	}
}
