package metrics

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/s2sd/s2sd/internal/metricstest"
)

func start(t *testing.T, m *Metrics, check func(context.Context) error) (*Server, string) {
	t.Helper()
	s := NewServer("127.0.0.1:0", m, check, zerolog.Nop())
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	return s, "http://" + s.Addr().String()
}

func TestMetricsChangeAfterEvents(t *testing.T) {
	var queued, failed atomic.Int64
	m := New(func(context.Context) (int, int, error) { return int(queued.Load()), int(failed.Load()), nil })
	_, base := start(t, m, nil)

	code, body := metricstest.Get(t, base+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	for series, want := range map[string]string{
		"s2sd_sftp_sessions":                                 "0",
		`s2sd_logins_total{outcome="ok"}`:                    "0",
		`s2sd_logins_total{outcome="failed"}`:                "0",
		`s2sd_logins_total{outcome="locked"}`:                "0",
		"s2sd_uploads_acknowledged_total":                    "0",
		"s2sd_upload_durable_seconds_count":                  "0",
		`s2sd_routed_files_total{outcome="routed"}`:          "0",
		`s2sd_routed_files_total{outcome="rejected"}`:        "0",
		"s2sd_routing_latency_seconds_count":                 "0",
		`s2sd_mail_queue{state="queued"}`:                    "0",
		`s2sd_mail_queue{state="failed"}`:                    "0",
		`s2sd_mail_failures_total{kind="temporary"}`:         "0",
		`s2sd_retention_deletions_total{rule="uncollected"}`: "0",
	} {
		if got := metricstest.Sample(body, series); got != want {
			t.Errorf("before: %s = %q, want %q", series, got, want)
		}
	}
	if metricstest.Sample(body, "go_goroutines") == "" || metricstest.Sample(body, "process_resident_memory_bytes") == "" {
		t.Error("the Go and process collectors are missing")
	}

	m.SessionOpened()
	m.SessionOpened()
	m.SessionClosed()
	m.LoginResult("ok")
	m.LoginResult("failed")
	m.LoginResult("failed")
	m.LoginResult("locked")
	m.Uploaded(400 * time.Microsecond)
	m.Routed("routed", 300*time.Millisecond)
	m.Routed("rejected", 20*time.Millisecond)
	m.Routed("routed", -1) // recovered at start-up: no acknowledgement time
	m.MailFailed("temporary")
	m.MailFailed("permanent")
	m.RetentionDeleted("uncollected", 3)
	m.RetentionDeleted("metadata", 120)
	queued.Store(7)
	failed.Store(2)

	_, body = metricstest.Get(t, base+"/metrics")
	for series, want := range map[string]string{
		"s2sd_sftp_sessions":                                 "1",
		`s2sd_logins_total{outcome="ok"}`:                    "1",
		`s2sd_logins_total{outcome="failed"}`:                "2",
		`s2sd_logins_total{outcome="locked"}`:                "1",
		"s2sd_uploads_acknowledged_total":                    "1",
		"s2sd_upload_durable_seconds_count":                  "1",
		"s2sd_upload_durable_seconds_sum":                    "0.0004",
		`s2sd_upload_durable_seconds_bucket{le="0.00025"}`:   "0",
		`s2sd_upload_durable_seconds_bucket{le="0.0005"}`:    "1",
		`s2sd_routed_files_total{outcome="routed"}`:          "2",
		`s2sd_routed_files_total{outcome="rejected"}`:        "1",
		"s2sd_routing_latency_seconds_count":                 "2",
		"s2sd_routing_latency_seconds_sum":                   "0.32",
		`s2sd_routing_latency_seconds_bucket{le="0.025"}`:    "1",
		`s2sd_routing_latency_seconds_bucket{le="0.5"}`:      "2",
		`s2sd_mail_queue{state="queued"}`:                    "7",
		`s2sd_mail_queue{state="failed"}`:                    "2",
		`s2sd_mail_failures_total{kind="temporary"}`:         "1",
		`s2sd_mail_failures_total{kind="permanent"}`:         "1",
		`s2sd_retention_deletions_total{rule="uncollected"}`: "3",
		`s2sd_retention_deletions_total{rule="metadata"}`:    "120",
		`s2sd_retention_deletions_total{rule="lost_pupil"}`:  "0",
	} {
		if got := metricstest.Sample(body, series); got != want {
			t.Errorf("after: %s = %q, want %q", series, got, want)
		}
	}
}

func TestQueueErrorKeepsTheRestOfTheScrape(t *testing.T) {
	m := New(func(context.Context) (int, int, error) { return 0, 0, errors.New("database is locked") })
	m.Uploaded(time.Millisecond)
	_, base := start(t, m, nil)
	code, body := metricstest.Get(t, base+"/metrics")
	if code != http.StatusOK || metricstest.Sample(body, "s2sd_uploads_acknowledged_total") != "1" {
		t.Fatalf("%d:\n%s", code, body)
	}
	if metricstest.Sample(body, `s2sd_mail_queue{state="queued"}`) != "" {
		t.Fatal("a queue depth was reported although the ledger failed")
	}
}

func TestHealthAndReadiness(t *testing.T) {
	var ledgerDown atomic.Bool
	s, base := start(t, New(nil), func(context.Context) error {
		if ledgerDown.Load() {
			return errors.New("ledger: database is locked")
		}
		return nil
	})
	check := func(path string, wantCode int, wantBody string) {
		t.Helper()
		code, body := metricstest.Get(t, base+path)
		if code != wantCode || body != wantBody {
			t.Errorf("%s: %d %q, want %d %q", path, code, body, wantCode, wantBody)
		}
	}
	check("/healthz", 200, "ok\n")
	check("/readyz", 503, "starting\n")
	s.SetReady()
	check("/readyz", 200, "ready\n")
	ledgerDown.Store(true)
	check("/readyz", 503, "not ready: ledger: database is locked\n")
	ledgerDown.Store(false)
	check("/readyz", 200, "ready\n")
	s.SetStopping()
	check("/readyz", 503, "shutting down\n")
	check("/healthz", 200, "ok\n")
	check("/nothing", 404, "404 page not found\n")
}

func TestCloseStopsListening(t *testing.T) {
	s := NewServer("127.0.0.1:0", New(nil), nil, zerolog.Nop())
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	addr := s.Addr().String()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Fatal("still serving after Close")
	}
}
