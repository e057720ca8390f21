// Package daemon wires s2sd together: config, ledger, spool and the SFTP
// server. It is the only package that knows all the others.
package daemon

import (
	"context"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/crypto/ssh"

	"github.com/s2sd/s2sd/auth"
	"github.com/s2sd/s2sd/config"
	"github.com/s2sd/s2sd/delivery"
	"github.com/s2sd/s2sd/jobs"
	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/mailer"
	"github.com/s2sd/s2sd/messaging"
	"github.com/s2sd/s2sd/metrics"
	"github.com/s2sd/s2sd/routing"
	"github.com/s2sd/s2sd/sftpd"
	"github.com/s2sd/s2sd/spool"
)

// Daemon is a running s2sd.
type Daemon struct {
	cfg    config.Config
	log    zerolog.Logger
	Ledger *ledger.Ledger
	Hasher *auth.Hasher
	Router *delivery.Router
	SFTP   *sftpd.Server
	Mailer *mailer.Worker
	Jobs   *jobs.Jobs
	// Metrics count what the daemon does; MetricsServer serves them, or
	// is nil when metrics.listen is empty or could not be bound.
	Metrics       *metrics.Metrics
	MetricsServer *metrics.Server

	scheduler *jobs.Scheduler

	watcher *delivery.Watcher
	routes  *routeTimer

	// levels, if set, is the writer of every log line: SIGHUP changes
	// log.level through it.
	levels *LevelWriter

	stopWatchdog context.CancelFunc // nil unless the watchdog runs
	wg           sync.WaitGroup     // the watchdog goroutine

	lock *dataLock // held on cfg.Data until Close
}

// Open locks the data directory against a second daemon (dataLock),
// prepares it (creating it, the host keys, the ledger and the mail folder
// on first start), clears uploads a crash left unacknowledged, and starts
// the SFTP listener.
func Open(ctx context.Context, cfg config.Config, log zerolog.Logger) (*Daemon, error) {
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	lock, err := lockData(cfg.Data)
	if err != nil {
		return nil, err
	}
	d, err := open(ctx, cfg, log)
	if err != nil {
		lock.release()
		return nil, err
	}
	d.lock = lock
	return d, nil
}

// open is Open once the data directory is locked.
func open(ctx context.Context, cfg config.Config, log zerolog.Logger) (*Daemon, error) {
	for _, dir := range []string{cfg.DataPath("spool"), cfg.DataPath("mail")} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
	}
	hostKeys, err := sftpd.LoadHostKeys(cfg.DataPath("hostkeys"))
	if err != nil {
		return nil, err
	}
	l, err := ledger.Open(ctx, cfg.DataPath("ledger.db"))
	if err != nil {
		return nil, err
	}
	layout := spool.Layout{Root: cfg.DataPath("spool")}
	moved, err := layout.RecoverStaging()
	if err != nil {
		l.Close()
		return nil, fmt.Errorf("clearing unacknowledged uploads from staging: %w", err)
	}
	if moved > 0 {
		log.Info().Int("uploads", moved).Msg("moved acknowledged uploads from staging into their outboxes after a crash")
	}
	d := &Daemon{cfg: cfg, log: log, Ledger: l}
	d.Metrics = metrics.New(l.MailQueueDepth)
	d.routes = newRouteTimer(d.Metrics)
	if cfg.Metrics.Listen != "" {
		// Metrics are not worth an outage: a metrics address already in
		// use is an error in the log, and SFTP is served regardless.
		if d.MetricsServer, err = d.startMetrics(ctx, cfg.Metrics.Listen); err != nil {
			d.log.Error().Err(err).Msg("metrics, /healthz and /readyz are not served")
		}
	}
	if err := d.start(ctx, layout, hostKeys); err != nil {
		d.Close(context.Background())
		return nil, err
	}
	return d, nil
}

// start brings up routing (finishing what a crash interrupted and routing
// what waits in outboxes) and then the SFTP server.
func (d *Daemon) start(ctx context.Context, layout spool.Layout, hostKeys []ssh.Signer) error {
	cfg := d.cfg
	transport, err := cfg.Mail.NewTransport(cfg.Data)
	if err != nil {
		return err
	}
	d.Mailer = mailer.New(cfg.Mail, d.Ledger, transport, d.log.With().Str("component", "mailer").Logger(), time.Now)
	d.Mailer.SetMetrics(d.Metrics)
	d.Mailer.Start(context.Background())
	d.Router = delivery.New(delivery.Config{
		Data:         cfg.Data,
		LANumbers:    cfg.LANumberSet(),
		Limits:       routing.Limits{CTFMax: cfg.SFTP.MaxCTFSize, GenericSchool: cfg.SFTP.MaxGenericSchool, GenericLA: cfg.SFTP.MaxGenericLA},
		TempSuffixes: cfg.SFTP.TempSuffixes,
		Now:          time.Now,
		Kick:         d.Mailer.Kick,
		Metrics:      d.routes,
	}, d.Ledger, d.log.With().Str("component", "router").Logger())
	if err := d.Router.Recover(ctx); err != nil {
		return err
	}
	d.Router.Start(context.Background())
	w, err := delivery.NewWatcher(d.Router)
	if err != nil {
		return err
	}
	d.watcher = w
	if err := w.Start(context.Background()); err != nil {
		return err
	}
	if d.Jobs, d.scheduler, err = d.newJobs(cfg); err != nil {
		return err
	}
	d.scheduler.Start()
	d.Hasher = auth.NewHasher(auth.DefaultParams(), cfg.Auth.MaxConcurrentHashes)
	h := hooks{router: d.Router, routes: d.routes, log: d.log}
	msgs, err := messaging.New(d.Ledger, messaging.Options{Recent: cfg.SFTP.RecentWindow, Kick: d.Mailer.Kick, Log: d.log.With().Str("component", "messaging").Logger()})
	if err != nil {
		return err
	}
	d.SFTP, err = sftpd.New(sftpdConfig(cfg), sftpd.Deps{
		Ledger:      d.Ledger,
		Hasher:      d.Hasher,
		Spool:       layout,
		HostKeys:    hostKeys,
		Checker:     h,
		Events:      h,
		Lost:        h,
		Reports:     newReportHooks(d.Ledger, d.log),
		Withdrawals: withdrawals{ledger: d.Ledger, jobs: d.Jobs},
		Messages:    messageHooks{msgs},
		Admin:       d.newAdminDocs(cfg, d.log.With().Str("component", "laadmin").Logger()),
		Metrics:     d.Metrics,
		Log:         d.log.With().Str("component", "sftpd").Logger(),
	})
	if err != nil {
		return err
	}
	return d.SFTP.Listen(ctx)
}

// newJobs returns the scheduled jobs cfg configures, not yet started.
func (d *Daemon) newJobs(cfg config.Config) (*jobs.Jobs, *jobs.Scheduler, error) {
	log := d.log.With().Str("component", "jobs").Logger()
	j := jobs.New(cfg.Retention, cfg.Data, d.Ledger, log, d.Mailer.Kick)
	j.SetMetrics(d.Metrics)
	s, err := jobs.NewScheduler(cfg.Schedule, j, log)
	return j, s, err
}

// startMetrics starts a metrics server on addr.
func (d *Daemon) startMetrics(ctx context.Context, addr string) (*metrics.Server, error) {
	s := metrics.NewServer(addr, d.Metrics, d.ping, d.log.With().Str("component", "metrics").Logger())
	if err := s.Start(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// serving marks the daemon ready, once the SFTP listener and the ledger
// are up: /readyz answers 200, systemd hears READY=1, and the watchdog
// starts.
func (d *Daemon) serving() {
	if d.MetricsServer != nil {
		d.MetricsServer.SetReady()
	}
	d.notify("READY=1\nSTATUS=serving SFTP on " + d.SFTP.Addr().String())
	d.startWatchdog()
}

// Close stops the SFTP server, giving uploads in flight until ctx is
// done, then the jobs, the watcher and the router (files still queued
// stay in their outboxes for the next start), the mail worker and the
// metrics, and closes the ledger.
func (d *Daemon) Close(ctx context.Context) error {
	if d.MetricsServer != nil {
		d.MetricsServer.SetStopping()
	}
	var err error
	if d.SFTP != nil {
		err = d.SFTP.Close(ctx)
	}
	if d.scheduler != nil {
		d.scheduler.Close(ctx)
	}
	if d.watcher != nil {
		d.watcher.Close()
	}
	if d.Router != nil {
		d.Router.Close()
	}
	if d.Mailer != nil {
		d.Mailer.Shutdown(ctx)
	}
	if d.MetricsServer != nil {
		mctx, cancel := context.WithTimeout(context.Background(), metricsCloseTimeout)
		d.MetricsServer.Close(mctx)
		cancel()
	}
	if d.stopWatchdog != nil {
		d.stopWatchdog()
	}
	d.wg.Wait()
	if cerr := d.Ledger.Close(); err == nil {
		err = cerr
	}
	if d.lock != nil {
		d.lock.release()
		d.lock = nil
	}
	return err
}

func sftpdConfig(cfg config.Config) sftpd.Config {
	return sftpd.Config{
		Listen:             cfg.Listen,
		HandshakeTimeout:   cfg.SSH.HandshakeTimeout,
		MaxAuthTries:       cfg.SSH.MaxAuthTries,
		MaxConnsPerAddress: cfg.SSH.MaxConnsPerAddress,
		MaxConns:           cfg.SSH.MaxConns,
		KeyExchanges:       cfg.SSH.KeyExchanges,
		Ciphers:            cfg.SSH.Ciphers,
		MACs:               cfg.SSH.MACs,
		TempSuffixes:       cfg.SFTP.TempSuffixes,
		RecentWindow:       cfg.SFTP.RecentWindow,
		MinPasswordLength:  cfg.Auth.MinPasswordLength,
		Lockout:            auth.Backoff{Failures: cfg.Auth.LockoutThreshold, Base: cfg.Auth.LockoutBase, Max: cfg.Auth.LockoutMax},
		AddressLockout:     auth.Backoff{Failures: cfg.Auth.AddressLockoutThreshold, Base: cfg.Auth.LockoutBase, Max: cfg.Auth.LockoutMax},
	}
}

// metricsCloseTimeout bounds the wait for scrapes in flight at shutdown.
const metricsCloseTimeout = 5 * time.Second

// Options are what Run needs besides the config.
type Options struct {
	// Ready is called once the daemon serves, before it reports ready.
	Ready func(*Daemon) error
	// Reload, if set, is called for each value on Reloads and returns the
	// configuration read again.
	Reload  func() (config.Config, error)
	Reloads <-chan os.Signal
	// Levels, if set, is the writer under log: SIGHUP applies log.level
	// through it.
	Levels *LevelWriter
}

// Run opens the daemon, runs until ctx is cancelled, then shuts down,
// giving uploads in flight daemon.shutdown_grace to finish. It tells
// systemd READY=1 once it serves, RELOADING=1 and READY=1 around each
// reload, and STOPPING=1 when it begins to shut down.
func Run(ctx context.Context, cfg config.Config, log zerolog.Logger, o Options) error {
	d, err := Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	d.levels = o.Levels
	if o.Ready != nil {
		if err := o.Ready(d); err != nil {
			d.Close(context.Background())
			return err
		}
	}
	d.serving()
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-o.Reloads:
			d.notifyReloading()
			d.Reload(o.Reload())
			d.notify("READY=1")
		}
	}
	grace := d.cfg.Daemon.ShutdownGrace
	log.Info().Dur("grace", grace).Msg("shutting down")
	d.notify("STOPPING=1")
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	return d.Close(sctx)
}

func splitListen(addr string) (host, port string) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr, "22"
	}
	return host, port
}
