package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/host"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/schema"
)

func newDeployCmd(g *globals) *cobra.Command {
	var artifact, version, check, as string
	var dryRun, resume bool
	var tf trafficFlags
	cmd := &cobra.Command{
		Use:   "deploy NAME --artifact PATH",
		Short: "Roll a new release out, one health-gated batch at a time",
		Long: `Stage PATH (a binary, a directory or a .tar.gz) as an immutable release, check
it, then move the instances to it batch by batch: drain, switch, restart,
wait until ready and healthy for healthy_for, return to traffic, next.

If a batch fails (the job failed, never ready, a probe failing, a crash inside
the window, a deadline passed), sysroll shows why, puts that batch back on its
previous release, verifies it healthy and exits 1. Instances not yet reached
are never touched (failure_action in the service file: rollback, rollback-all,
halt).

The artifact is checked before any instance is touched: it must exist, a
binary must be executable, the program the command runs ({release}/hello)
must be in it, and --check (e.g. "hello -print-version") must exit 0. A single
binary keeps its own file name in the release: --as gives it the name the
command runs (./hello-v2 --as hello is {release}/hello).

Ctrl-C finishes or reverts the step in progress and exits; no instance is
left stopped or drained. After a crash or kill -9, ` + "`sysroll status`" + ` tells the
truth and --resume completes the rollout (or ` + "`sysroll rollback`" + ` undoes it).
--resume also takes up a rollout that halted or failed partway, and finishes a
rollback that was killed, toward its own target.

With rollout.steps the batches come in steps: a timed pause (pause: 15m)
waits, watching the updated instances; an approval gate (pause: {}) stops the
rollout there, recorded paused, and exits 3 ("paused, nothing failed"): go on
with ` + "`sysroll promote NAME`" + `, undo with ` + "`sysroll abort NAME`" + `. With an
analysis: block each batch is judged against the untouched instances once it
is back in traffic (metrics from Prometheus, the journal, a command); a failed
analysis fails the batch whatever failure_budget says. --dry-run shows the
steps, each batch's baseline and the metrics that apply.

--version V without --artifact rolls out release V as ` + "`sysroll stage`" + ` staged and
checked it before (a fleet stages on every host first, then rolls out): it is
refused, naming the staged releases, when V is not staged here, and verified
unchanged before any instance is touched.

For the fleet controller: --events FILE appends every event line, as --json
prints it plus a "seq" number, to FILE (what ` + "`sysroll follow`" + ` reads), and
--fleet ID records the fleet rollout in the rollout record (` + "`history --json`" + `).`,
		Example: `  sysroll deploy hello --artifact ./hello-v2 --as hello --version v2 --check "hello -print-version"
  sysroll deploy hello --artifact ./hello-v2 --as hello --dry-run
  sysroll deploy hello --resume
  sysroll deploy hello --version v2 --fleet f-20261201 --events /var/lib/sysroll/hello/fleet/f-20261201.events --json
  sysroll deploy hello --artifact app.tar.gz --json | jq -c 'select(.type=="instance-failed")'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, h, name := cmd.Context(), g.host(), args[0]
			if resume {
				if artifact != "" || version != "" || as != "" {
					return usagef("--resume continues the interrupted rollout: it takes no --artifact, --version or --as")
				}
				return g.rollout(tf, func(p rollout.Progress, proof *host.TrafficProof) (*host.RolloutResult, error) {
					return h.Resume(ctx, host.ResumeOptions{Service: name, Traffic: proof}, p)
				})
			}
			if artifact == "" && version == "" {
				return usagef("deploy needs --artifact PATH, or --version V of a release staged with `sysroll stage` (or --resume)")
			}
			if artifact == "" && (as != "" || check != "") {
				return usagef("--as and --check apply when staging: deploy --version %s without --artifact rolls out the release staged before, as it was staged", version)
			}
			if cmd.Flags().Changed("as") {
				if err := release.ValidAs(as); err != nil {
					return usagef("%w", err)
				}
			}
			var checkArgv []string
			if check != "" {
				var err error
				if checkArgv, err = config.SplitCommand(check); err != nil {
					return usagef("--check: %w", err)
				}
			}
			return g.rollout(tf, func(p rollout.Progress, proof *host.TrafficProof) (*host.RolloutResult, error) {
				return h.Deploy(ctx, host.DeployOptions{Service: name, Artifact: artifact, Version: version,
					As: as, Check: checkArgv, DryRun: dryRun, Traffic: proof}, p)
			})
		},
	}
	tf.register(cmd)
	g.registerFleetFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&artifact, "artifact", "", "the new release: a binary, a directory or a .tar.gz")
	f.StringVar(&version, "version", "", "name of the release (default: the first 12 hex digits of its sha256); alone, without --artifact: the staged release to roll out")
	f.StringVar(&as, "as", "", "the file name a single-binary artifact gets in the release: the one the command runs (e.g. --as hello for {release}/hello)")
	f.StringVar(&check, "check", "", "command run in the staged release that must exit 0 before any instance is touched")
	f.BoolVar(&dryRun, "dry-run", false, "stage and check the release, print the plan, touch no instance")
	f.BoolVar(&resume, "resume", false, "complete the interrupted, halted or failed rollout of NAME")
	return cmd
}

// rollout runs one rollout verb with the progress display the flags ask for,
// then prints its outcome: the summary table (or, for a dry run, the plan)
// and the traffic proof's counts.
func (g *globals) rollout(tf trafficFlags, do func(rollout.Progress, *host.TrafficProof) (*host.RolloutResult, error)) (err error) {
	proof, err := tf.proof()
	if err != nil {
		return err
	}
	p := g.progress(proof)
	out := p
	if g.events != "" {
		ev, oerr := openEvents(g.events, g.stderr)
		if oerr != nil {
			return oerr
		}
		defer func() { err = errors.Join(err, ev.close()) }()
		out = teeProgress{p, ev}
	}
	res, err := do(out, proof)
	if tp, ok := p.(*ttyProgress); ok {
		tp.finish() // also when the rollout never started (refused, dry run)
	}
	if res == nil {
		return err
	}
	if res.Plan != nil {
		return errors.Join(err, printPlan(g, res.Plan))
	}
	if !g.json {
		printSummary(g.stdout, res.Record)
		if t := res.Traffic; t != nil {
			fmt.Fprintf(g.stdout, "traffic probe %s: %d requests, %d failed (%s), p99 %s, max %s\n",
				tf.url, t.Requests, t.Failed, t.KindsString(), t.P99.Round(time.Millisecond), t.Max.Round(time.Millisecond))
		}
		pausedNext(g, res.Record)
	}
	return err
}

func printPlan(g *globals, p *schema.Plan) error {
	if g.json {
		return json.NewEncoder(g.stdout).Encode(p)
	}
	fmt.Fprintf(g.stdout, "plan: %s %s to %s in %d batches (dry run: nothing touched)\n", p.Kind, p.Service, dash(p.Target), len(p.Batches))
	for i, b := range p.Batches {
		var cur []string
		for _, in := range b.Instances {
			cur = append(cur, fmt.Sprintf("%s (on %s)", in.Name, dash(in.Current)))
		}
		fmt.Fprintf(g.stdout, "  batch %d: %s\n", i+1, strings.Join(cur, ", "))
		printPlanAnalysis(g.stdout, b) // plan_analysis.go
		if b.PauseAfterSeconds > 0 {
			fmt.Fprintf(g.stdout, "  pause %s, watched: a restart or failed probe of an updated instance fails batch %d\n", seconds(b.PauseAfterSeconds), i+1)
		}
		if b.GateAfter {
			fmt.Fprintf(g.stdout, "  approval gate: the rollout stops here, paused (exit 3), until `sysroll promote %s`\n", p.Service)
		}
	}
	fmt.Fprintf(g.stdout, "each instance: drain, switch, restart, ready + healthy for %s within %s, undrain; on failure: %s\n",
		seconds(p.HealthyFor), seconds(p.Deadline), p.FailureAction)
	return nil
}

// seconds renders a schema duration (seconds) the way Go prints durations.
func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
