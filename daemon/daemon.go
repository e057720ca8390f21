// Package daemon wires s2sd together: config, ledger, spool and the SFTP
// server. It is the only package that knows all the others.
package daemon

import (
	"context"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/crypto/ssh"

	"github.com/s2sd/s2sd/auth"
	"github.com/s2sd/s2sd/config"
	"github.com/s2sd/s2sd/delivery"
	"github.com/s2sd/s2sd/jobs"
	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/mailer"
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

	scheduler *jobs.Scheduler

	watcher *delivery.Watcher
}

// Open prepares the data directory (creating it, the host keys, the
// ledger and the mail folder on first start), clears uploads a crash left
// unacknowledged, and starts the SFTP listener.
func Open(ctx context.Context, cfg config.Config, log zerolog.Logger) (*Daemon, error) {
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
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
	if err := layout.ClearStaging(); err != nil {
		l.Close()
		return nil, fmt.Errorf("clearing unacknowledged uploads: %w", err)
	}
	d := &Daemon{cfg: cfg, log: log, Ledger: l}
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
	d.Mailer.Start(context.Background())
	d.Router = delivery.New(delivery.Config{
		Data:         cfg.Data,
		LANumbers:    cfg.LANumberSet(),
		Limits:       routing.Limits{CTFMax: cfg.SFTP.MaxCTFSize, GenericSchool: cfg.SFTP.MaxGenericSchool, GenericLA: cfg.SFTP.MaxGenericLA},
		TempSuffixes: cfg.SFTP.TempSuffixes,
		Now:          time.Now,
		Kick:         d.Mailer.Kick,
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
	d.Jobs = jobs.New(cfg.Retention, cfg.Data, d.Ledger, d.log.With().Str("component", "jobs").Logger(), d.Mailer.Kick)
	if d.scheduler, err = jobs.NewScheduler(cfg.Schedule, d.Jobs, d.log.With().Str("component", "jobs").Logger()); err != nil {
		return err
	}
	d.scheduler.Start()
	d.Hasher = auth.NewHasher(auth.DefaultParams(), cfg.Auth.MaxConcurrentHashes)
	h := hooks{router: d.Router, log: d.log}
	d.SFTP, err = sftpd.New(sftpdConfig(cfg), sftpd.Deps{
		Ledger:   d.Ledger,
		Hasher:   d.Hasher,
		Spool:    layout,
		HostKeys: hostKeys,
		Checker:  h,
		Events:   h,
		Lost:     h,
		Log:      d.log.With().Str("component", "sftpd").Logger(),
	})
	if err != nil {
		return err
	}
	return d.SFTP.Listen(ctx)
}

// Close stops the SFTP server, giving sessions until ctx is done, then
// the watcher and the router (files still queued stay in their outboxes
// for the next start), then closes the ledger.
func (d *Daemon) Close(ctx context.Context) error {
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
	if cerr := d.Ledger.Close(); err == nil {
		err = cerr
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

// Options are what Run needs besides the config.
type Options struct {
	// Ready is called once the daemon serves.
	Ready func(*Daemon) error
	// Reload, if set, is called for each value on Reloads and returns the
	// configuration read again.
	Reload  func() (config.Config, error)
	Reloads <-chan os.Signal
	// Grace is how long sessions in flight may take to finish at shutdown.
	Grace time.Duration
}

// Run opens the daemon, runs until ctx is cancelled, then shuts down
// within the grace period.
func Run(ctx context.Context, cfg config.Config, log zerolog.Logger, o Options) error {
	d, err := Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	if o.Ready != nil {
		if err := o.Ready(d); err != nil {
			d.Close(context.Background())
			return err
		}
	}
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-o.Reloads:
			d.Reload(o.Reload())
		}
	}
	log.Info().Msg("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), o.Grace)
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
