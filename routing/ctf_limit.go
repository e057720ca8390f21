package routing

import (
	"errors"
	"io"
)

// Errors of boundedReader, turned into a *CTFError by ReadCTF.
var (
	errInputTooLarge  = errors.New("input larger than its limit")
	errTextRunTooLong = errors.New("text run longer than its limit")
)

// boundedReader reads at most max bytes from r, and fails as soon as r has
// more. It also fails on a run of more than maxRun bytes without a '<':
// encoding/xml holds a whole text value in memory before it returns it, so
// this bounds the memory a single text value can take.
type boundedReader struct {
	r      io.Reader
	left   int64 // bytes still allowed
	run    int   // bytes since the last '<'
	maxRun int
	err    error // sticky
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.left <= 0 {
		return 0, b.probe()
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	for _, c := range p[:n] {
		if c == '<' {
			b.run = 0
			continue
		}
		if b.run++; b.run > b.maxRun {
			b.err = errTextRunTooLong
			return 0, b.err
		}
	}
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

// probe is called once the limit is reached: it reads one more byte to tell
// a file of exactly the limit from a larger one.
func (b *boundedReader) probe() error {
	var one [1]byte
	for range 100 {
		n, err := b.r.Read(one[:])
		if n > 0 {
			b.err = errInputTooLarge
			return b.err
		}
		if err != nil {
			return err
		}
	}
	return io.ErrNoProgress
}
