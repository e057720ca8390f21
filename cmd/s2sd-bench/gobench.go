package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// goBenchmark is one of the repository's Go benchmarks the bench runs.
type goBenchmark struct {
	what string
	args []string
}

// goBenchmarks are the Lost Pupil Database search over 1,000,000 records
// and the LA reports over 5,000,000 ledger rows: each generates its data
// (one and a half, and two and a half minutes) before it measures.
var goBenchmarks = []goBenchmark{
	{"Lost Pupil Database search, 1,000,000 records", []string{"test", "-run", "^$", "-bench", "BenchmarkLostSearch", "-benchtime", "2s", "./ledger"}},
	{"LA reports, 5,000,000 ledger rows", []string{"test", "-run", "^$", "-bench", "LAReports", "-benchtime", "10x", "./reports"}},
}

// goBenchmarks runs them from the module's root and keeps their result
// lines.
func (b *bench) goBenchmarks(ctx context.Context) error {
	gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	for _, g := range goBenchmarks {
		b.progress("gobench: go %s", strings.Join(g.args, " "))
		cmd := exec.CommandContext(ctx, "go", g.args...)
		cmd.Dir = root
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go %s: %v\n%s", strings.Join(g.args, " "), err, out.String())
		}
		var lines []string
		for _, l := range strings.Split(out.String(), "\n") {
			if strings.HasPrefix(l, "Benchmark") {
				lines = append(lines, l)
			}
		}
		b.rep.goBench(g, lines, time.Since(start))
	}
	return nil
}
