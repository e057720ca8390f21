package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/term"

	"github.com/s2sd/s2sd/config"
	"github.com/s2sd/s2sd/daemon"
)

// runServe runs the daemon until ctx is cancelled (main cancels it on
// SIGTERM or SIGINT).
func runServe(ctx context.Context, g *Globals, c *ServeCmd) error {
	cfg, err := g.loadConfig()
	if err != nil {
		return err
	}
	if c.Listen != "" {
		cfg.Listen = c.Listen
	}
	log := newLogger(g)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	return daemon.Run(ctx, cfg, log, daemon.Options{
		Ready: func(d *daemon.Daemon) error {
			if c.Demo {
				return daemon.ProvisionDemo(ctx, d.Ledger, d.Hasher, d.SFTP.Addr().String(), g.Stdout)
			}
			return nil
		},
		Reload: func() (config.Config, error) {
			next, err := g.loadConfig()
			if c.Listen != "" {
				next.Listen = c.Listen
			}
			return next, err
		},
		Reloads: hup,
		Grace:   30 * time.Second,
	})
}

// newLogger logs JSON to stdout (for journald), or human-readable lines
// when stdout is a terminal.
func newLogger(g *Globals) zerolog.Logger {
	if f, ok := g.Stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return zerolog.New(zerolog.ConsoleWriter{Out: f, TimeFormat: time.TimeOnly}).With().Timestamp().Logger()
	}
	return zerolog.New(g.Stdout).With().Timestamp().Logger()
}
