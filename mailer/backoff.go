package mailer

import "time"

// Backoff returns the wait after the attempt-th attempt (counting from 1)
// has failed: base, 2·base, 4·base …, capped at max. With the defaults
// that is 1m, 2m, 4m, 8m, 16m, 32m, then 1h.
func Backoff(attempt int, base, max time.Duration) time.Duration {
	d := base
	for i := 1; i < attempt && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

// Jitter spreads d by up to frac of itself either way. r, in [0, 1),
// picks where: 0 gives d·(1−frac), 0.5 gives d, and r near 1 gives nearly
// d·(1+frac). Passing the random number in keeps the schedule a pure
// function that tests can pin.
func Jitter(d time.Duration, frac, r float64) time.Duration {
	return time.Duration(float64(d) * (1 + frac*(2*r-1)))
}
