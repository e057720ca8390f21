package daemon

import (
	"context"
	"time"

	// go-systemd is systemd's own Go binding of sd_notify and the watchdog
	// environment (NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID): well kept,
	// small, and without cgo.
	sd "github.com/coreos/go-systemd/v22/daemon"
)

// notify sends state to systemd when it runs us as a Type=notify service
// (NOTIFY_SOCKET is set), and does nothing otherwise. A failure is
// logged, never fatal: systemd, not s2sd, acts on a missing message.
func (d *Daemon) notify(state string) {
	if _, err := sd.SdNotify(false, state); err != nil {
		d.log.Warn().Err(err).Msg("sd_notify failed")
	}
}

// notifyReloading tells systemd a reload has begun. MONOTONIC_USEC lets
// systemd (253 and later) match it to the reload it asked for.
func (d *Daemon) notifyReloading() {
	d.notify(sd.SdNotifyReloading + "\n" + sd.SdNotifyMonotonicUsec())
}

// startWatchdog starts, if systemd set WatchdogSec for us, the goroutine
// that pings the watchdog at half its interval. Close stops it.
func (d *Daemon) startWatchdog() {
	interval, err := sd.SdWatchdogEnabled(false)
	if err != nil {
		d.log.Warn().Err(err).Msg("systemd watchdog settings unreadable; not pinging it")
		return
	}
	if interval <= 0 {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	d.stopWatchdog = cancel
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		d.watchdog(ctx, interval/2)
	}()
	d.log.Info().Dur("interval", interval).Msg("systemd watchdog enabled")
}

// watchdog pings systemd's watchdog every period, but only while the
// ledger answers: a daemon whose ledger hangs is restarted.
func (d *Daemon) watchdog(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, every)
		err := d.ping(pctx)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				d.log.Error().Err(err).Msg("the ledger does not answer; withholding the systemd watchdog ping")
			}
			continue
		}
		d.notify(sd.SdNotifyWatchdog)
	}
}

// ping checks that the ledger answers.
func (d *Daemon) ping(ctx context.Context) error {
	_, err := d.Ledger.SchemaVersion(ctx)
	return err
}
