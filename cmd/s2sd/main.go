// Command s2sd is the school-to-school secure transfer daemon and its
// administration commands (SPEC section 10).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// The first SIGINT or SIGTERM cancels ctx, which lets serve shut down
	// gracefully; once it has, the signals get their default action back,
	// so a second one ends the process at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop)
	err := Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "s2sd: %v\n", err)
		os.Exit(exitCode(err))
	}
}
