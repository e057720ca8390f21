package mailer

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
)

// EMLTransport writes each message as an RFC 5322 .eml file into a folder:
// the default when no SMTP server is configured, so that a first run needs
// nothing. The files are the same bytes the SMTP transport would send.
//
// A message from the outbox is named from its creation time and outbox id,
// e.g. 20261124T101500Z-000123.eml, so the folder sorts by time and a
// message written again after a crash replaces its own file rather than
// adding a second one.
type EMLTransport struct {
	dir  string
	from *mail.Address
}

var _ Transport = (*EMLTransport)(nil)

// tempPrefix starts the names of files being written.
const tempPrefix = ".tmp-"

// NewEML returns a transport writing into dir, which it creates. It
// removes any partly written file a crash left there.
func NewEML(dir, from string) (*EMLTransport, error) {
	addr, err := parseFrom(from)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("mail folder: %w", err)
	}
	leftovers, err := filepath.Glob(filepath.Join(dir, tempPrefix+"*"))
	if err != nil {
		return nil, err
	}
	for _, p := range leftovers {
		if err := os.Remove(p); err != nil {
			return nil, fmt.Errorf("mail folder: remove leftover: %w", err)
		}
	}
	return &EMLTransport{dir: dir, from: addr}, nil
}

// String describes the transport for logs.
func (t *EMLTransport) String() string { return "eml://" + t.dir }

// Dir returns the folder the files are written into.
func (t *EMLTransport) Dir() string { return t.dir }

// EMLName returns the file name of m: its creation time in UTC and its
// outbox id. A message not from the outbox gets a random suffix instead.
func EMLName(m Message) string {
	stamp := m.Date.UTC().Format("20060102T150405Z")
	if m.ID != 0 {
		return fmt.Sprintf("%s-%06d.eml", stamp, m.ID)
	}
	b := make([]byte, 6)
	rand.Read(b)
	return stamp + "-x" + hex.EncodeToString(b) + ".eml"
}

// Send writes m atomically: into a temporary file, synced, then renamed
// over its final name, and the folder synced.
func (t *EMLTransport) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return temporary("write .eml", err)
	}
	msg, err := compose(t.from, m)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		return permanent("compose", err)
	}
	name := EMLName(m)
	if err := writeAtomic(t.dir, name, buf.Bytes()); err != nil {
		return temporary("write "+name, err)
	}
	return nil
}

func writeAtomic(dir, name string, data []byte) error {
	f, err := os.CreateTemp(dir, tempPrefix+strings.TrimSuffix(name, ".eml")+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op once renamed
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
