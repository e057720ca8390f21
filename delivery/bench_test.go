package delivery

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/s2sd/s2sd/internal/ctftest"
	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/routing"
)

// benchEnv is a router on a real ledger and spool, without the test
// helpers' fixed clock.
func benchEnv(b *testing.B) (*Router, string) {
	b.Helper()
	data := b.TempDir()
	l, err := ledger.Open(context.Background(), filepath.Join(data, "ledger.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	for _, m := range []ledger.Mailbox{
		{Code: "823LLLL", Name: "LA", Kind: "la", LA: "823", Copies: true, Email: "data@la.example"},
		{Code: "8231234", Name: "A", Kind: "school", LA: "823", Email: "office@a.example"},
		{Code: "8232345", Name: "B", Kind: "school", LA: "823", Email: "office@b.example"},
	} {
		l.AddMailbox(context.Background(), m, time.Now())
	}
	las, _ := routing.NewLANumbers(routing.DefaultLANumbers())
	r := New(Config{Data: data, LANumbers: las, Limits: routing.DefaultLimits(), Now: time.Now}, l, zerolog.Nop())
	os.MkdirAll(filepath.Join(data, "spool", "8231234", "outbox"), 0o700)
	return r, data
}

// sender is who the benchmarks' files come from, as sftpd announces a
// small upload it acknowledged with its sender carried on the file.
var sender = Sender{Login: "a", Mailbox: "8231234", Role: routing.RoleSchool}

// BenchmarkRouteLatency measures one acknowledged CTF (20 pupils, about
// 10 KB) from its arrival in the outbox to its visibility in the
// destination inbox, with its LA copy and ledger rows, one at a time.
func BenchmarkRouteLatency(b *testing.B) {
	r, data := benchEnv(b)
	r.Start(context.Background())
	defer r.Close()
	ctf := []byte(ctftest.CTF(ctftest.Options{SourceLEA: "823", SourceEstab: "1234", DestLEA: "823", DestEstab: "2345", Pupils: 20}))
	outbox := filepath.Join(data, "spool", "8231234", "outbox")
	b.SetBytes(int64(len(ctf)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		name := fmt.Sprintf("8231234_CTF_8232345_%03d.XML", i%1000)
		if i%1000 == 0 && i > 0 {
			b.StopTimer()
			os.RemoveAll(filepath.Join(data, "spool", "8232345", "inbox"))
			os.RemoveAll(filepath.Join(data, "spool", "823LLLL", "copies"))
			r.ledger.Exec(context.Background(), "UPDATE transfers SET removed_at = state_at")
			b.StartTimer()
		}
		os.WriteFile(filepath.Join(outbox, name), ctf, 0o600)
		r.ExpectStaged("8231234", name, sender, true)
		r.Submit("8231234", name)
		r.Wait()
	}
}

// BenchmarkRouteThroughput measures files routed per second with every
// file queued at once and the router's workers in parallel, and the
// process's CPU time per file (user and system, all threads), which
// varies less than the wall time on a shared machine. The mailboxes have
// contacts, so each file's notices are made and queued as in production
// (no mailer runs).
func BenchmarkRouteThroughput(b *testing.B) {
	r, data := benchEnv(b)
	ctf := []byte(ctftest.CTF(ctftest.Options{SourceLEA: "823", SourceEstab: "1234", DestLEA: "823", DestEstab: "2345", Pupils: 20}))
	outbox := filepath.Join(data, "spool", "8231234", "outbox")
	const batch = 500
	names := make([]string, batch)
	for i := range names {
		names[i] = fmt.Sprintf("8231234_CTF_8232345_%03d.XML", i)
	}
	r.Start(context.Background())
	defer r.Close()
	b.ResetTimer()
	var cpu time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		os.RemoveAll(filepath.Join(data, "spool", "8232345", "inbox"))
		os.RemoveAll(filepath.Join(data, "spool", "823LLLL", "copies"))
		r.ledger.Exec(context.Background(), "UPDATE transfers SET removed_at = state_at")
		for _, n := range names {
			os.WriteFile(filepath.Join(outbox, n), ctf, 0o600)
		}
		cpu0 := cpuTime(b)
		b.StartTimer()
		for _, n := range names {
			r.ExpectStaged("8231234", n, sender, true)
			r.Submit("8231234", n)
		}
		r.Wait()
		b.StopTimer()
		cpu += cpuTime(b) - cpu0
		b.StartTimer()
	}
	files := float64(batch * b.N)
	b.ReportMetric(files/b.Elapsed().Seconds(), "files/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/files, "ns/file")
	b.ReportMetric(float64(cpu.Nanoseconds())/files, "cpu-ns/file")
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCheckUpload measures the OPEN pre-check of a CTF's name: the
// sender's authority, the destination, and whether the name still waits
// there.
func BenchmarkCheckUpload(b *testing.B) {
	r, _ := benchEnv(b)
	r.Start(context.Background())
	defer r.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := r.CheckUpload(context.Background(), sender, fmt.Sprintf("8231234_CTF_8232345_%03d.XML", i%1000)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckUploadWhileCommitting is BenchmarkCheckUpload as in a
// phase transfer: an OPEN every half millisecond while the ledger commits
// every millisecond, as routing does. A commit by another connection
// empties a reading connection's page cache, so each query reads its
// pages again: 41 µs a pre-check that asked the ledger, 10 µs back to
// back. Only the pre-checks are timed (check-ns).
func BenchmarkCheckUploadWhileCommitting(b *testing.B) {
	r, _ := benchEnv(b)
	r.Start(context.Background())
	defer r.Close()
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
			r.ledger.Exec(context.Background(), "UPDATE mailboxes SET telephone = ? WHERE code = '823LLLL'", fmt.Sprint(i))
		}
	}()
	defer func() { close(stop); <-done }()
	var checking time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		time.Sleep(500 * time.Microsecond)
		t0 := time.Now()
		if _, err := r.CheckUpload(context.Background(), sender, fmt.Sprintf("8231234_CTF_8232345_%03d.XML", i%1000)); err != nil {
			b.Fatal(err)
		}
		checking += time.Since(t0)
	}
	b.ReportMetric(float64(checking.Nanoseconds())/float64(b.N), "check-ns")
}
