package spool

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func TestSenderRoundTrip(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "upload"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, ok := ReadSender(f.Name()); ok {
		t.Fatal("a new file says who sent it")
	}
	want := Sender{Login: "ampthill", Role: "school", Remote: "2001:db8::7"}
	if err := WriteSender(f, want); err != nil {
		t.Skipf("no user extended attributes here: %v", err)
	}
	// The attribute moves with the file.
	moved := filepath.Join(dir, "8231234_CTF_8232345_001.XML")
	if err := MoveNoReplace(f.Name(), moved); err != nil {
		t.Fatal(err)
	}
	if got, ok := ReadSender(moved); !ok || got != want {
		t.Fatalf("ReadSender = %+v, %t; want %+v", got, ok, want)
	}
	if _, ok := ReadAcked(moved); ok {
		t.Fatal("a file whose record has no acknowledgement reads as acknowledged")
	}
	// Acknowledging replaces the record, sender and all.
	if err := WriteAcked(f, Sender{Login: "biggleswade", Role: "school", Remote: "10.0.0.8"}, Acked{Name: "x.XML"}); err != nil {
		t.Fatal(err)
	}
	if got, ok := ReadSender(moved); !ok || got.Login != "biggleswade" {
		t.Fatalf("ReadSender after WriteAcked = %+v, %t", got, ok)
	}
}

// TestReadSenderJSON reads the sender as s2sd wrote it before the binary
// record, from a file that waited in an outbox across the upgrade.
func TestReadSenderJSON(t *testing.T) {
	p := filepath.Join(t.TempDir(), "8231234_CTF_8232345_001.XML")
	if err := os.WriteFile(p, []byte("<CTfile/>"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := unix.Setxattr(p, jsonSenderAttr, []byte(`{"login":"ampthill","role":"school","remote":"10.0.0.7"}`), 0); err != nil {
		t.Skipf("no user extended attributes here: %v", err)
	}
	want := Sender{Login: "ampthill", Role: "school", Remote: "10.0.0.7"}
	if got, ok := ReadSender(p); !ok || got != want {
		t.Fatalf("ReadSender = %+v, %t; want %+v", got, ok, want)
	}
}

// TestRecordBytes pins the record's encoding, and that a CTF's, from a
// school's login and an IPv4 address, fits in an ext4 inode's 68 bytes.
func TestRecordBytes(t *testing.T) {
	r := record{
		Sender: Sender{Login: "b8231000", Role: "school", Remote: "127.0.0.1"},
		Acked:  &Acked{Name: "8231000_CTF_8232000_001.XML", Size: 25000, CRC: 0x0a1b2c3d},
	}
	b, err := r.marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := append([]byte("a\x08b8231000\x06school\x09127.0.0.1\x0a\x1b\x2c\x3d\xa8\xc3\x01\x1b"), "8231000_CTF_8232000_001.XML"...)
	if !bytes.Equal(b, want) {
		t.Fatalf("marshal = %q; want %q", b, want)
	}
	if len(b) != 62 {
		t.Fatalf("a CTF's record is %d bytes; want 62", len(b))
	}
	got, err := parseRecord(b)
	if err != nil || got.Sender != r.Sender || got.Acked == nil || *got.Acked != *r.Acked {
		t.Fatalf("parseRecord = %+v, %v; want %+v", got, err, r)
	}
	sender, err := record{Sender: r.Sender}.marshal()
	if err != nil || string(sender) != "s\x08b8231000\x06school\x09127.0.0.1" {
		t.Fatalf("the sender's record = %q, %v", sender, err)
	}
}

func TestParseRecordErrors(t *testing.T) {
	for in, want := range map[string]string{
		"":                             "not an s2sd file record",
		`{"login":"ampthill"}`:         "not an s2sd file record",
		"s":                            "the record's login is cut short",
		"s\x00\x06school\x00":          "the record names no login",
		"s\x08ampthill\x06scho":        "the record's role is cut short",
		"s\x08ampthill\x06school":      "the record's remote address is cut short",
		"s\x08ampthill\x06school\x00x": "1 bytes follow the record",
		"a\x08ampthill\x06school\x00\x01\x02\x03":                          "the record's checksum is cut short",
		"a\x08ampthill\x06school\x00\x01\x02\x03\x04":                      "the record's size is not a uvarint",
		"a\x08ampthill\x06school\x00\x01\x02\x03\x04\x80\x00":              "the record's size is not a uvarint",
		"a\x08ampthill\x06school\x00\x01\x02\x03\x04\x81\x80\x40\x05x.XML": "the record's size 1048577 is not 0 to 1048576",
		"a\x08ampthill\x06school\x00\x01\x02\x03\x04\x05\x05x.XM":          "the record's name is cut short",
		"a\x08ampthill\x06school\x00\x01\x02\x03\x04\x05\x00":              `acknowledged name "" is not a file name`,
		"a\x08ampthill\x06school\x00\x01\x02\x03\x04\x05\x07.hidden":       `acknowledged name ".hidden" is not a file name`,
		"a\x08ampthill\x06school\x00\x01\x02\x03\x04\x05\x05../ab":         `acknowledged name "../ab" is not a file name`,
		"a\x08ampthill\x06school\x00\x01\x02\x03\x04\x05\x03a\x00b":        `acknowledged name "a\x00b" is not a file name`,
	} {
		if _, err := parseRecord([]byte(in)); err == nil || err.Error() != want {
			t.Errorf("parseRecord(%q) = %v; want %q", in, err, want)
		}
	}
	if _, err := (record{Sender: Sender{Login: string(make([]byte, 256))}}).marshal(); err == nil || err.Error() != "256 bytes is too long for the file's record" {
		t.Errorf("marshal of a 256-byte login: %v", err)
	}
}

// FuzzParseRecord checks that an extended attribute's bytes never panic
// the parser, and that every record it accepts is one marshal writes back
// unchanged, naming a plain file.
func FuzzParseRecord(f *testing.F) {
	f.Add([]byte("s\x08ampthill\x06school\x09127.0.0.1"))
	f.Add(append([]byte("a\x08b8231000\x06school\x09127.0.0.1\x0a\x1b\x2c\x3d\xa8\xc3\x01\x1b"), "8231000_CTF_8232000_001.XML"...))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := parseRecord(b)
		if err != nil {
			if r != (record{}) {
				t.Fatalf("parseRecord(%q) failed with %+v", b, r)
			}
			return
		}
		back, err := r.marshal()
		if err != nil || !bytes.Equal(back, b) {
			t.Fatalf("parseRecord(%q) = %+v, which writes back as %q, %v", b, r, back, err)
		}
		if r.Sender.Login == "" {
			t.Fatalf("parseRecord(%q) accepted no login", b)
		}
		if a := r.Acked; a != nil && (a.Name != filepath.Base(a.Name) || a.Name[0] == '.' || a.Size < 0 || a.Size > MarkLimit) {
			t.Fatalf("parseRecord(%q) = %+v", b, a)
		}
	})
}

// TestLongestRecord writes the longest record there can be and reads it
// back whole.
func TestLongestRecord(t *testing.T) {
	long := string(bytes.Repeat([]byte("x"), 255))
	r := record{Sender: Sender{Login: long, Role: long, Remote: long}, Acked: &Acked{Name: long, Size: MarkLimit, CRC: 0xffffffff}}
	b, err := r.marshal()
	if err != nil || len(b) != maxRecord {
		t.Fatalf("marshal = %d bytes, %v; want %d", len(b), err, maxRecord)
	}
	p := filepath.Join(t.TempDir(), "upload")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := WriteAcked(f, r.Sender, *r.Acked); err != nil {
		t.Skipf("no user extended attributes here: %v", err)
	}
	got, ok := readRecord(p)
	if !ok || got.Sender != r.Sender || got.Acked == nil || *got.Acked != *r.Acked {
		t.Fatalf("readRecord = %+v, %t", got, ok)
	}
}
