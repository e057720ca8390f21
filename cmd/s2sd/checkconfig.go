package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/s2sd/s2sd/config"
)

// CheckConfigCmd loads and validates the configuration.
type CheckConfigCmd struct{}

// Run checks the config and says where it came from: the file, the
// S2SD_ environment variables that override it (by name; values may be
// secrets), and the --data flag. The error, if any, names the field or
// the variable at fault.
func (c *CheckConfigCmd) Run(ctx context.Context, g *Globals) error {
	cfg, src, err := g.loadConfigSource()
	if src.File == "" {
		fmt.Fprintln(g.Stdout, "config file: none; built-in defaults (give one with --config or S2SD_CONFIG)")
	} else {
		fmt.Fprintf(g.Stdout, "config file: %s\n", src.File)
	}
	if len(src.Env) > 0 {
		fmt.Fprintf(g.Stdout, "environment overrides: %s\n", strings.Join(src.Env, ", "))
	}
	for _, name := range config.UnknownEnv(os.Environ()) {
		fmt.Fprintf(g.Stderr, "warning: %s is not a setting and is ignored; see s2sd.example.toml\n", name)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(g.Stdout, "data directory: %s\n", cfg.Data)
	fmt.Fprintf(g.Stdout, "SFTP listen: %s\n", cfg.Listen)
	if cfg.Metrics.Listen == "" {
		fmt.Fprintln(g.Stdout, "metrics: off")
	} else {
		fmt.Fprintf(g.Stdout, "metrics listen: %s\n", cfg.Metrics.Listen)
	}
	fmt.Fprintln(g.Stdout, "config OK")
	return nil
}

// loadConfigSource is loadConfig that also says where the configuration
// came from.
func (g *Globals) loadConfigSource() (config.Config, config.Source, error) {
	cfg, src, err := config.LoadSource(g.Config, os.Getenv)
	if err != nil {
		return config.Config{}, src, err
	}
	if g.Data != "" {
		cfg.Data = g.Data
	}
	return cfg, src, nil
}
