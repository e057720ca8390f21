package mailer

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/rs/zerolog"
)

// BenchmarkDeliverEML delivers batches of queued notices from a real
// ledger into .eml files, as the worker does during a phase transfer:
// each batch's attempts and outcomes recorded, its files written and
// synced once.
func BenchmarkDeliverEML(b *testing.B) {
	l := openLedger(b, "")
	tr, err := NewEML(filepath.Join(b.TempDir(), "mail"), testFrom)
	if err != nil {
		b.Fatal(err)
	}
	w := New(testConfig(), l, tr, zerolog.Nop(), newClock(t0).Now)
	ctx := context.Background()
	sent := 0
	for b.Loop() {
		b.StopTimer()
		enqueueN(b, l, batchSize, t0)
		b.StartTimer()
		n, err := w.DeliverDue(ctx)
		if err != nil || n != batchSize {
			b.Fatalf("DeliverDue = %d, %v; want %d", n, err, batchSize)
		}
		sent += n
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(sent), "ns/mail")
}
