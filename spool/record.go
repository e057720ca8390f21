package spool

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// recordAttr is the extended attribute in which an uploaded file carries
// its record: who sent it, and, for a small upload acknowledged in
// staging, that it was acknowledged and under which name (see acked.go).
// Written before the file's fsync, the record is as durable as the
// file's data, so that acknowledging an upload costs no ledger commit.
//
// The record is binary, and short, because of where ext4 keeps it: an
// attribute whose value fits in the inode's spare room (68 bytes here
// for a four-byte name) is written with the inode, and one that does not
// takes a block of its own, which costs each fsync 35-50 µs more. A CTF's
// record, with a school's login and an IPv4 address, is about 62 bytes.
const recordAttr = "user.s2sd"

// jsonSenderAttr is where s2sd before the binary record wrote the sender,
// as JSON; ReadSender still reads it, for files that waited in an
// outbox across the upgrade.
const jsonSenderAttr = "user.s2sd.sender"

// Sender is who uploaded a file.
type Sender struct {
	Login  string `json:"login"`
	Role   string `json:"role"`
	Remote string `json:"remote"`
}

// The record's first byte says what follows the sender.
const (
	recordSender = 's' // the sender alone
	recordAcked  = 'a' // the sender, then the acknowledgement
)

// record is a file's recordAttr: each string a length byte and its
// bytes; then for an acknowledgement its CRC-32C in four bytes (big
// endian), its size as a uvarint and its name as a string.
type record struct {
	Sender Sender
	Acked  *Acked
}

func appendString(b []byte, s string) ([]byte, error) {
	if len(s) > 255 {
		return nil, fmt.Errorf("%d bytes is too long for the file's record", len(s))
	}
	return append(append(b, byte(len(s))), s...), nil
}

func (r record) marshal() ([]byte, error) {
	b := make([]byte, 1, 80)
	b[0] = recordSender
	if r.Acked != nil {
		b[0] = recordAcked
	}
	var err error
	for _, s := range []string{r.Sender.Login, r.Sender.Role, r.Sender.Remote} {
		if b, err = appendString(b, s); err != nil {
			return nil, err
		}
	}
	if a := r.Acked; a != nil {
		if err := a.check(); err != nil {
			return nil, err
		}
		b = binary.BigEndian.AppendUint32(b, a.CRC)
		b = binary.AppendUvarint(b, uint64(a.Size))
		b, _ = appendString(b, a.Name) // check bounds it
	}
	return b, nil
}

// parseRecord reads a record written by marshal, exactly.
func parseRecord(b []byte) (record, error) {
	if len(b) == 0 || (b[0] != recordSender && b[0] != recordAcked) {
		return record{}, errors.New("not an s2sd file record")
	}
	kind, rest := b[0], b[1:]
	str := func(what string) (string, error) {
		if len(rest) == 0 || len(rest) < 1+int(rest[0]) {
			return "", fmt.Errorf("the record's %s is cut short", what)
		}
		s := string(rest[1 : 1+int(rest[0])])
		rest = rest[1+int(rest[0]):]
		return s, nil
	}
	var r record
	var err error
	if r.Sender.Login, err = str("login"); err != nil {
		return record{}, err
	}
	if r.Sender.Login == "" {
		return record{}, errors.New("the record names no login")
	}
	if r.Sender.Role, err = str("role"); err != nil {
		return record{}, err
	}
	if r.Sender.Remote, err = str("remote address"); err != nil {
		return record{}, err
	}
	if kind == recordAcked {
		if len(rest) < 4 {
			return record{}, errors.New("the record's checksum is cut short")
		}
		a := Acked{CRC: binary.BigEndian.Uint32(rest)}
		rest = rest[4:]
		size, n := binary.Uvarint(rest)
		if n <= 0 || n != len(binary.AppendUvarint(nil, size)) {
			return record{}, errors.New("the record's size is not a uvarint")
		}
		rest = rest[n:]
		if size > MarkLimit {
			return record{}, fmt.Errorf("the record's size %d is not 0 to %d", size, MarkLimit)
		}
		a.Size = int64(size)
		if a.Name, err = str("name"); err != nil {
			return record{}, err
		}
		if err := a.check(); err != nil {
			return record{}, err
		}
		r.Acked = &a
	}
	if len(rest) != 0 {
		return record{}, fmt.Errorf("%d bytes follow the record", len(rest))
	}
	return r, nil
}

// WriteSender records in f who sent it. It fails where the filesystem has
// no user extended attributes; the caller then records the sender
// elsewhere.
func WriteSender(f *os.File, s Sender) error {
	return writeRecord(f, record{Sender: s})
}

// WriteAcked records in f who sent it and that it is acknowledged as a,
// so that start-up can move it into its outbox if a crash leaves it in
// staging. The caller then fsyncs f and staging.
func WriteAcked(f *os.File, s Sender, a Acked) error {
	return writeRecord(f, record{Sender: s, Acked: &a})
}

func writeRecord(f *os.File, r record) error {
	b, err := r.marshal()
	if err != nil {
		return err
	}
	return unix.Fsetxattr(int(f.Fd()), recordAttr, b, 0)
}

// maxRecord is the longest record: the kind, four strings of up to 255
// bytes with their lengths, the checksum and a size of up to MarkLimit.
const maxRecord = 1 + 4*256 + 4 + 3

// readRecord returns the record of the file at path, if it has one.
func readRecord(path string) (record, bool) {
	buf := make([]byte, maxRecord)
	n, err := unix.Getxattr(path, recordAttr, buf)
	if err != nil {
		return record{}, false
	}
	r, err := parseRecord(buf[:n])
	return r, err == nil
}

// ReadSender returns who sent the file at path, if the file says.
func ReadSender(path string) (Sender, bool) {
	if r, ok := readRecord(path); ok {
		return r.Sender, true
	}
	buf := make([]byte, 1024)
	n, err := unix.Getxattr(path, jsonSenderAttr, buf)
	if err != nil {
		return Sender{}, false
	}
	var s Sender
	if err := json.Unmarshal(buf[:n], &s); err != nil || s.Login == "" {
		return Sender{}, false
	}
	return s, true
}

// validName reports whether name can be a file's name in an outbox.
func validName(name string) bool {
	return name != "" && !strings.HasPrefix(name, ".") && !strings.ContainsAny(name, "/\x00")
}
