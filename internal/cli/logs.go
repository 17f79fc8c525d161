package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sysroll/sysroll/internal/host"
)

func newLogsCmd(g *globals) *cobra.Command {
	var lines int64
	var follow bool
	cmd := &cobra.Command{
		Use:   "logs NAME [INSTANCE]",
		Short: "Show the journal lines of one instance, or of all instances interleaved",
		Long: `Show what an instance logged (its stdout and stderr, and systemd's own
lines about it: started, exited, restarted), read from the journal with
journalctl. Without INSTANCE every instance's lines come interleaved by
time, each prefixed with its instance.

-n N shows the newest N lines (default 50); -f then keeps showing new lines
until Ctrl-C (exit 0). With --user the lines come from your own journal
(journalctl --user), as the units do from your user manager.

--json prints one JSON object per line: time, instance, unit, message and
priority (syslog's: 3 err, 4 warning, 6 info, 7 debug).

Exit status: 0 shown (also when there is nothing to show), 1 journalctl
failed, 2 NAME is not installed or has no INSTANCE (the error lists the
instances that exist).`,
		Example: `  sysroll logs hello                  # the last 50 lines of every instance
  sysroll logs hello 8081 -n 200      # one instance, more lines
  sysroll logs hello -f               # follow all instances; Ctrl-C stops
  sysroll logs hello --json | jq -r 'select(.priority <= 3) | .message'`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := host.LogsOptions{Service: args[0], Lines: int(lines), Follow: follow}
			if len(args) == 2 {
				if args[1] == "" {
					return usagef("INSTANCE is empty: give an instance name, or leave it out for all")
				}
				opts.Instance = args[1]
			}
			if lines < 0 || lines > host.MaxLogLines {
				return usagef("-n %d: want 0 to %d lines", lines, host.MaxLogLines)
			}
			enc := json.NewEncoder(g.stdout)
			return g.host().ReadLogs(cmd.Context(), opts, func(l host.LogLine) error {
				if g.json {
					return enc.Encode(l)
				}
				return printLogLine(g, l, opts.Instance == "")
			})
		},
	}
	cmd.Flags().VarP(newDecimalFlag(&lines, 50), "lines", "n", "how many of the newest lines to show")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep showing new lines until Ctrl-C")
	return cmd
}

// printLogLine writes one line as journalctl's short format does (local
// time, then the message), after its instance when several are shown.
func printLogLine(g *globals, l host.LogLine, prefix bool) error {
	ts := l.Time.Local().Format("Jan 02 15:04:05")
	if prefix {
		_, err := fmt.Fprintf(g.stdout, "%s %s: %s\n", ts, l.Instance, l.Message)
		return err
	}
	_, err := fmt.Fprintf(g.stdout, "%s %s\n", ts, l.Message)
	return err
}
