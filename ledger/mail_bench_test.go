package ledger

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// BenchmarkMailsSent records a batch of 64 delivered notices, as the mail
// worker does after each .eml batch: in one MailsSent call, and, to
// compare, one MailSent each from concurrent goroutines sharing group
// commits, as it did before.
func BenchmarkMailsSent(b *testing.B) {
	const batch = 64
	for _, c := range []struct {
		name   string
		record func(l *Ledger, ids []int64, now time.Time)
	}{
		{"one-call", func(l *Ledger, ids []int64, now time.Time) {
			if _, err := l.MailsSent(context.Background(), ids, now); err != nil {
				b.Fatal(err)
			}
		}},
		{"per-mail", func(l *Ledger, ids []int64, now time.Time) {
			var wg sync.WaitGroup
			for _, id := range ids {
				wg.Go(func() { l.MailSent(context.Background(), id, now) })
			}
			wg.Wait()
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			l := openTest(b)
			ctx := context.Background()
			t0 := time.Date(2026, 11, 24, 10, 15, 0, 0, time.UTC)
			next := int64(1)
			for b.Loop() {
				b.StopTimer()
				var ms []Mail
				ids := make([]int64, batch)
				for i := range ids {
					ms = append(ms, testMail("file-waiting", fmt.Sprint(next), t0, "office@a.sch.uk"))
					ids[i] = next
					next++
				}
				if err := l.EnqueueMail(ctx, ms...); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				c.record(l, ids, t0)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/mail")
		})
	}
}
