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

// stagingAtAck records what staging holds when each upload is about to be
// moved into the outbox.
type stagingAtAck struct {
	NoEvents
	dir string
	mu  sync.Mutex
	got map[string][]string // by name acknowledged
}

func (e *stagingAtAck) Acknowledging(who Identity, box, name string, carried bool) {
	e.mu.Lock()
	dir := e.dir
	e.mu.Unlock()
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, en := range entries {
		if strings.HasPrefix(en.Name(), "ack-") {
			names = append(names, en.Name())
		}
	}
	e.mu.Lock()
	e.got[name] = names
	e.mu.Unlock()
}

// TestAcknowledgeThroughMarker checks which uploads are acknowledged on
// one flush, through a marker in staging (spool.MarkAcked), and which the
// slower way: a small file under its own name is marked, with its size
// and CRC-32C, before the move into the outbox; a file above
// spool.MarkLimit and a file sent under a temporary name are not. Each
// ends in the outbox with its bytes, and no marker is left behind.
func TestAcknowledgeThroughMarker(t *testing.T) {
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
	small, large, temp := "8231234_CTF_8232345_001.XML", "8231234_CTF_8232345_002.XML", "8231234_CTF_8232345_003.XML"
	smallData := bytes.Repeat([]byte("<CTfile/>"), 4000) // two WRITEs, which may arrive out of order
	largeData := bytes.Repeat([]byte("x"), spool.MarkLimit+1)
	put := func(name string, data []byte) {
		t.Helper()
		f, err := c.Create("/outbox/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(data); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatalf("CLOSE of %s: %v", name, err)
		}
	}
	put(small, smallData)
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

	crc := crc32.Checksum(smallData, crc32.MakeTable(crc32.Castagnoli))
	want := map[string][]string{
		small: {fmt.Sprintf("ack-%08x-%d-%s", crc, len(smallData), small)},
		large: nil,
		temp:  nil,
	}
	ev.mu.Lock()
	got := ev.got
	ev.mu.Unlock()
	for name, w := range want {
		if g := got[name]; strings.Join(g, ",") != strings.Join(w, ",") {
			t.Errorf("markers in staging as %s was acknowledged: %q; want %q", name, g, w)
		}
	}
	for name, data := range map[string][]byte{small: smallData, large: largeData, temp: []byte("<CTfile/>")} {
		got, err := os.ReadFile(filepath.Join(h.dir, "spool", "8231234", spool.Outbox, name))
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("outbox %s: %d bytes, %v; want %d bytes", name, len(got), err, len(data))
		}
	}
	entries, _ := os.ReadDir(staging)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "ack-") {
			t.Errorf("staging still holds the marker %s", e.Name())
		}
	}
}
