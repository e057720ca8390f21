package spool

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// A small upload is acknowledged on one device flush instead of two. Its
// staging file is renamed, within staging, to a name that says it is
// acknowledged and under which outbox name (the marker); then the file and
// its staging folder are fsynced at the same time, and only then is it
// renamed into the outbox, a rename nothing waits to make durable. If the
// machine stops before that rename reaches the disk, the file is still in
// staging under its marker, and start-up (RecoverStaging) finishes the
// move. The marker carries the size and CRC-32C of the bytes, so that a
// file whose fsync a power cut interrupted, and which was therefore never
// acknowledged, is told apart and dropped rather than routed torn.
// Routing fsyncs an outbox and its staging folder before it moves a file
// out, so that a routed file can never come back from staging.
//
// The marker is a name rather than an extended attribute: a second
// attribute beside the sender's (WriteSender) no longer fits in an ext4
// inode, and the block it then takes costs the fsync 50 µs.

// ackedPrefix begins a marker's name; random staging names are hex.
const ackedPrefix = "ack-"

// MarkLimit is the largest upload acknowledged through a marker: reading
// it back for its checksum costs less than the flush it saves.
const MarkLimit = 1 << 20

// Acked is a staged upload's marker.
type Acked struct {
	Name string // its name in the outbox
	Size int64
	CRC  uint32 // CRC-32C (Castagnoli) of its bytes
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// fileName is the marker's name in staging: "ack-CRC-SIZE-NAME".
func (a Acked) fileName() string {
	return fmt.Sprintf("%s%08x-%d-%s", ackedPrefix, a.CRC, a.Size, a.Name)
}

// parseAcked reads a marker's name written by fileName.
func parseAcked(s string) (Acked, error) {
	rest, ok := strings.CutPrefix(s, ackedPrefix)
	if !ok {
		return Acked{}, errors.New("not an acknowledgement marker")
	}
	crcHex, rest, ok := strings.Cut(rest, "-")
	if !ok || len(crcHex) != 8 {
		return Acked{}, fmt.Errorf("marker checksum %q is not 8 hex digits", crcHex)
	}
	crc, err := strconv.ParseUint(crcHex, 16, 32)
	if err != nil || fmt.Sprintf("%08x", crc) != crcHex {
		return Acked{}, fmt.Errorf("marker checksum %q is not 8 hex digits", crcHex)
	}
	sizeText, name, ok := strings.Cut(rest, "-")
	size, err := strconv.ParseInt(sizeText, 10, 64)
	if !ok || err != nil || size < 0 || size > MarkLimit || strconv.FormatInt(size, 10) != sizeText {
		return Acked{}, fmt.Errorf("marker size %q is not 0 to %d", sizeText, MarkLimit)
	}
	if name == "" || name == "." || name == ".." || strings.HasPrefix(name, ".") || strings.ContainsAny(name, "/\x00") {
		return Acked{}, fmt.Errorf("marker name %q is not a file name", name)
	}
	return Acked{Name: name, Size: size, CRC: uint32(crc)}, nil
}

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

// MarkAcked renames the staged upload at path, within staging, to the
// marker of a, and returns its new path. The caller then fsyncs the file
// and staging (a Syncer, or SyncWithDir).
func MarkAcked(path string, a Acked) (string, error) {
	marked := filepath.Join(filepath.Dir(path), a.fileName())
	if len(filepath.Base(marked)) > 255 {
		return "", errors.New("the marker would be too long a file name")
	}
	if err := RenameNoReplace(path, marked); err != nil {
		return "", err
	}
	return marked, nil
}

// readAcked returns the marker of the staged file at path, if it is one
// and its size and checksum match the file's bytes.
func readAcked(path string) (Acked, bool) {
	a, err := parseAcked(filepath.Base(path))
	if err != nil {
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
