package main

import (
	"archive/zip"
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/s2sd/s2sd/internal/ctftest"
)

// writeZip writes a valid zip of about size bytes: one stored entry of
// random bytes, as incompressible as the encrypted zips senders make.
func writeZip(path string, size int64, seed uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	z := zip.NewWriter(w)
	e, err := z.CreateHeader(&zip.FileHeader{Name: "data.bin", Method: zip.Store})
	if err != nil {
		f.Close()
		return err
	}
	// Leave room for the headers and central directory (well under 1 KiB).
	body := size - 1024
	if _, err := io.CopyN(e, rand.NewChaCha8(seedBytes(seed)), body); err != nil {
		f.Close()
		return err
	}
	if err := z.Close(); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func seedBytes(seed uint64) [32]byte {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	return s
}

// ctf is one CTF the phase transfer sends.
type ctf struct {
	src, dst string
	seq      int
}

func (c ctf) name() string { return fmt.Sprintf("%s_CTF_%s_%03d.XML", c.src, c.dst, c.seq) }

// ctfPlan spreads n CTFs from src over dests, 1,000 sequence numbers each.
func ctfPlan(src string, dests []string, n int) []ctf {
	cs := make([]ctf, n)
	for i := range cs {
		cs[i] = ctf{src: src, dst: dests[i/1000], seq: i % 1000}
	}
	return cs
}

// writeCTFs writes each CTF into dir: valid for s2sd, sized uniformly
// between 1 and 50 KB, about one pupil per 2 KB and filler for the rest.
// It returns the sizes.
func writeCTFs(dir string, cs []ctf, seed uint64) ([]int, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(seed, 1))
	sizes := make([]int, len(cs))
	for i, c := range cs {
		body := ctfText(c, i*50, 1000+r.IntN(49001))
		if err := os.WriteFile(filepath.Join(dir, c.name()), body, 0o644); err != nil {
			return nil, err
		}
		sizes[i] = len(body)
	}
	return sizes, nil
}

// ctfText returns a valid CTF of about size bytes: about one pupil per
// 2 KB, the first with UPN serial, and filler for the rest.
func ctfText(c ctf, serial, size int) []byte {
	o := ctftest.Options{SourceLEA: c.src[:3], SourceEstab: c.src[3:], DestLEA: c.dst[:3], DestEstab: c.dst[3:],
		Pupils: max(1, size/2000), Serial: serial}
	body := ctftest.CTF(o)
	if pad := size - len(body) - 10; pad > 0 {
		o.Pad = pad
		body = ctftest.CTF(o)
	}
	return []byte(body)
}

// ctfBody is the CTF the concurrent uploaders send as their serial-th
// file: 1-50 KB, spread evenly.
func ctfBody(c ctf, serial int) []byte {
	return ctfText(c, serial*50, 1000+(serial*7919)%49001)
}
