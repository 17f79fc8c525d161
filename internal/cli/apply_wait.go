package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/sysroll/sysroll/internal/host"
)

// printWait draws apply's wait for the instances it started: one line as
// each gate opens, one with each result; a failure with why and the last
// journal lines, so the reason is on screen without another command.
func printWait(w io.Writer, ev host.WaitEvent) {
	switch ev.Type {
	case host.WaitWaiting:
		g := ev.Gate
		fmt.Fprintf(w, "%s: waiting for the health gate (ready, then healthy for %s; deadline %s)\n", ev.Unit, g.HealthyFor, g.Deadline)
	case host.WaitHealthy:
		fmt.Fprintf(w, "%s: healthy after %s\n", ev.Unit, took(ev.Result))
	case host.WaitFailed:
		r := ev.Result
		fmt.Fprintf(w, "%s: FAILED after %s: %s\n", ev.Unit, took(r), r.Error)
		if r.Health != "" {
			fmt.Fprintf(w, "  last check: %s\n", r.Health)
		}
		if len(r.Logs) > 0 {
			fmt.Fprintf(w, "  its last journal lines:\n")
			for _, l := range r.Logs {
				fmt.Fprintf(w, "    %s\n", l)
			}
		}
		for _, h := range r.Hints {
			fmt.Fprintf(w, "  hint: %s\n", h)
		}
	}
}

func took(r *host.InstanceWait) time.Duration {
	return (time.Duration(r.TookMS) * time.Millisecond).Round(100 * time.Millisecond)
}
