package sftpd

import (
	"fmt"
	"testing"
)

// BenchmarkUploadSmall measures acknowledging small files one after
// another in one session, as MIS software sends a phase transfer: OPEN,
// one WRITE and CLOSE, each file fsynced into the outbox before CLOSE is
// answered. Nothing routes them, and no file is removed: on ext4 without
// a journal a removal slows the creations after it (see s2sd-bench).
func BenchmarkUploadSmall(b *testing.B) {
	h := newHarness(b)
	h.addUser("ampthill", "8231234", "school", "school", "correct horse battery")
	c, err := h.dial("ampthill", "correct horse battery")
	if err != nil {
		b.Fatal(err)
	}
	body := make([]byte, 900) // under the harness's 1,000-byte limit
	b.ResetTimer()
	for i := range b.N {
		f, err := c.Create(fmt.Sprintf("/outbox/8231234_CTF_%07d_001.XML", i)) // the checker takes any name
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.Write(body); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
