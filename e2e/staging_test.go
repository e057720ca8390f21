package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/s2sd/s2sd/spool"
)

// TestCrashFinishesAcknowledgedMove starts the daemon on what a power cut
// can leave in staging. A small upload is acknowledged once it is fsynced
// in staging with a record naming it; its move into the outbox is made
// durable later, by routing. So after a power cut an acknowledged upload
// can still be in staging: start-up must move it into the outbox and
// route it, as its sender was told. An upload whose fsync was cut short
// (its bytes do not match its record) was never acknowledged and must
// not be routed; nor must an upload never marked.
func TestCrashFinishesAcknowledgedMove(t *testing.T) {
	t.Parallel()
	d := schools(t, options{})
	c := d.dialSFTP(t, "ampthill")
	first, firstData := ctf(ampthill, biggleswade, 1, 3_000)
	if err := putFile(c, first, firstData); err != nil {
		t.Fatalf("sending %s: %v", first, err)
	}
	d.waitRouted(t)
	d.crash(t)

	staging := d.box(ampthill, ".staging")
	acked, ackedData := ctf(ampthill, biggleswade, 2, 6_000)
	torn, tornData := ctf(ampthill, biggleswade, 3, 6_000)
	stage := func(file string, data []byte, recorded []byte, name string) {
		t.Helper()
		p := filepath.Join(staging, file)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sender := spool.Sender{Login: "ampthill", Role: "school", Remote: "127.0.0.1"}
		if recorded == nil {
			if err := spool.WriteSender(f, sender); err != nil {
				t.Fatalf("the sender's extended attribute: %v", err)
			}
			return
		}
		size, crc, err := spool.Checksum(bytes.NewReader(recorded))
		if err != nil {
			t.Fatal(err)
		}
		if err := spool.WriteAcked(f, sender, spool.Acked{Name: name, Size: size, CRC: crc}); err != nil {
			t.Fatalf("the record's extended attribute: %v", err)
		}
	}
	stage("0a1b2c3d4e5f60718293a4b5", ackedData, ackedData, acked)
	// The inode reached the disk with its size, and half of the data
	// blocks did not: the page cache had all of it when it was marked.
	tornOnDisk := append(bytes.Clone(tornData[:3000]), make([]byte, len(tornData)-3000)...)
	stage("1a1b2c3d4e5f60718293a4b5", tornOnDisk, tornData, torn)
	never, neverData := ctf(ampthill, biggleswade, 4, 6_000)
	stage("2a1b2c3d4e5f60718293a4b5", neverData, nil, never)

	d.start(t)
	d.waitRouted(t)
	tr := d.transferOf(t, acked)
	if tr.Size != int64(len(ackedData)) || tr.SHA256 != sha(ackedData) || tr.Dest != biggleswade || tr.SenderLogin != "ampthill" {
		t.Errorf("transfer of %s: %+v", acked, tr)
	}
	d.assertUpload(t, ampthill, acked, "ampthill", "routed")
	for _, name := range []string{torn, never} {
		if got := d.uploadOutcomes(t, ampthill, name); len(got) != 0 {
			t.Errorf("%s was never acknowledged, yet it was taken as an upload: %q", name, got)
		}
		for _, dir := range []string{d.box(biggleswade, "inbox"), d.box(ampthill, "rejected"), d.box(ampthill, "outbox")} {
			if _, err := os.Stat(filepath.Join(dir, name)); !os.IsNotExist(err) {
				t.Errorf("%s, never acknowledged, is in %s: %v", name, dir, err)
			}
		}
	}
	if got := entries(t, staging); len(got) > 1 {
		t.Errorf("staging holds %q after start-up; want at most a session's spare", got)
	}
	// The same upload's name is free again for the one never
	// acknowledged: its sender can send it now.
	c = d.dialSFTP(t, "ampthill")
	if err := putFile(c, torn, tornData); err != nil {
		t.Errorf("sending %s again after the crash: %v", torn, err)
	}
	d.waitRouted(t)
	if tr := d.transferOf(t, torn); tr.SHA256 != sha(tornData) {
		t.Errorf("transfer of %s sent again: %+v", torn, tr)
	}
	d.verify(t)
}
