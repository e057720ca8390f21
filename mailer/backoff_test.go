package mailer

import (
	"context"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	want := []time.Duration{
		time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 32 * time.Minute,
		time.Hour, time.Hour, time.Hour,
	}
	for i, w := range want {
		if got := Backoff(i+1, time.Minute, time.Hour); got != w {
			t.Errorf("Backoff(%d) = %s, want %s", i+1, got, w)
		}
	}
	for _, tc := range []struct {
		attempt   int
		base, max time.Duration
		want      time.Duration
	}{
		{0, time.Minute, time.Hour, time.Minute},
		{1000, time.Minute, time.Hour, time.Hour}, // no overflow
		{3, 10 * time.Second, 25 * time.Second, 25 * time.Second},
		{2, time.Hour, time.Hour, time.Hour},
	} {
		if got := Backoff(tc.attempt, tc.base, tc.max); got != tc.want {
			t.Errorf("Backoff(%d, %s, %s) = %s, want %s", tc.attempt, tc.base, tc.max, got, tc.want)
		}
	}
}

func TestJitter(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		frac float64
		r    float64
		want time.Duration
	}{
		{time.Hour, 0.2, 0, 48 * time.Minute},
		{time.Hour, 0.2, 0.5, time.Hour},
		{time.Hour, 0.2, 0.75, 66 * time.Minute},
		{time.Hour, 0, 0.9, time.Hour},
		{time.Minute, 0.2, 0.25, 54 * time.Second},
	} {
		if got := Jitter(tc.d, tc.frac, tc.r); got != tc.want {
			t.Errorf("Jitter(%s, %g, %g) = %s, want %s", tc.d, tc.frac, tc.r, got, tc.want)
		}
	}
}

// The worker's schedule is Backoff and Jitter with the configured values
// and its injected random number.
func TestWorkerSchedule(t *testing.T) {
	cfg := Default()
	w := New(cfg, nil, nil, testLog(t), nil)
	w.rand = func() float64 { return 1 - 1e-9 } // the far edge of +20%
	if got, want := w.backoff(7), 72*time.Minute; got < want-time.Second || got > want {
		t.Errorf("backoff(7) with r≈1 = %s, want just under %s", got, want)
	}
	w.rand = func() float64 { return 0 }
	if got := w.backoff(1); got != 48*time.Second {
		t.Errorf("backoff(1) with r=0 = %s, want 48s", got)
	}
	w.Close() // never started: returns at once
	if err := w.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}
