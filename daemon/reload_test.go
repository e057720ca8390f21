package daemon

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/s2sd/s2sd/config"
	"github.com/s2sd/s2sd/internal/metricstest"
)

func TestChangedKeys(t *testing.T) {
	a := config.Default()
	b := config.Default()
	if got := changedKeys(a, b); len(got) != 0 {
		t.Fatalf("identical configs differ in %v", got)
	}
	b.Listen = "127.0.0.1:22"
	b.SFTP.RecentWindow = time.Minute
	b.SSH.Ciphers = []string{"aes128-ctr"}
	if got, want := changedKeys(a, b), []string{"listen", "sftp.recent_window", "ssh.ciphers"}; !slices.Equal(got, want) {
		t.Fatalf("changed %v, want %v", got, want)
	}
}

// TestReload applies what SIGHUP can change and reports the rest: the log
// level, the shutdown grace, the metrics address, the retention rules and
// the schedule change at once; the SFTP listen address needs a restart
// and keeps its running value until then.
func TestReload(t *testing.T) {
	var logs syncBuffer
	lw := NewLevelWriter(&logs, zerolog.InfoLevel)
	log := zerolog.New(lw)
	cfg := testConfig(t)
	d, err := Open(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close(context.Background())
	d.levels = lw
	oldMetrics := d.MetricsServer.Addr().String()
	oldJobs := d.Jobs

	d.Reload(cfg, nil)
	if !strings.Contains(logs.String(), `"message":"SIGHUP: configuration re-read; nothing changed"`) {
		t.Fatalf("logs:\n%s", logs.String())
	}

	next := cfg
	next.Log.Level = "warn"
	next.Daemon.ShutdownGrace = 5 * time.Second
	next.Metrics.Listen = "localhost:0"
	next.Retention.RejectedDays = 7
	next.Schedule.Retention = "45 * * * *"
	next.Listen = "127.0.0.1:2222"
	d.Reload(next, nil)
	out := logs.String()
	for _, want := range []string{
		`"applied":["daemon.shutdown_grace","metrics.listen","retention.rejected_days","schedule.retention","log.level"]`,
		`"message":"SIGHUP: configuration reloaded: daemon.shutdown_grace, metrics.listen, retention.rejected_days, schedule.retention, log.level"`,
		`"message":"SIGHUP: configuration re-read; these settings need a restart and were not applied: listen"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %s:\n%s", want, out)
		}
	}
	if lw.Level() != zerolog.WarnLevel {
		t.Errorf("log level %s, want warn", lw.Level())
	}
	if d.cfg.Daemon.ShutdownGrace != 5*time.Second || d.cfg.Listen != cfg.Listen || d.Jobs == oldJobs {
		t.Errorf("running config %+v; jobs replaced: %t", d.cfg, d.Jobs != oldJobs)
	}
	if got := d.MetricsServer.Addr().String(); got == oldMetrics {
		t.Errorf("metrics still on %s", got)
	}
	if _, err := http.Get("http://" + oldMetrics + "/healthz"); err == nil {
		t.Errorf("the old metrics listener %s still answers", oldMetrics)
	}
	if code, _ := metricstest.Get(t, "http://"+d.MetricsServer.Addr().String()+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz on the new listener: %d", code)
	}

	// The restart-only change is reported again; an info line is now
	// below the level.
	before := len(logs.String())
	d.Reload(next, nil)
	out = logs.String()[before:]
	if !strings.Contains(out, "need a restart and were not applied: listen") || strings.Contains(out, `"level":"info"`) {
		t.Errorf("second reload logged:\n%s", out)
	}

	// A configuration that does not load changes nothing.
	before = len(logs.String())
	d.Reload(config.Config{}, errors.New("config: auth.lockout_threshold: must be greater than zero"))
	if out := logs.String()[before:]; !strings.Contains(out, `"message":"SIGHUP: configuration not reloaded; still running on the previous settings"`) {
		t.Errorf("bad config logged:\n%s", out)
	}

	// A metrics address that cannot be bound is refused; metrics stay.
	taken := d.MetricsServer.Addr().String()
	bad := next
	bad.Log.Level = "info"
	bad.Metrics.Listen = oldMetrics + "0" // not a port
	d.Reload(bad, nil)
	out = logs.String()
	if !strings.Contains(out, `"message":"SIGHUP: could not apply metrics.listen; still running on their previous values"`) {
		t.Errorf("bad metrics address logged:\n%s", out)
	}
	if d.MetricsServer.Addr().String() != taken || d.cfg.Metrics.Listen != "localhost:0" {
		t.Errorf("metrics moved to %s (%s)", d.MetricsServer.Addr(), d.cfg.Metrics.Listen)
	}
}
