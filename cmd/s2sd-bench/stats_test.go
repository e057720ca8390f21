package main

import (
	"math"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var ds []time.Duration
		for _, x := range v {
			ds = append(ds, time.Duration(x)*time.Millisecond)
		}
		return ds
	}
	for _, tc := range []struct {
		in   []time.Duration
		want time.Duration
	}{
		{nil, 0},
		{ms(7), 7 * time.Millisecond},
		{ms(9, 1, 5), 5 * time.Millisecond},
		{ms(4, 1, 3, 2), 2500 * time.Microsecond},
	} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestPercentile(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- { // 1..100 ms, unsorted
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{
		{0, 1 * time.Millisecond},
		{50, 50500 * time.Microsecond},
		{99, 99010 * time.Microsecond},
		{100, 100 * time.Millisecond},
	} {
		if got := percentile(ds, tc.p); got != tc.want {
			t.Errorf("percentile(1..100ms, %v) = %v, want %v", tc.p, got, tc.want)
		}
	}
	if ds[0] != 100*time.Millisecond {
		t.Errorf("percentile sorted its argument in place")
	}
}

func TestHistogramQuantile(t *testing.T) {
	before := histogram{{0.01, 5}, {0.1, 5}, {1, 5}, {math.Inf(1), 5}}
	after := histogram{{0.01, 5}, {0.1, 55}, {1, 104}, {math.Inf(1), 105}}
	h := after.since(before) // 0 in ≤10ms, 50 in (10,100]ms, 49 in (0.1,1]s, 1 above
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{
		{0.5, 100 * time.Millisecond},   // rank 50: top of the second bucket
		{0.25, 55 * time.Millisecond},   // rank 25: half-way through it
		{0.99, 1000 * time.Millisecond}, // rank 99: top of the third bucket
	} {
		if got := h.quantile(tc.q); got != tc.want {
			t.Errorf("quantile(%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	if got := (histogram{}).quantile(0.5); got != 0 {
		t.Errorf("quantile of an empty histogram = %v, want 0", got)
	}
}
