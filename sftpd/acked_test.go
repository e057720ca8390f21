package sftpd

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/s2sd/s2sd/spool"
)

// stagingAtAck records, as each upload is about to be moved into the
// outbox, which staging files say they are acknowledged, and how.
type stagingAtAck struct {
	NoEvents
	dir string
	mu  sync.Mutex
	got map[string][]string // by name acknowledged: "file acked-as size crc"
}

func (e *stagingAtAck) Acknowledging(who Identity, box, name string, carried bool) {
	e.mu.Lock()
	dir := e.dir
	e.mu.Unlock()
	entries, _ := os.ReadDir(dir)
	var acked []string
	for _, en := range entries {
		if a, ok := spool.ReadAcked(filepath.Join(dir, en.Name())); ok {
			acked = append(acked, fmt.Sprintf("%s %s %d %08x", en.Name(), a.Name, a.Size, a.CRC))
		}
	}
	e.mu.Lock()
	e.got[name] = acked
	e.mu.Unlock()
}

// TestAcknowledgeInStaging checks which uploads are acknowledged on one
// flush, through their record in staging (spool.WriteAcked), and which
// the slower way: a small file under its own name gets a record of its
// size and CRC-32C, and is fsynced with staging, before the move into the
// outbox; a file above spool.MarkLimit and a file sent under a temporary
// name get no record of acknowledgement. Each ends in the outbox with its
// bytes and its sender, and no acknowledged file is left in staging.
func TestAcknowledgeInStaging(t *testing.T) {
	ev := &stagingAtAck{got: map[string][]string{}}
	h := newHarness(t, func(d *Deps) {
		d.Events = ev
		d.Checker = testChecker{limit: 2 << 20}
	})
	staging := filepath.Join(h.dir, "spool", "8231234", spool.Staging)
	ev.mu.Lock()
	ev.dir = staging
	ev.mu.Unlock()
	h.addUser("ampthill", "8231234", "school", "school", "correct horse battery")
	c, err := h.dial("ampthill", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	first, second, third := "8231234_CTF_8232345_001.XML", "8231234_CTF_8232345_002.XML", "8231234_CTF_8232345_003.XML"
	large, temp := "8231234_CTF_8232345_004.XML", "8231234_CTF_8232345_005.XML"
	smallData := bytes.Repeat([]byte("<CTfile/>"), 4000) // two WRITEs, which may arrive out of order
	largeData := bytes.Repeat([]byte("x"), spool.MarkLimit+1)
	staged := map[string]string{} // the staging file each upload was written to
	put := func(name string, data []byte) {
		t.Helper()
		f, err := c.Create("/outbox/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(data); err != nil {
			t.Fatal(err)
		}
		// The file written is the one staging file that is not empty.
		entries, _ := os.ReadDir(staging)
		for _, e := range entries {
			if fi, err := e.Info(); err == nil && fi.Size() > 0 {
				staged[name] = e.Name()
			}
		}
		if err := f.Close(); err != nil {
			t.Fatalf("CLOSE of %s: %v", name, err)
		}
		if staged[name] == "" {
			t.Fatalf("%s was not written to staging", name)
		}
	}
	for _, name := range []string{first, second, third} {
		put(name, smallData)
	}
	put(large, largeData)
	f, err := c.OpenFile("/outbox/"+temp+".filepart", os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(f, "<CTfile/>")
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Rename("/outbox/"+temp+".filepart", "/outbox/"+temp); err != nil {
		t.Fatal(err)
	}

	crc := fmt.Sprintf("%08x", crc32.Checksum(smallData, crc32.MakeTable(crc32.Castagnoli)))
	size := fmt.Sprint(len(smallData))
	want := map[string][]string{
		first:  {staged[first] + " " + first + " " + size + " " + crc},
		second: {staged[second] + " " + second + " " + size + " " + crc},
		third:  {staged[third] + " " + third + " " + size + " " + crc},
		large:  nil,
		temp:   nil,
	}
	ev.mu.Lock()
	got := ev.got
	ev.mu.Unlock()
	for name, w := range want {
		if g := got[name]; strings.Join(g, ",") != strings.Join(w, ",") {
			t.Errorf("acknowledged in staging as %s was acknowledged: %q; want %q", name, g, w)
		}
	}
	for name, data := range map[string][]byte{first: smallData, second: smallData, third: smallData, large: largeData, temp: []byte("<CTfile/>")} {
		got, err := os.ReadFile(filepath.Join(h.dir, "spool", "8231234", spool.Outbox, name))
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("outbox %s: %d bytes, %v; want %d bytes", name, len(got), err, len(data))
		}
		if s, ok := spool.ReadSender(filepath.Join(h.dir, "spool", "8231234", spool.Outbox, name)); !ok || s.Login != "ampthill" || s.Role != "school" {
			t.Errorf("outbox %s says it is from %+v, %t; want ampthill, a school", name, s, ok)
		}
	}
	entries, _ := os.ReadDir(staging)
	for _, e := range entries {
		if _, ok := spool.ReadAcked(filepath.Join(staging, e.Name())); ok {
			t.Errorf("staging still holds the acknowledged %s", e.Name())
		}
	}
}
