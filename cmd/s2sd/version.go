package main

import (
	"fmt"
	"runtime/debug"
)

// VersionCmd prints the version.
type VersionCmd struct{}

// Run prints "s2sd <version>".
func (c *VersionCmd) Run(g *Globals) error {
	fmt.Fprintf(g.Stdout, "s2sd %s\n", version())
	return nil
}

// version is the main module's version as the go command stamped it, or
// "devel" for a build from a work tree.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok || bi.Main.Version == "" || bi.Main.Version == "(devel)" {
		return "devel"
	}
	return bi.Main.Version
}
