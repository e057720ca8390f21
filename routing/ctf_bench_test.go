package routing

import (
	"bytes"
	"testing"

	"github.com/s2sd/s2sd/internal/ctftest"
)

// BenchmarkReadCTF reads a 20-pupil CTF of about 10 KB, as routing reads
// every CTF it validates.
func BenchmarkReadCTF(b *testing.B) {
	ctf := []byte(ctftest.CTF(ctftest.Options{SourceLEA: "823", SourceEstab: "1234", DestLEA: "823", DestEstab: "2345", Pupils: 20}))
	b.SetBytes(int64(len(ctf)))
	b.ReportAllocs()
	for b.Loop() {
		info, err := ReadCTF(bytes.NewReader(ctf), CTFOptions{})
		if err != nil || len(info.Pupils) != 20 {
			b.Fatalf("read %v, %v", info, err)
		}
	}
}
