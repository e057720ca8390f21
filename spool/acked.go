package spool

import (
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
)

// A small upload is acknowledged on one device flush. Its staging file's
// record (WriteAcked) says that it is acknowledged and under which outbox
// name; then the file and its staging folder are fsynced at the same
// time, and only then is it renamed into the outbox, a rename nothing
// waits to make durable. If the machine stops before that rename reaches
// the disk, the file is still in staging with its record, and start-up
// (RecoverStaging) finishes the move. The record carries the size and
// CRC-32C of the bytes, so that a file whose fsync a power cut
// interrupted, and which was therefore never acknowledged, is told apart
// and dropped rather than routed torn. Routing fsyncs an outbox and its
// staging folder before it moves a file out, so that a routed file can
// never come back from staging.
//
// The acknowledgement is in the record, an extended attribute written
// with the inode, rather than in a marker name in staging, which cost
// each CLOSE a rename.

// MarkLimit is the largest upload acknowledged in staging: reading it
// back for its checksum costs less than the flush it saves.
const MarkLimit = 1 << 20

// Acked is a staged upload's acknowledgement.
type Acked struct {
	Name string // its name in the outbox
	Size int64
	CRC  uint32 // CRC-32C (Castagnoli) of its bytes
}

// check reports what makes a unfit for a record.
func (a Acked) check() error {
	if a.Size < 0 || a.Size > MarkLimit {
		return fmt.Errorf("acknowledged size %d is not 0 to %d", a.Size, MarkLimit)
	}
	if !validName(a.Name) || len(a.Name) > 255 {
		return fmt.Errorf("acknowledged name %q is not a file name", a.Name)
	}
	return nil
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// UpdateCRC returns the CRC-32C of bytes whose CRC-32C was crc followed
// by p, for a checksum kept as an upload is written.
func UpdateCRC(crc uint32, p []byte) uint32 {
	return crc32.Update(crc, castagnoli, p)
}

// Checksum reads f from its start and returns its size and CRC-32C. It
// fails for a file larger than MarkLimit.
func Checksum(f io.ReaderAt) (int64, uint32, error) {
	h := crc32.New(castagnoli)
	n, err := io.Copy(h, io.NewSectionReader(f, 0, MarkLimit+1))
	if err != nil {
		return 0, 0, err
	}
	if n > MarkLimit {
		return 0, 0, fmt.Errorf("larger than %d bytes", MarkLimit)
	}
	return n, h.Sum32(), nil
}

// ReadAcked returns the acknowledgement of the staged file at path, if
// its record (or its name, from an earlier version) has one and its size
// and checksum match the file's bytes.
func ReadAcked(path string) (Acked, bool) {
	var a Acked
	if r, ok := readRecord(path); ok && r.Acked != nil {
		a = *r.Acked
	} else if m, err := parseMarker(filepath.Base(path)); err == nil {
		a = m // an earlier version's (acked_marker.go)
	} else {
		return Acked{}, false
	}
	f, err := os.Open(path)
	if err != nil {
		return Acked{}, false
	}
	defer f.Close()
	size, crc, err := Checksum(f)
	if err != nil || size != a.Size || crc != a.CRC {
		return Acked{}, false
	}
	return a, true
}
