// Command sysroll rolls out releases of replicated systemd services one
// health-gated batch at a time. See `sysroll --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/sysroll/sysroll/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
