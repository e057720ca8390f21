package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/s2sd/s2sd/delivery"
	"github.com/s2sd/s2sd/internal/ctftest"
	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/routing"
)

// routedSite is a site where one CTF from 8231234 has been routed to
// 8232345 by the real router.
func routedSite(t *testing.T) (*site, string) {
	t.Helper()
	s := newSite(t)
	led := s.ledger()
	ctx := context.Background()
	for _, m := range []ledger.Mailbox{
		{Code: "823LLLL", Name: "LA", Kind: "la", LA: "823", Copies: true},
		{Code: "8231234", Name: "A", Kind: "school", LA: "823"},
		{Code: "8232345", Name: "B", Kind: "school", LA: "823"},
	} {
		if err := led.AddMailbox(ctx, m, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	ctf := ctftest.Between("8231234", "8232345")
	name := "8231234_CTF_8232345_001.XML"
	outbox := filepath.Join(s.data, "spool", "8231234", "outbox")
	os.MkdirAll(outbox, 0o700)
	os.WriteFile(filepath.Join(outbox, name), []byte(ctf), 0o600)
	las, _ := routing.NewLANumbers(routing.DefaultLANumbers())
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	r := delivery.New(delivery.Config{Data: s.data, LANumbers: las, Limits: routing.DefaultLimits(),
		Now: func() time.Time { return at }}, led, zerolog.Nop())
	r.Start(ctx)
	r.Expect("8231234", name, delivery.Sender{Login: "ampthill", Mailbox: "8231234", Role: routing.RoleSchool})
	r.Submit("8231234", name)
	r.Wait()
	r.Close()
	return s, ctf
}

func TestTransfersList(t *testing.T) {
	s, ctf := routedSite(t)
	res := s.run("transfers", "list", "--format", "csv", "--mailbox", "8232345")
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	if res.code != 0 || len(lines) != 2 {
		t.Fatalf("exit %d, stdout:\n%s\nstderr:%s", res.code, res.stdout, res.stderr)
	}
	if lines[0] != "id,name,kind,sender,sender_user,addressed_to,destination,size,sha256,pupils,uploaded,state,state_changed,state_by,warnings" {
		t.Fatalf("header %q", lines[0])
	}
	f := strings.Split(lines[1], ",")
	if f[0] != "1" || f[1] != "8231234_CTF_8232345_001.XML" || f[2] != "ctf" || f[3] != "8231234" || f[4] != "ampthill" ||
		f[6] != "8232345" || f[7] != itoa(len(ctf)) || f[9] != "1" || f[10] != "2026-11-24T10:00:00Z" || f[11] != "awaiting" {
		t.Fatalf("row %q", lines[1])
	}
	// Filters that match nothing print only the header.
	res = s.run("transfers", "list", "--state", "collected", "--format", "json")
	if res.code != 0 || strings.TrimSpace(res.stdout) != "[]" {
		t.Fatalf("json of nothing: %q %q", res.stdout, res.stderr)
	}
	res = s.run("transfers", "list", "--state", "lost")
	if res.code != 2 || !strings.Contains(res.stderr, "--state must be one of") {
		t.Fatalf("bad state: %d %q", res.code, res.stderr)
	}
}

func TestVerifyCommand(t *testing.T) {
	s, _ := routedSite(t)
	s.must("verify: the ledger and the files on disk agree\n", "verify")
	os.Remove(filepath.Join(s.data, "spool", "8232345", "inbox", "8231234_CTF_8232345_001.XML"))
	expect(t, s.run("verify"), result{
		stdout: "spool/8232345/inbox/8231234_CTF_8232345_001.XML: transfer 1 (awaiting) is missing from disk\n",
		stderr: "s2sd: verify: 1 difference(s) between the ledger and the files on disk\n",
		code:   1,
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestTransfersWithdraw(t *testing.T) {
	s, _ := routedSite(t)
	expect(t, s.run("transfers", "withdraw", "1", "--la", "660"), fails(1, "transfer 1 was neither sent by nor to a school of LA 660"))
	expect(t, s.run("transfers", "withdraw", "9"), fails(1, `transfer 9 does not exist: see "s2sd transfers list"`))
	s.must("withdrew transfer 1; its sender is told\n", "transfers", "withdraw", "1", "--la", "823")
	if _, err := os.Stat(filepath.Join(s.data, "spool", "8232345", "inbox", "8231234_CTF_8232345_001.XML")); !os.IsNotExist(err) {
		t.Fatalf("withdrawn file still in the inbox: %v", err)
	}
	res := s.run("transfers", "list", "--state", "withdrawn", "--format", "csv")
	if res.code != 0 || strings.Count(res.stdout, "\n") != 2 || !strings.Contains(res.stdout, ",withdrawn,") {
		t.Fatalf("after withdrawal: %q %q", res.stdout, res.stderr)
	}
	expect(t, s.run("transfers", "withdraw", "1"), fails(1, "transfer 1 is withdrawn, not awaiting collection: only an uncollected transfer can be withdrawn"))
	s.must("verify: the ledger and the files on disk agree\n", "verify")
}
