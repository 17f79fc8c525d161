package cli

import (
	"github.com/spf13/cobra"

	"github.com/sysroll/sysroll/internal/host"
	"github.com/sysroll/sysroll/internal/rollout"
)

func newRestartCmd(g *globals) *cobra.Command {
	var dryRun bool
	var tf trafficFlags
	cmd := &cobra.Command{
		Use:   "restart NAME",
		Short: "Restart every instance, one health-gated batch at a time (same release)",
		Long: `The guide's "rolling restart across all instances", done safely: the same
batches, gates and failure handling as deploy, each instance staying on the
release it runs. Use it after ` + "`sysroll apply`" + ` reports a unit change that needs
the running instances restarted.

Never ` + "`systemctl restart NAME.target`" + `: that restarts every instance at once.`,
		Example: `  sysroll restart hello
  sysroll restart hello --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, name := cmd.Context(), args[0]
			return g.rollout(tf, func(p rollout.Progress, proof *host.TrafficProof) (*host.RolloutResult, error) {
				return g.host().Restart(ctx, host.RestartOptions{Service: name, DryRun: dryRun, Traffic: proof}, p)
			})
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan, touch nothing")
	tf.register(cmd)
	g.registerFleetFlags(cmd)
	return cmd
}

func newRollbackCmd(g *globals) *cobra.Command {
	var to string
	var dryRun bool
	var tf trafficFlags
	cmd := &cobra.Command{
		Use:   "rollback NAME [--to VERSION]",
		Short: "Roll back to the previous known-good release (or VERSION), through the same gates",
		Long: `Move every instance back to the release that was last proven good before
the current one (each successful rollout marks its release good), or to
--to VERSION, one health-gated batch at a time like a deploy.

If a rollout was interrupted (Ctrl-C that could not finish, kill -9, a lost
session), rollback undoes it: every instance it moved goes back to where it was.`,
		Example: `  sysroll rollback hello
  sysroll rollback hello --to v1`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, name := cmd.Context(), args[0]
			return g.rollout(tf, func(p rollout.Progress, proof *host.TrafficProof) (*host.RolloutResult, error) {
				return g.host().Rollback(ctx, host.RollbackOptions{Service: name, To: to, DryRun: dryRun, Traffic: proof}, p)
			})
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "the `VERSION` to roll back to: a release sysroll history lists (default: the previous known-good one)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan, touch nothing")
	tf.register(cmd)
	g.registerFleetFlags(cmd)
	return cmd
}
