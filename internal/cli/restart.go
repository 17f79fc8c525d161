package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/sysroll/sysroll/internal/release"
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
			if err := tf.validate(); err != nil {
				return err
			}
			ctx := cmd.Context()
			e, err := openRollout(ctx, g, args[0])
			if err != nil {
				return err
			}
			defer e.close()
			e.traffic = tf
			if rec, err := unfinished(e.store); err != nil {
				return err
			} else if rec != nil {
				return fmt.Errorf("rollout %s was interrupted; finish it first with `sysroll deploy %s --resume` or `sysroll rollback %s`", rec.ID, args[0], args[0])
			}
			spec := e.spec(release.KindRestart, "")
			if dryRun {
				return printPlan(g, e, spec)
			}
			return e.run(ctx, g, func(p rollout.Progress) (*release.Record, error) {
				return rollout.Run(ctx, spec, e.deps(g, p))
			})
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan, touch nothing")
	tf.register(cmd)
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
			if err := tf.validate(); err != nil {
				return err
			}
			ctx := cmd.Context()
			name := args[0]
			e, err := openRollout(ctx, g, name)
			if err != nil {
				return err
			}
			defer e.close()
			e.traffic = tf
			if rec, err := unfinished(e.store); err != nil {
				return err
			} else if rec != nil {
				if to != "" {
					return usagef("rollout %s was interrupted: roll it back first (`sysroll rollback %s` without --to)", rec.ID, name)
				}
				spec := e.spec(rec.Kind, rec.To)
				spec.ID = rec.ID
				return e.run(ctx, g, func(p rollout.Progress) (*release.Record, error) {
					return rollout.RollbackRecord(ctx, rec, spec, e.deps(g, p))
				})
			}
			target := to
			if target == "" {
				cur, err := majorityRelease(e.store)
				if err != nil {
					return err
				}
				target, err = e.store.PreviousGood(cur)
				if errors.Is(err, release.ErrNoGoodRelease) {
					return usagef("no known-good release before %s to roll back to; name one with --to (see `sysroll history %s`)", cur, name)
				}
				if err != nil {
					return err
				}
			} else if _, err := e.store.Get(to); err != nil {
				return usageError{err}
			}
			spec := e.spec(release.KindRollback, target)
			if dryRun {
				return printPlan(g, e, spec)
			}
			return e.run(ctx, g, func(p rollout.Progress) (*release.Record, error) {
				return rollout.Run(ctx, spec, e.deps(g, p))
			})
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "the release to roll back to (see `sysroll history`)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan, touch nothing")
	tf.register(cmd)
	return cmd
}

// majorityRelease is the release most instances run.
func majorityRelease(store *release.Store) (string, error) {
	insts, err := store.Instances()
	if err != nil {
		return "", err
	}
	count := map[string]int{}
	best := ""
	for _, v := range insts {
		count[v]++
		if count[v] > count[best] || (count[v] == count[best] && v > best) {
			best = v
		}
	}
	return best, nil
}
