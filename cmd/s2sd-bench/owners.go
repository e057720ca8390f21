package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// owner names who a sample of s2sd's works for: the first frame, from
// the leaf up, in a package other than the Go runtime and the standard
// library's plumbing, so that an allocation, a memmove or a write(2) is
// charged to the package that asked for it. Cipher and hashing leaves
// are their own owners; samples with no such frame are the runtime's
// own (the GC's background workers, the scheduler).
func owner(stack []string) string {
	if len(stack) == 0 {
		return "unknown"
	}
	leaf := symbolShare{sym: stack[0]}
	switch c := category(leaf); c {
	case catCipher, catHash:
		return c
	}
	for _, f := range stack {
		switch {
		case strings.HasPrefix(f, "github.com/pkg/sftp"):
			return "github.com/pkg/sftp"
		case strings.HasPrefix(f, "golang.org/x/crypto/ssh"):
			return "golang.org/x/crypto/ssh"
		case strings.HasPrefix(f, "github.com/s2sd/s2sd/"):
			pkg := strings.TrimPrefix(f, "github.com/s2sd/s2sd/")
			if i := strings.IndexAny(pkg, "."); i > 0 {
				pkg = pkg[:i]
			}
			return "s2sd " + pkg
		case strings.HasPrefix(f, "github.com/mattn/go-sqlite3") || strings.HasPrefix(f, "sqlite3") || strings.HasPrefix(f, "_cgo"):
			return "SQLite"
		case strings.HasPrefix(f, "runtime.gcBgMarkWorker") || strings.HasPrefix(f, "runtime.bgsweep") || strings.HasPrefix(f, "runtime.bgscavenge"):
			return "Go runtime: GC background work"
		}
	}
	if strings.HasPrefix(stack[0], "[k]") {
		return "kernel, no Go caller (interrupts, I/O completion)"
	}
	return "Go runtime: scheduler and other"
}

// owners reads perf script's samples of pids and sums them by owner, in
// percent of their samples.
func (p *perfRecorder) owners(ctx context.Context, pids string) (map[string]float64, error) {
	out, err := exec.CommandContext(ctx, "perf", "script", "-i", p.data, "--pid", pids, "-F", "ip,sym,dso").Output()
	if err != nil {
		return nil, fmt.Errorf("perf script: %w", err)
	}
	return ownerShares(out), nil
}

// ownerShares parses perf script's output: one block per sample, a line
// per frame ("ADDR SYMBOL (DSO)"), leaf first, blocks separated by blank
// lines.
func ownerShares(out []byte) map[string]float64 {
	counts := map[string]int{}
	total := 0
	var stack []string
	flush := func() {
		if len(stack) > 0 {
			counts[owner(stack)]++
			total++
		}
		stack = stack[:0]
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			flush()
			continue
		}
		f = f[1:] // the address
		dso := ""
		if n := len(f); n > 0 && strings.HasPrefix(f[n-1], "(") {
			dso, f = f[n-1], f[:n-1]
		}
		sym := strings.Join(f, " ")
		if dso == "([kernel.kallsyms])" {
			sym = "[k] " + sym
		}
		stack = append(stack, sym)
	}
	flush()
	m := map[string]float64{}
	for k, n := range counts {
		m[k] = 100 * float64(n) / float64(total)
	}
	return m
}
