// Command s2sd-bench measures s2sd against a private OpenSSH sshd
// (internal-sftp) on the same machine, in the same run, alternating
// between the two, and prints a markdown report of medians and ratios
// (issue 9, SPEC section 11). See BENCHMARKS.md for what each workload
// measures and the figures it gave.
//
//	go run ./cmd/s2sd-bench -quick   # under 5 minutes
//	go run ./cmd/s2sd-bench          # the full sizes
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "s2sd-bench: %v\n", err)
		os.Exit(1)
	}
}
