package spool

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseMarker(t *testing.T) {
	a := Acked{Name: "8231000_CTF_8232000_001.XML", Size: 25000, CRC: 0x0a1b2c3d}
	if got := a.markerName(); got != "ack-0a1b2c3d-25000-8231000_CTF_8232000_001.XML" {
		t.Fatalf("markerName = %q", got)
	}
	got, err := parseMarker(a.markerName())
	if err != nil || got != a {
		t.Fatalf("parseMarker = %+v, %v; want %+v", got, err, a)
	}
	for name, want := range map[string]string{
		"9f86d081884c7d659a2feaa0":   "not an acknowledgement marker",
		"ack-0a1b2c3-25000-x.XML":    `marker checksum "0a1b2c3" is not 8 hex digits`,
		"ack-0a1b2c3g-25000-x.XML":   `marker checksum "0a1b2c3g" is not 8 hex digits`,
		"ack-0a1b2c3d-025-x.XML":     `marker size "025" is not 0 to 1048576`,
		"ack-0a1b2c3d-1048577-x.XML": `marker size "1048577" is not 0 to 1048576`,
		"ack-0a1b2c3d-25000":         `marker size "25000" is not 0 to 1048576`,
		"ack-0a1b2c3d-25000-.hidden": `marker name ".hidden" is not a file name`,
		"ack-0a1b2c3d-25000-":        `marker name "" is not a file name`,
		"ack-0a1b2c3d-25000-a\x00b":  `marker name "a\x00b" is not a file name`,
	} {
		if _, err := parseMarker(name); err == nil || err.Error() != want {
			t.Errorf("parseMarker(%q) = %v; want %q", name, err, want)
		}
	}
}

// FuzzParseMarker checks that a staging file's name never panics the
// parser, and that every marker it accepts is one markerName writes back
// unchanged, naming a plain file.
func FuzzParseMarker(f *testing.F) {
	f.Add("ack-0a1b2c3d-25000-8231000_CTF_8232000_001.XML")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := parseMarker(s)
		if err != nil {
			if a != (Acked{}) {
				t.Fatalf("parseMarker(%q) failed with %+v", s, a)
			}
			return
		}
		if a.markerName() != s {
			t.Fatalf("parseMarker(%q) = %+v, which writes back as %q", s, a, a.markerName())
		}
		if a.Name != filepath.Base(a.Name) || strings.HasPrefix(a.Name, ".") || a.Size < 0 || a.Size > MarkLimit {
			t.Fatalf("parseMarker(%q) = %+v", s, a)
		}
	})
}

// TestRecoverMarker starts on staging left by s2sd before the record: an
// upload acknowledged under its marker is moved into its outbox, one
// whose bytes do not match its marker is removed.
func TestRecoverMarker(t *testing.T) {
	l := Layout{Root: t.TempDir()}
	if err := l.Ensure("8231000"); err != nil {
		t.Fatal(err)
	}
	good := []byte("<CTfile>acknowledged</CTfile>")
	_, crc, err := Checksum(bytes.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	acked := Acked{Name: "8231000_CTF_8232000_001.XML", Size: int64(len(good)), CRC: crc}
	torn := Acked{Name: "8231000_CTF_8232000_002.XML", Size: int64(len(good)), CRC: crc}
	staging := l.Dir("8231000", Staging)
	for a, data := range map[Acked][]byte{acked: good, torn: good[:10]} {
		if err := os.WriteFile(filepath.Join(staging, a.markerName()), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	moved, err := l.RecoverStaging()
	if err != nil || moved != 1 {
		t.Fatalf("RecoverStaging = %d, %v; want 1 moved", moved, err)
	}
	if got, err := os.ReadFile(filepath.Join(l.Dir("8231000", Outbox), acked.Name)); err != nil || !bytes.Equal(got, good) {
		t.Fatalf("outbox %s = %q, %v", acked.Name, got, err)
	}
	if left, _ := os.ReadDir(staging); len(left) != 0 {
		t.Fatalf("staging still holds %v", left)
	}
	if entries, _ := os.ReadDir(l.Dir("8231000", Outbox)); len(entries) != 1 {
		t.Fatalf("outbox holds %v; want only %s", entries, acked.Name)
	}
}
