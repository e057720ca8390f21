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

	"golang.org/x/sys/unix"
)

// EMLTransport writes each message as an RFC 5322 .eml file into a folder:
// the default when no SMTP server is configured, so that a first run needs
// nothing. The files are the same bytes the SMTP transport would send.
//
// Send writes a file without waiting for the disk; Sync then makes every
// file written so far durable with one syncfs(2), as the worker does for
// each batch before it records any mail as sent. A phase transfer queues
// a notice or two per file: an fsync of each file and of the folder cost
// four disk flushes a notice, and one Sync costs one a batch.
//
// A message from the outbox is named from its creation time and outbox id,
// e.g. 20261124T101500Z-000123.eml, so the folder sorts by time and a
// message written again after a crash replaces its own file rather than
// adding a second one.
type EMLTransport struct {
	dir  string
	from *mail.Address
}

var (
	_ Transport = (*EMLTransport)(nil)
	_ Syncer    = (*EMLTransport)(nil)
)

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

// Send writes m atomically, into a temporary file renamed over its final
// name, so that a reader never sees part of a message. It is durable once
// Sync returns.
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

// Sync makes the files written so far durable: syncfs(2) on the folder's
// filesystem writes them, their names and anything else waiting there,
// with one flush of the disk.
func (t *EMLTransport) Sync(ctx context.Context) error {
	d, err := os.Open(t.dir)
	if err != nil {
		return temporary("sync mail folder", err)
	}
	defer d.Close()
	if err := unix.Syncfs(int(d.Fd())); err != nil {
		return temporary("sync mail folder", err)
	}
	return nil
}

// writeAtomic writes data into a temporary file in dir and renames it to
// name.
func writeAtomic(dir, name string, data []byte) error {
	f, err := os.CreateTemp(dir, tempPrefix+strings.TrimSuffix(name, ".eml")+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
