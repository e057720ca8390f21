// Package reportstest plays a scripted year of transfers through the real
// router into a data directory, for the tests of the reports, the CLI's
// report command and the benchmarks; expected.go holds the reports it
// must give, worked out by hand.
package reportstest

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/s2sd/s2sd/delivery"
	"github.com/s2sd/s2sd/internal/ctftest"
	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/messaging"
	"github.com/s2sd/s2sd/routing"
	"github.com/s2sd/s2sd/spool"
)

// Now is the scenario's clock when it ends: 20 May 2026, 13:00 in the UK.
var Now = time.Date(2026, 5, 20, 12, 0, 0, 0, time.UTC)

// Mailboxes are the scenario's parties: an English LA (823) with two
// schools and a census team, a Welsh LA (660) with a school whose name
// needs quoting and has a non-ASCII letter, and a third LA (825) with a
// closed school and its successor.
var Mailboxes = []ledger.Mailbox{
	{Code: "823LLLL", Name: "Central Beds", Kind: "la", LA: "823", Copies: true},
	{Code: "823PLAS", Name: "Central Beds Census", Kind: "la-plasc", LA: "823"},
	{Code: "8231234", Name: "Ampthill", Kind: "school", LA: "823"},
	{Code: "8232345", Name: "Biggleswade", Kind: "school", LA: "823"},
	{Code: "660LLLL", Name: "Anglesey", Kind: "la", LA: "660", Copies: true},
	{Code: "6602001", Name: "Ysgol Môn, Amlwch", Kind: "school", LA: "660"},
	{Code: "825LLLL", Name: "Bucks", Kind: "la", LA: "825"},
	{Code: "8251000", Name: "Old Academy", Kind: "school", LA: "825"},
	{Code: "8251001", Name: "New Academy", Kind: "school", LA: "825"},
}

// ZipSize is the size of the scenario's generic zip.
const ZipSize = 174

// Build plays the scenario into the data directory data (creating its
// ledger) and returns the ledger, open. The transfers, in order (ids 1 to
// 10), times in UTC:
//
//  1. 2025-07-10 09:00 8231234 → 8232345 CTF, 1 pupil, 2000 bytes; collected 2025-07-11 08:00.
//  2. 2025-10-06 09:30 8231234 → 6602001 CTF, 3 pupils, 4000 bytes; collected 2025-10-07 13:15.
//  3. 2025-11-03 14:00 8232345 → 8231234 CTF, 2 pupils, 3000 bytes, two warnings; rejected (deleted uncollected) 2025-11-04 09:00.
//  4. 2025-11-10 11:00 6602001 → 8232345 CTF, 1 pupil, 2000 bytes; awaiting.
//  5. 2025-12-01 10:00 8231234 → XXXXXXX, 2000 bytes: Quillfeather, born 2015-01-10, M; claimed by LA 660 2026-01-15 16:00.
//  6. 2025-12-02 10:00 8232345 → MMMMMMM, 2000 bytes: Ashcroft, born 2009-11-02, F; still lost.
//  7. 2026-01-20 10:00 8231234 → 823LLLL generic zip; collected 2026-01-21 09:00, downloaded again 2026-02-01 09:30.
//     2026-02-02 10:00 8231234 → 8232345 CTF without a surname: rejected by validation.
//  8. 2026-02-03 10:00 8231234 → 8251000 (closed; to its successor 8251001) CTF, 2 pupils, 3000 bytes; awaiting.
//  9. 2026-03-02 10:00 6602001 → XXXXXXX, 2000 bytes: Pritchard, born 2015-01-10, M; still lost.
//  10. 2026-04-14 09:00 823LLLL → 8231234 CTF, 1 pupil, 2000 bytes; collected 2026-04-15 08:00.
//
// Then the secure messages of (scenario).messages.
func Build(t testing.TB, data string) *ledger.Ledger {
	t.Helper()
	ctx := context.Background()
	led, err := ledger.Open(ctx, filepath.Join(data, "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { led.Close() })
	start := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	for _, m := range Mailboxes {
		if err := led.AddMailbox(ctx, m, start); err != nil {
			t.Fatal(err)
		}
	}
	if err := led.CloseMailbox(ctx, "8251000", "8251001", start); err != nil {
		t.Fatal(err)
	}
	s := &scenario{t: t, data: data, led: led, now: start}
	las, _ := routing.NewLANumbers(routing.DefaultLANumbers())
	s.router = delivery.New(delivery.Config{Data: data, LANumbers: las, Limits: routing.DefaultLimits(), Now: s.clock}, led, zerolog.Nop())
	s.router.Start(ctx)
	defer s.router.Close()

	ampthill := delivery.Sender{Login: "ampthill", Mailbox: "8231234", Role: routing.RoleSchool}
	biggleswade := delivery.Sender{Login: "biggleswade", Mailbox: "8232345", Role: routing.RoleSchool}
	mon := delivery.Sender{Login: "ysgolmon", Mailbox: "6602001", Role: routing.RoleSchool}
	cbc := delivery.Sender{Login: "cbc", Mailbox: "823LLLL", Role: routing.RoleLAUser}

	s.at("2025-07-10T09:00")
	s.send(ampthill, "8231234_CTF_8232345_001.XML", CTF("8231234", "8232345", 1, 2000))
	s.at("2025-07-11T08:00")
	s.collect(biggleswade, "8231234_CTF_8232345_001.XML")

	s.at("2025-10-06T09:30")
	s.send(ampthill, "8231234_CTF_6602001_002.XML", CTF("8231234", "6602001", 3, 4000))
	s.at("2025-10-07T13:15")
	s.collect(mon, "8231234_CTF_6602001_002.XML")

	s.at("2025-11-03T14:00")
	s.send(biggleswade, "8232345_CTF_8231234_001.XML", CTF("8232345", "8231234", 2, 3000,
		"<PostCode>ZZ99 1AA</PostCode>", "",
		"<Surname>Testpupil</Surname>\n      <Forename>Pupil1</Forename>", "<Surname>Test  pupil</Surname>\n      <Forename>Pupil1</Forename>"))
	s.at("2025-11-04T09:00")
	s.reject(ampthill, "8232345_CTF_8231234_001.XML")

	s.at("2025-11-10T11:00")
	s.send(mon, "6602001_CTF_8232345_001.XML", CTF("6602001", "8232345", 1, 2000))

	s.at("2025-12-01T10:00")
	s.send(ampthill, "8231234_CTF_XXXXXXX_003.XML", CTF("8231234", "XXXXXXX", 1, 2000,
		"Testpupil", "Quillfeather"))
	s.at("2025-12-02T10:00")
	s.send(biggleswade, "8232345_CTF_MMMMMMM_002.XML", CTF("8232345", "MMMMMMM", 1, 2000,
		"Testpupil", "Ashcroft", "<DOB>2015-01-10</DOB>", "<DOB>2009-11-02</DOB>", "<Sex>M</Sex>", "<Sex>F</Sex>"))

	s.at("2026-01-15T16:00")
	if err := led.ClaimLost(ctx, 1, "660", "anglesey-officer", "10.0.0.9", s.clock()); err != nil {
		t.Fatal(err)
	}

	s.at("2026-01-20T10:00")
	s.send(ampthill, "8231234_823LLLL_NOTES.ZIP", Zip())
	s.at("2026-01-21T09:00")
	s.collect(cbc, "8231234_823LLLL_NOTES.ZIP")
	s.at("2026-02-01T09:30")
	s.collect(cbc, "8231234_823LLLL_NOTES.ZIP")

	s.at("2026-02-02T10:00")
	s.send(ampthill, "8231234_CTF_8232345_004.XML", CTF("8231234", "8232345", 1, 2000,
		"<Surname>Testpupil</Surname>", ""))

	s.at("2026-02-03T10:00")
	s.send(ampthill, "8231234_CTF_8251000_005.XML", CTF("8231234", "8251000", 2, 3000))

	s.at("2026-03-02T10:00")
	s.send(mon, "6602001_CTF_XXXXXXX_002.XML", CTF("6602001", "XXXXXXX", 1, 2000, "Testpupil", "Pritchard"))

	s.at("2026-04-14T09:00")
	s.send(cbc, "823LLLL_CTF_8231234_001.XML", CTF("823LLLL", "8231234", 1, 2000))
	s.at("2026-04-15T08:00")
	s.collect(ampthill, "823LLLL_CTF_8231234_001.XML")

	s.messages()

	ts, err := led.Transfers(ctx, ledger.TransferFilter{})
	if err != nil || len(ts) != 10 {
		t.Fatalf("the scenario made %d transfers (%v), want 10", len(ts), err)
	}
	return led
}

// scenario is the router and the clock the script moves.
type scenario struct {
	t      testing.TB
	data   string
	led    *ledger.Ledger
	router *delivery.Router

	mu  sync.Mutex
	now time.Time
}

func (s *scenario) clock() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

// at sets the clock to a UTC time written as 2006-01-02T15:04.
func (s *scenario) at(ts string) {
	s.t.Helper()
	t, err := time.Parse("2006-01-02T15:04", ts)
	if err != nil {
		s.t.Fatal(err)
	}
	s.mu.Lock()
	s.now = t
	s.mu.Unlock()
}

// send drops a file into the sender's outbox and has the router route it,
// as an acknowledged SFTP upload.
func (s *scenario) send(who delivery.Sender, name string, content []byte) {
	s.t.Helper()
	dir := filepath.Join(s.data, "spool", who.Mailbox, spool.Outbox)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), content, 0o600); err != nil {
		s.t.Fatal(err)
	}
	s.router.Expect(who.Mailbox, name, who)
	s.router.Submit(who.Mailbox, name)
	s.router.Wait()
	if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
		s.t.Fatalf("%s was not routed", name)
	}
}

// collect is a complete download from the reader's inbox.
func (s *scenario) collect(who delivery.Sender, name string) {
	s.t.Helper()
	if err := s.router.Downloaded(context.Background(), who, who.Mailbox, spool.Inbox, name, true); err != nil {
		s.t.Fatal(err)
	}
}

// reject is the recipient deleting a file from its inbox.
func (s *scenario) reject(who delivery.Sender, name string) {
	s.t.Helper()
	if err := s.router.Removing(context.Background(), who, who.Mailbox, spool.Inbox, name); err != nil {
		s.t.Fatal(err)
	}
}

// CTF is a valid CTF from one code to another with n pupils (serials
// from 0), changed by the old, new pairs of edits and then padded with a
// comment to exactly size bytes.
func CTF(from, to string, pupils, size int, edits ...string) []byte {
	doc := ctftest.CTF(ctftest.Options{SourceLEA: from[:3], SourceEstab: from[3:], DestLEA: to[:3], DestEstab: to[3:], Pupils: pupils})
	for i := 0; i+1 < len(edits); i += 2 {
		doc = strings.ReplaceAll(doc, edits[i], edits[i+1])
	}
	const overhead = len("<!-- ") + len(" -->\n")
	pad := size - len(doc) - overhead
	if pad < 0 {
		panic("reportstest: a CTF is larger than the size asked for")
	}
	return []byte(strings.Replace(doc, "</CTfile>", "<!-- "+strings.Repeat("x", pad)+" -->\n</CTfile>", 1))
}

// Zip is the scenario's generic file: a zip of one stored text file,
// ZipSize bytes.
func Zip() []byte {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, err := w.CreateHeader(&zip.FileHeader{Name: "notes.txt", Method: zip.Store,
		Modified: time.Date(2026, 1, 20, 10, 0, 0, 0, time.UTC)})
	if err == nil {
		_, err = f.Write([]byte("Notes for Central Beds.\n"))
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		panic("reportstest: " + err.Error())
	}
	return b.Bytes()
}

// messages sends secure messages through the messaging service (ids 1
// to 4), times in UTC:
//
//  1. 2026-03-10 10:00 823LLLL → 8231234, 8232345; read by 8231234 2026-03-11 09:00.
//  2. 2026-03-12 10:00 6602001 → 8231234; read 2026-03-12 11:00.
//  3. 2026-03-13 10:00 823LLLL → 660LLLL; unread.
//  4. 2026-03-14 10:00 8232345's message without a subject, returned to it (not counted).
func (s *scenario) messages() {
	s.t.Helper()
	ctx := context.Background()
	svc, err := messaging.New(s.led, messaging.Options{Now: s.clock})
	if err != nil {
		s.t.Fatal(err)
	}
	send := func(from, to, name string) error {
		p := filepath.Join(s.data, "message.txt")
		text := "To: " + to + "\nSubject: Pupil records\n\nPlease check.\n"
		if to == "" {
			text = "To: 8231234\n\nno subject\n"
		}
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			return err
		}
		return svc.Put(ctx, messaging.Who{Login: "user", Mailbox: from}, "outbox/"+name, p)
	}
	for _, m := range []struct{ at, from, to, readBy, readAt string }{
		{"2026-03-10T10:00", "823LLLL", "8231234, 8232345", "8231234", "2026-03-11T09:00"},
		{"2026-03-12T10:00", "6602001", "8231234", "8231234", "2026-03-12T11:00"},
		{"2026-03-13T10:00", "823LLLL", "660LLLL", "", ""},
	} {
		s.at(m.at)
		if err := send(m.from, m.to, "m.txt"); err != nil {
			s.t.Fatalf("sending a message at %s: %v", m.at, err)
		}
		if m.readBy != "" {
			s.at(m.readAt)
			in, err := svc.List(ctx, messaging.Who{Mailbox: m.readBy}, messaging.Inbox)
			if err != nil || len(in) == 0 {
				s.t.Fatalf("inbox of %s: %v, %v", m.readBy, in, err)
			}
			svc.Opened(ctx, messaging.Who{Mailbox: m.readBy}, messaging.Inbox+"/"+in[len(in)-1].Name)
		}
	}
	s.at("2026-03-14T10:00")
	if err := send("8232345", "", "bad.txt"); err == nil {
		s.t.Fatal("a message without a subject was sent")
	}
}
