// Command contacthub is a self-hosted contact API server that speaks the Quentn contact
// API. `go run .` serves on :8080 with SQLite; see README.md.
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
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "contacthub:", err)
		os.Exit(1)
	}
}
