package main

import (
	"context"
	"fmt"
)

// CheckConfigCmd loads and validates the configuration.
type CheckConfigCmd struct{}

// Run checks the config; the error, if any, names the field at fault.
func (c *CheckConfigCmd) Run(ctx context.Context, g *Globals) error {
	if _, err := g.loadConfig(); err != nil {
		return err
	}
	fmt.Fprintln(g.Stdout, "config OK")
	return nil
}
