// Package metrics holds s2sd's Prometheus metrics and the HTTP listener
// that serves them with /healthz and /readyz.
//
// It uses prometheus/client_golang, the Prometheus project's own client:
// the exposition format, the registry and the Go and process collectors
// are its job, not ours. Every metric lives in a registry of its own, so
// nothing is global and tests can run side by side.
//
// Metrics implements the hook interfaces of sftpd, delivery, mailer and
// jobs (the daemon checks this at compile time) without importing them.
package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

const namespace = "s2sd"

// QueueDepth counts the mails waiting to be sent and those that failed
// for good: ledger.MailQueueDepth.
type QueueDepth func(ctx context.Context) (queued, failed int, err error)

// queueTimeout bounds the ledger query a scrape makes.
const queueTimeout = 5 * time.Second

// Metrics are s2sd's metrics, in their own registry.
type Metrics struct {
	reg *prometheus.Registry

	sessions       prometheus.Gauge
	logins         *prometheus.CounterVec
	uploads        prometheus.Counter
	uploadDurable  prometheus.Histogram
	routed         *prometheus.CounterVec
	routingLatency prometheus.Histogram
	mailFailures   *prometheus.CounterVec
	retention      *prometheus.CounterVec
}

// New returns the metrics, registered with the Go runtime and process
// collectors. depth, if not nil, is asked for the mail queue at each
// scrape.
func New(depth QueueDepth) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		sessions: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "sftp_sessions",
			Help: "Logged-in SFTP connections.",
		}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "logins_total",
			Help: "Logins by outcome: ok, failed (wrong password) or locked (refused during a lockout).",
		}, []string{"outcome"}),
		uploads: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "uploads_acknowledged_total",
			Help: "Uploads acknowledged to the client.",
		}),
		uploadDurable: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "upload_durable_seconds",
			Help:    "Time each acknowledgement spent making its upload durable before the client got OK: up to 1 MiB, marking the file in staging, fsyncing it and staging together and moving it into the outbox; above, the fsync of the file, its move into the outbox and the fsync of the outbox.",
			Buckets: []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1},
		}),
		routed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "routed_files_total",
			Help: "Acknowledged files routed, by outcome: routed or rejected.",
		}, []string{"outcome"}),
		routingLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "routing_latency_seconds",
			Help:    "Time from an upload's acknowledgement until it is visible in its inbox, or in rejected/.",
			Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
		}),
		mailFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "mail_failures_total",
			Help: "Failed notice deliveries, by kind: temporary (retried), permanent (given up) or partial (refused for some recipients).",
		}, []string{"kind"}),
		retention: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "retention_deletions_total",
			Help: "Deletions by retention rule: uncollected, collected, rejected, lost_pupil (files) and metadata (ledger rows).",
		}, []string{"rule"}),
	}
	// Label values known in advance start at zero, so that rate() and
	// alerts see them before the first event.
	for _, o := range []string{"ok", "failed", "locked"} {
		m.logins.WithLabelValues(o)
	}
	for _, o := range []string{"routed", "rejected"} {
		m.routed.WithLabelValues(o)
	}
	for _, k := range []string{"temporary", "permanent", "partial"} {
		m.mailFailures.WithLabelValues(k)
	}
	for _, r := range []string{"uncollected", "collected", "rejected", "lost_pupil", "metadata"} {
		m.retention.WithLabelValues(r)
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.sessions, m.logins, m.uploads, m.uploadDurable, m.routed, m.routingLatency, m.mailFailures, m.retention,
	)
	if depth != nil {
		m.reg.MustRegister(&queueCollector{depth: depth, desc: prometheus.NewDesc(
			namespace+"_mail_queue", "Notices in the mail outbox, by state: queued (waiting to be sent) or failed (given up).",
			[]string{"state"}, nil)})
	}
	return m
}

// Registry is the registry the metrics are in.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// LoginResult counts a login by outcome.
func (m *Metrics) LoginResult(outcome string) { m.logins.WithLabelValues(outcome).Inc() }

// SessionOpened counts a logged-in connection.
func (m *Metrics) SessionOpened() { m.sessions.Inc() }

// SessionClosed counts a logged-in connection's end.
func (m *Metrics) SessionClosed() { m.sessions.Dec() }

// Uploaded counts an acknowledged upload and observes how long making it
// durable took.
func (m *Metrics) Uploaded(durable time.Duration) {
	m.uploads.Inc()
	m.uploadDurable.Observe(durable.Seconds())
}

// Routed counts a routing outcome and, if latency is not negative,
// observes the time from acknowledgement.
func (m *Metrics) Routed(outcome string, latency time.Duration) {
	m.routed.WithLabelValues(outcome).Inc()
	if latency >= 0 {
		m.routingLatency.Observe(latency.Seconds())
	}
}

// MailFailed counts a failed notice delivery.
func (m *Metrics) MailFailed(kind string) { m.mailFailures.WithLabelValues(kind).Inc() }

// RetentionDeleted counts n deletions by a retention rule.
func (m *Metrics) RetentionDeleted(rule string, n int64) {
	m.retention.WithLabelValues(rule).Add(float64(n))
}

// queueCollector reads the mail queue from the ledger at each scrape, so
// that the gauge is never stale and nothing polls between scrapes.
type queueCollector struct {
	depth QueueDepth
	desc  *prometheus.Desc
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), queueTimeout)
	defer cancel()
	queued, failed, err := c.depth(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(queued), "queued")
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(failed), "failed")
}
