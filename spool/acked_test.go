package spool

import (
	"bytes"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
)

func TestChecksum(t *testing.T) {
	data := bytes.Repeat([]byte("<CTfile>"), 3000)
	size, crc, err := Checksum(bytes.NewReader(data))
	if err != nil || size != int64(len(data)) || crc != crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli)) {
		t.Fatalf("Checksum = %d, %08x, %v", size, crc, err)
	}
	if got := UpdateCRC(UpdateCRC(0, data[:100]), data[100:]); got != crc {
		t.Fatalf("UpdateCRC in two parts = %08x; want %08x", got, crc)
	}
	if _, _, err := Checksum(bytes.NewReader(make([]byte, MarkLimit+1))); err == nil || err.Error() != "larger than 1048576 bytes" {
		t.Fatalf("Checksum of a file past the limit: %v", err)
	}
}

// TestRecoverStaging covers what start-up finds in staging after a crash:
// an acknowledged upload whose move into the outbox was lost is moved
// there; an upload whose fsync was cut short, an acknowledgement whose
// name is taken, and a file never acknowledged are all removed.
func TestRecoverStaging(t *testing.T) {
	l := Layout{Root: t.TempDir()}
	if err := l.Ensure("8231000"); err != nil {
		t.Fatal(err)
	}
	staging, outbox := l.Dir("8231000", Staging), l.Dir("8231000", Outbox)
	stage := func(name string, data []byte, a *Acked) string {
		t.Helper()
		p := filepath.Join(staging, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if a != nil {
			writeAcked(t, p, *a)
		}
		return p
	}
	ack := func(name string, data []byte) *Acked {
		_, crc, err := Checksum(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		return &Acked{Name: name, Size: int64(len(data)), CRC: crc}
	}
	good := []byte("<CTfile>acknowledged</CTfile>")
	stage("a1", good, ack("8231000_CTF_8232000_001.XML", good))
	torn := ack("8231000_CTF_8232000_002.XML", []byte("<CTfile>all of it</CTfile>"))
	stage("a2", []byte("<CTfile>al"), torn)
	if err := os.WriteFile(filepath.Join(outbox, "8231000_CTF_8232000_003.XML"), []byte("sent before"), 0o600); err != nil {
		t.Fatal(err)
	}
	stage("a3", good, ack("8231000_CTF_8232000_003.XML", good))
	stage("9f86d081884c7d659a2feaa0", []byte("never acknowledged"), nil)

	// A mailbox whose outbox has gone gets it back with its upload.
	other := filepath.Join(l.Dir("8232345", Staging), "0a1b2c3d4e5f60718293a4b5")
	if err := os.MkdirAll(filepath.Dir(other), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other, good, 0o600); err != nil {
		t.Fatal(err)
	}
	writeAcked(t, other, *ack("8232345_CTF_8231000_001.XML", good))

	moved, err := l.RecoverStaging()
	if err != nil || moved != 2 {
		t.Fatalf("RecoverStaging = %d, %v; want 2 moved", moved, err)
	}
	if got, err := os.ReadFile(filepath.Join(l.Dir("8232345", Outbox), "8232345_CTF_8231000_001.XML")); err != nil || !bytes.Equal(got, good) {
		t.Fatalf("the upload into a missing outbox: %q, %v", got, err)
	}
	if left, _ := os.ReadDir(staging); len(left) != 0 {
		t.Fatalf("staging still holds %v", left)
	}
	want := map[string]string{
		"8231000_CTF_8232000_001.XML": string(good),
		"8231000_CTF_8232000_003.XML": "sent before",
	}
	entries, _ := os.ReadDir(outbox)
	if len(entries) != len(want) {
		t.Fatalf("outbox holds %v; want %v", entries, want)
	}
	for name, data := range want {
		if got, err := os.ReadFile(filepath.Join(outbox, name)); err != nil || string(got) != data {
			t.Fatalf("outbox %s = %q, %v; want %q", name, got, err, data)
		}
	}
}

// writeAcked gives the file at path the record of an upload acknowledged
// as a, or skips the test where files have no user extended attributes.
func writeAcked(t *testing.T, path string, a Acked) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := WriteAcked(f, Sender{Login: "ampthill", Role: "school", Remote: "127.0.0.1"}, a); err != nil {
		t.Skipf("no user extended attributes here: %v", err)
	}
}
