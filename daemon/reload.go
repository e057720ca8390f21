package daemon

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/s2sd/s2sd/config"
	"github.com/s2sd/s2sd/metrics"
)

// Reload is called on SIGHUP with the configuration read again. It
// applies what can change without a restart (see reloaders), logs what it
// applied, and says which other changed settings need a restart: those
// keep their running values, and are reported again at the next SIGHUP
// until the restart.
func (d *Daemon) Reload(next config.Config, err error) {
	if err != nil {
		d.log.Error().Err(err).Msg("SIGHUP: configuration not reloaded; still running on the previous settings")
		return
	}
	changed := changedKeys(d.cfg, next)
	if len(changed) == 0 {
		d.log.Info().Msg("SIGHUP: configuration re-read; nothing changed")
		return
	}
	var applied, restart []string
	reloaders := d.reloaders()
	for _, r := range reloaders {
		keys := slices.DeleteFunc(slices.Clone(changed), func(k string) bool { return !r.covers(k) })
		if len(keys) == 0 {
			continue
		}
		if err := r.apply(next); err != nil {
			d.log.Error().Err(err).Strs("settings", keys).
				Msg("SIGHUP: could not apply " + strings.Join(keys, ", ") + "; still running on their previous values")
			continue
		}
		applied = append(applied, keys...)
	}
	for _, k := range changed {
		if !slices.ContainsFunc(reloaders, func(r reloader) bool { return r.covers(k) }) {
			restart = append(restart, k)
		}
	}
	if d.levels != nil && slices.Contains(applied, "log.level") {
		// The report of this reload shows at the old level and the new.
		lvl, _ := d.cfg.Log.ZerologLevel()
		d.levels.SetLevel(min(lvl, d.levels.Level()))
		defer d.levels.SetLevel(lvl)
	}
	if len(applied) > 0 {
		d.log.Info().Strs("applied", applied).Msg("SIGHUP: configuration reloaded: " + strings.Join(applied, ", "))
	}
	if len(restart) > 0 {
		d.log.Warn().Strs("changed", restart).
			Msg("SIGHUP: configuration re-read; these settings need a restart and were not applied: " + strings.Join(restart, ", "))
	}
}

// reloader applies the settings under some keys without a restart.
type reloader struct {
	prefixes []string // a key or a section, e.g. "log.level" or "retention."
	apply    func(next config.Config) error
}

func (r reloader) covers(key string) bool {
	for _, p := range r.prefixes {
		if key == p || (strings.HasSuffix(p, ".") && strings.HasPrefix(key, p)) {
			return true
		}
	}
	return false
}

// reloaders are the settings SIGHUP applies. Everything else (the listen
// address, host keys, SSH algorithms, limits and lockout thresholds held
// by the SFTP server and the router, mail transport) needs a restart.
func (d *Daemon) reloaders() []reloader {
	rs := []reloader{
		{[]string{"daemon.shutdown_grace"}, func(next config.Config) error {
			d.cfg.Daemon = next.Daemon
			return nil
		}},
		{[]string{"metrics.listen"}, d.reloadMetrics},
		{[]string{"retention.", "schedule."}, d.reloadJobs},
	}
	if d.levels != nil {
		rs = append(rs, reloader{[]string{"log.level"}, func(next config.Config) error {
			if _, err := next.Log.ZerologLevel(); err != nil {
				return err
			}
			d.cfg.Log = next.Log // Reload sets the writer's level once it has logged
			return nil
		}})
	}
	return rs
}

// reloadMetrics moves the metrics listener: the new one is bound before
// the old one closes, so a bad address leaves metrics where they were.
func (d *Daemon) reloadMetrics(next config.Config) error {
	var srv *metrics.Server
	if next.Metrics.Listen != "" {
		s, err := d.startMetrics(context.Background(), next.Metrics.Listen)
		if err != nil {
			return err
		}
		s.SetReady()
		srv = s
	}
	if d.MetricsServer != nil {
		ctx, cancel := context.WithTimeout(context.Background(), metricsCloseTimeout)
		d.MetricsServer.Close(ctx)
		cancel()
	}
	d.MetricsServer = srv
	d.cfg.Metrics = next.Metrics
	return nil
}

// reloadJobs replaces the scheduled jobs with ones under the new
// retention rules and schedule. The old schedule finishes a job it is
// running first.
func (d *Daemon) reloadJobs(next config.Config) error {
	j, s, err := d.newJobs(next)
	if err != nil {
		return fmt.Errorf("schedule: %w", err)
	}
	d.scheduler.Close(context.Background())
	d.Jobs, d.scheduler = j, s
	d.scheduler.Start()
	d.cfg.Retention, d.cfg.Schedule = next.Retention, next.Schedule
	return nil
}

// changedKeys names the TOML keys whose values differ between a and b.
func changedKeys(a, b config.Config) []string {
	sa, sb := a.Settings(), b.Settings()
	var out []string
	for i := range sa {
		if !reflect.DeepEqual(sa[i].Value.Interface(), sb[i].Value.Interface()) {
			out = append(out, sa[i].Key)
		}
	}
	return out
}
