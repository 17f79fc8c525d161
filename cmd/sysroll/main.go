// Command sysroll rolls out releases of replicated systemd services one
// health-gated batch at a time. See `sysroll --help`.
package main

import (
	"context"
	"os"

	"github.com/sysroll/sysroll/internal/cli"
	"github.com/sysroll/sysroll/internal/session"
)

func main() {
	// However the session ends (Ctrl-C, SIGTERM, a lost terminal, a viewer
	// that stops reading), the rollout's context ends and the rollout
	// stops safely at the end of its current step; nothing kills it
	// mid-step with a server still drained.
	s := session.Start(context.Background())
	code := cli.Run(s.Context(), os.Args[1:], s.Output(os.Stdout), s.Output(os.Stderr))
	s.Stop()
	os.Exit(code)
}
