package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/sysroll/sysroll/internal/host"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
)

// ExitPaused is a rollout stopped at a pause with nothing failed: an
// approval gate, `sysroll pause`, an inconclusive analysis set to pause.
// It is not success: `deploy && announce` must not announce it.
const ExitPaused = 3

// gateFlags are the flags promote, pause and abort share.
type gateFlags struct {
	rollout string
	reason  string
	wait    time.Duration
	tf      trafficFlags
}

func (f *gateFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.rollout, "rollout", "", "act only if the unfinished rollout is this `ID` (the one you looked at)")
	cmd.Flags().StringVar(&f.reason, "reason", "", "why, recorded in the rollout's history")
	cmd.Flags().DurationVar(&f.wait, "wait", host.DefaultRequestWait, "with the rollout running: how long to wait for it to take the request")
	f.tf.register(cmd)
}

func (f *gateFlags) options(name string, pause int) host.GateOptions {
	return host.GateOptions{Service: name, Pause: pause, Rollout: f.rollout, Reason: f.reason, Wait: f.wait}
}

func newPromoteCmd(g *globals) *cobra.Command {
	var f gateFlags
	var pause int
	cmd := &cobra.Command{
		Use:   "promote NAME [--pause N]",
		Short: "Pass the approval gate a paused rollout waits at, and continue it",
		Long: `A rollout with an approval gate (` + "`pause: {}`" + ` in rollout.steps) stops after
the batch before it: deploy records it paused and exits 3, every instance
serving. Look at the canary, then promote: the rollout continues from the
next batch, in this process.

Promote passes exactly the pause you saw: with --pause N (what deploy and
status print) it is refused if the rollout has moved on. Before anything
else it checks that each canary is still the process that passed (same
InvocationID, NRestarts unchanged, running, healthy): if one restarted or
died meanwhile, its batch fails and the failure action applies.

With the rollout running and in a timed pause (` + "`pause: 15m`" + `), promote ends
that pause early.

Exit status: 0 the rollout completed, 3 it stopped at the next gate, 1 it
failed (a canary changed, a later batch failed), 2 refused (nothing done).`,
		Example: `  sysroll promote hello
  sysroll promote hello --pause 1 --reason "p99 and errors fine for 30m"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, name := cmd.Context(), args[0]
			return g.rollout(f.tf, func(p rollout.Progress, proof *host.TrafficProof) (*host.RolloutResult, error) {
				o := f.options(name, pause)
				o.Traffic = proof
				return g.host().Promote(ctx, o, p)
			})
		},
	}
	cmd.Flags().IntVar(&pause, "pause", 0, "pass only pause `N` of the rollout (as deploy and status number them); 0: the one it waits at")
	f.register(cmd)
	return cmd
}

func newAbortCmd(g *globals) *cobra.Command {
	var f gateFlags
	cmd := &cobra.Command{
		Use:   "abort NAME",
		Short: "Undo an unfinished rollout: every instance it touched goes back, gated",
		Long: `End the unfinished rollout of NAME (paused, interrupted, or running) by
putting every instance it touched back on the release it had, newest batch
first, each health-gated as in a rollback.

With the rollout running, abort leaves it a request, taken at its next
batch boundary or health check of a timed pause, and waits for it to finish.`,
		Example: `  sysroll abort hello --reason "p99 doubled on the canary"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, name := cmd.Context(), args[0]
			return g.rollout(f.tf, func(p rollout.Progress, proof *host.TrafficProof) (*host.RolloutResult, error) {
				o := f.options(name, 0)
				o.Traffic = proof
				return g.host().Abort(ctx, o, p)
			})
		},
	}
	f.register(cmd)
	return cmd
}

func newPauseCmd(g *globals) *cobra.Command {
	var f gateFlags
	cmd := &cobra.Command{
		Use:   "pause NAME",
		Short: "Ask the running rollout to stop after the batch in flight, recorded paused",
		Long: `The running rollout of NAME finishes the batch in flight (or the timed pause
under way) and stops there: recorded paused, the lock released, every
instance serving; its deploy exits 3. It never stops an instance mid-step.
` + "`sysroll resume NAME`" + ` continues it, ` + "`sysroll abort NAME`" + ` undoes it.

pause waits until the rollout has stopped (--wait bounds it; the request
stays if it runs out).`,
		Example: `  sysroll pause hello --reason "error budget alert"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, name := cmd.Context(), args[0]
			return g.rollout(f.tf, func(p rollout.Progress, _ *host.TrafficProof) (*host.RolloutResult, error) {
				return g.host().Pause(ctx, f.options(name, 0), p)
			})
		},
	}
	f.register(cmd)
	return cmd
}

func newResumeCmd(g *globals) *cobra.Command {
	var tf trafficFlags
	cmd := &cobra.Command{
		Use:   "resume NAME",
		Short: "Continue a rollout paused by hand or interrupted (never passes an approval gate)",
		Long: `Continue the unfinished rollout of NAME: one ` + "`sysroll pause`" + ` stopped, or one
interrupted (Ctrl-C, kill -9, a lost session), as ` + "`sysroll deploy NAME --resume`" + `.
It never passes an approval gate: that is ` + "`sysroll promote`" + `.`,
		Example: `  sysroll resume hello`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, name := cmd.Context(), args[0]
			return g.rollout(tf, func(p rollout.Progress, proof *host.TrafficProof) (*host.RolloutResult, error) {
				return g.host().Resume(ctx, host.ResumeOptions{Service: name, Traffic: proof}, p)
			})
		},
	}
	tf.register(cmd)
	return cmd
}

// newCheckPauseCmd is what a waiting pause's transient timer runs
// (hidden: an operator uses status, promote and abort).
func newCheckPauseCmd(g *globals) *cobra.Command {
	var id string
	var pause int
	cmd := &cobra.Command{
		Use:    "check-pause NAME --rollout ID --pause N",
		Short:  "Check a paused rollout's canaries, and run its expiry once due (what its systemd timer runs)",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if id == "" || pause < 1 {
				return usagef("check-pause needs --rollout ID and --pause N (N from 1)")
			}
			p := g.progress(nil)
			res, err := g.host().CheckPause(cmd.Context(), host.CheckPauseOptions{Service: args[0], Rollout: id, Pause: pause}, p)
			if tp, ok := p.(*ttyProgress); ok {
				tp.finish()
			}
			// Quiet when all is well: the timer runs it every few seconds,
			// its output goes to the journal.
			if res != nil && res.Acted {
				fmt.Fprintf(g.stdout, "check-pause %s %s pause %d: %s\n", args[0], id, pause, res.Why)
				if res.RolloutResult != nil && !g.json {
					printSummary(g.stdout, res.Record)
				}
			}
			return err
		},
	}
	cmd.Flags().StringVar(&id, "rollout", "", "the paused rollout's `ID`")
	cmd.Flags().IntVar(&pause, "pause", 0, "the pause `N` (from 1) to check")
	return cmd
}

// pausedNext prints, after a rollout stopped at a pause (deploy, promote
// at the next gate, a pause request taken), how to go on.
func pausedNext(g *globals, rec *release.Record) {
	if rec == nil || rec.Result != release.ResultPaused || g.json {
		return
	}
	fmt.Fprintf(g.stdout, "\n%s; nothing failed, every instance serves.\nnext: %s\n", host.PausedSince(rec), host.NextCommands(rec, rec.Service))
}
