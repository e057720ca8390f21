package main

import (
	"context"
	"io"
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
// SIGTERM or SIGINT); SIGHUP reloads the configuration.
func runServe(ctx context.Context, g *Globals, c *ServeCmd) error {
	cfg, src, err := g.loadConfigSource()
	if err != nil {
		return err
	}
	if c.Listen != "" {
		cfg.Listen = c.Listen
	}
	lvl, err := cfg.Log.ZerologLevel()
	if err != nil {
		return err
	}
	levels := daemon.NewLevelWriter(logOutput(g.Stdout), lvl)
	log := zerolog.New(levels).With().Timestamp().Logger()
	logSource(log, src)
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
		Levels:  levels,
	})
}

// logOutput is stdout for JSON lines (for journald), or human-readable
// lines when stdout is a terminal.
func logOutput(stdout io.Writer) io.Writer {
	if f, ok := stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return zerolog.ConsoleWriter{Out: f, TimeFormat: time.TimeOnly}
	}
	return stdout
}

// logSource logs where the configuration came from, naming (never
// showing) the environment variables that overrode it, and warns of
// S2SD_ variables that name no setting.
func logSource(log zerolog.Logger, src config.Source) {
	file := src.File
	if file == "" {
		file = "none (built-in defaults)"
	}
	log.Info().Str("config", file).Strs("env", src.Env).Msg("configuration loaded")
	for _, name := range config.UnknownEnv(os.Environ()) {
		log.Warn().Str("env", name).Msg(name + " is not a setting and was ignored; see s2sd.example.toml")
	}
}
