package main

import (
	"math"
	"slices"
	"time"
)

// median returns the median of ds, the mean of the middle two for an even
// count, or 0 for none.
func median[T ~int64](ds []T) T {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// percentile returns the p-th percentile (0-100) of ds by linear
// interpolation between the closest ranks, or 0 for none.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	r := p / 100 * float64(len(s)-1)
	lo := int(math.Floor(r))
	hi := int(math.Ceil(r))
	f := r - float64(lo)
	return s[lo] + time.Duration(f*float64(s[hi]-s[lo]))
}

// bucket is one cumulative bucket of a Prometheus histogram.
type bucket struct {
	le    float64 // upper bound, seconds
	count float64 // observations at or below le
}

// histogram is a Prometheus histogram's cumulative buckets, ascending.
type histogram []bucket

func (h histogram) sort() {
	slices.SortFunc(h, func(a, b bucket) int {
		switch {
		case a.le < b.le:
			return -1
		case a.le > b.le:
			return 1
		}
		return 0
	})
}

// since returns the observations h holds that before did not: both must
// have the same buckets.
func (h histogram) since(before histogram) histogram {
	d := slices.Clone(h)
	for i := range d {
		if i < len(before) && before[i].le == d[i].le {
			d[i].count -= before[i].count
		}
	}
	return d
}

// quantile estimates the q-th quantile (0-1) as Prometheus's
// histogram_quantile does: linear within the bucket it falls in. A
// quantile in the +Inf bucket returns the largest finite bound.
func (h histogram) quantile(q float64) time.Duration {
	if len(h) == 0 || h[len(h)-1].count == 0 {
		return 0
	}
	rank := q * h[len(h)-1].count
	lower, below := 0.0, 0.0
	for _, b := range h {
		if b.count >= rank {
			if math.IsInf(b.le, 1) {
				return seconds(lower)
			}
			in := b.count - below
			f := 1.0
			if in > 0 {
				f = (rank - below) / in
			}
			return seconds(lower + f*(b.le-lower))
		}
		lower, below = b.le, b.count
	}
	return seconds(lower)
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
