package cli

import (
	"github.com/spf13/cobra"

	"github.com/sysroll/sysroll/internal/host"
)

func newFollowCmd(g *globals) *cobra.Command {
	var from int64
	var unit string
	cmd := &cobra.Command{
		Use:   "follow FILE --from OFFSET --unit UNIT",
		Short: "Print an events file's lines from OFFSET on, until the unit writing it ends (fleet plumbing)",
		Long: `Print the complete lines of FILE (an --events file of deploy, restart or
rollback) from byte OFFSET on, verbatim, one line at a time as they are
appended, and keep following until the transient unit UNIT that writes it
(systemd-run --unit=UNIT) is no longer active and every line it wrote is
printed; then exit 0.

This is what the fleet controller runs on a host, over SSH, to watch that
host's step: the rollout itself runs in UNIT, so a lost SSH session (or
killing follow) changes nothing on the host. To reattach, run follow again
with --from the offset reached: the sum of the byte lengths of the lines
received, newlines included. It prints exactly the rest, nothing twice.

A last line without its newline (still being written, or torn by a crash) is
held back until it is complete, and never printed if the unit ended first.
OFFSET must be 0 or the end of a line of FILE (exit 2 otherwise). A UNIT
without a suffix is a .service. follow only reads.`,
		Example: `  sysroll follow /var/lib/sysroll/hello/fleet/f-1.events --from 0 --unit sysroll-fleet-hello-f-1
  sysroll follow /var/lib/sysroll/hello/fleet/f-1.events --from 4096 --unit sysroll-fleet-hello-f-1.service`,
		Args:   cobra.ExactArgs(1),
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			// Both are required: a follower that starts anywhere but
			// where it left off, or never ends, is no use to anyone.
			if !cmd.Flags().Changed("from") || !cmd.Flags().Changed("unit") {
				return usagef("follow needs --from OFFSET and --unit UNIT (0 and the systemd-run unit, the first time)")
			}
			return g.host().Follow(cmd.Context(), host.FollowOptions{File: args[0], From: from, Unit: unit}, g.stdout)
		},
	}
	cmd.Flags().VarP(newDecimalFlag(&from, 0), "from", "", "the byte `OFFSET` to start at: 0, or the end of the last line received")
	cmd.Flags().StringVar(&unit, "unit", "", "the transient `UNIT` writing FILE: follow ends once it is no longer active and FILE is drained")
	return cmd
}
