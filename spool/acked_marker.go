package spool

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// s2sd before the record (see acked.go) acknowledged a small upload by
// renaming it in staging to a marker, "ack-CRC-SIZE-NAME". Start-up still
// reads such a name, so that an upload acknowledged by that version and
// left in staging by a crash is moved into its outbox after the upgrade,
// not removed as never acknowledged.

// markerPrefix begins a marker's name; random staging names are hex.
const markerPrefix = "ack-"

// parseMarker reads a marker's name.
func parseMarker(s string) (Acked, error) {
	rest, ok := strings.CutPrefix(s, markerPrefix)
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
	a := Acked{Name: name, Size: size, CRC: uint32(crc)}
	if err := a.check(); err != nil {
		return Acked{}, fmt.Errorf("marker name %q is not a file name", name)
	}
	return a, nil
}

// markerName is the marker parseMarker reads as a.
func (a Acked) markerName() string {
	return fmt.Sprintf("%s%08x-%d-%s", markerPrefix, a.CRC, a.Size, a.Name)
}
