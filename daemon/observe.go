package daemon

import (
	"sync"
	"time"

	"github.com/s2sd/s2sd/delivery"
	"github.com/s2sd/s2sd/jobs"
	"github.com/s2sd/s2sd/mailer"
	"github.com/s2sd/s2sd/metrics"
	"github.com/s2sd/s2sd/sftpd"
)

// The metrics implement each component's hook interface.
var (
	_ sftpd.Metrics    = (*metrics.Metrics)(nil)
	_ mailer.Metrics   = (*metrics.Metrics)(nil)
	_ jobs.Metrics     = (*metrics.Metrics)(nil)
	_ delivery.Metrics = (*routeTimer)(nil)
)

// maxTimed bounds the acknowledgements routeTimer remembers, in case
// files that never finish routing pile up.
const maxTimed = 10000

// routeTimer measures routing latency, from an upload's acknowledgement
// (sftpd's Acknowledged event) until delivery records its outcome. Files
// it did not see acknowledged, such as those routed by the recovery at
// start or dropped on disk by a local process, are counted without a
// latency.
type routeTimer struct {
	m   *metrics.Metrics
	now func() time.Time

	mu    sync.Mutex
	acked map[[2]string]time.Time // by box, name
}

func newRouteTimer(m *metrics.Metrics) *routeTimer {
	return &routeTimer{m: m, now: time.Now, acked: make(map[[2]string]time.Time)}
}

// acknowledged notes when box/name was acknowledged.
func (r *routeTimer) acknowledged(box, name string) {
	r.mu.Lock()
	if len(r.acked) < maxTimed {
		r.acked[[2]string{box, name}] = r.now()
	}
	r.mu.Unlock()
}

// Routed counts box/name's outcome with its latency.
func (r *routeTimer) Routed(box, name, outcome string) {
	k := [2]string{box, name}
	latency := time.Duration(-1)
	r.mu.Lock()
	if at, ok := r.acked[k]; ok {
		latency = r.now().Sub(at)
		delete(r.acked, k)
	}
	r.mu.Unlock()
	r.m.Routed(outcome, latency)
}
