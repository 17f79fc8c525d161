package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/traffic"
)

func newDeployCmd(g *globals) *cobra.Command {
	var artifact, version, check string
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
binary must be executable, and --check (e.g. "hello -print-version") must exit 0.

Ctrl-C finishes or reverts the step in progress and exits; no instance is
left stopped or drained. After a crash or kill -9, ` + "`sysroll status`" + ` tells the
truth and --resume completes the rollout (or ` + "`sysroll rollback`" + ` undoes it).`,
		Example: `  sysroll deploy hello --artifact ./hello-v2 --version v2 --check "hello -print-version"
  sysroll deploy hello --artifact ./hello-v2 --dry-run
  sysroll deploy hello --resume
  sysroll deploy hello --artifact app.tar.gz --json | jq -c 'select(.type=="instance-failed")'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := tf.validate(); err != nil {
				return err
			}
			if resume {
				if artifact != "" || version != "" {
					return usagef("--resume continues the interrupted rollout: it takes no --artifact or --version")
				}
				return runResume(cmd.Context(), g, args[0], tf)
			}
			if artifact == "" {
				return usagef("deploy needs --artifact PATH (or --resume)")
			}
			var checkArgv []string
			if check != "" {
				var err error
				if checkArgv, err = config.SplitCommand(check); err != nil {
					return usagef("--check: %w", err)
				}
			}
			return runDeploy(cmd.Context(), g, args[0], artifact, release.StageOptions{Version: version, Check: checkArgv}, dryRun, tf)
		},
	}
	tf.register(cmd)
	f := cmd.Flags()
	f.StringVar(&artifact, "artifact", "", "the new release: a binary, a directory or a .tar.gz")
	f.StringVar(&version, "version", "", "name of the release (default: the first 12 hex digits of its sha256)")
	f.StringVar(&check, "check", "", "command run in the staged release that must exit 0 before any instance is touched")
	f.BoolVar(&dryRun, "dry-run", false, "stage and check the release, print the plan, touch no instance")
	f.BoolVar(&resume, "resume", false, "complete the interrupted rollout of NAME")
	return cmd
}

func runDeploy(ctx context.Context, g *globals, name, artifact string, opts release.StageOptions, dryRun bool, tf trafficFlags) error {
	e, err := openRollout(ctx, g, name)
	if err != nil {
		return err
	}
	e.traffic = tf
	defer e.close()
	if rec, err := unfinished(e.store); err != nil {
		return err
	} else if rec != nil {
		return fmt.Errorf("rollout %s of %s was interrupted (%s); finish it first: `sysroll deploy %s --resume` or `sysroll rollback %s`", rec.ID, name, rec.Reason, name, name)
	}
	rel, err := e.store.Stage(ctx, artifact, opts)
	if err != nil {
		return asUsage(fmt.Errorf("release rejected, no instance touched: %w", err))
	}
	if !g.json {
		fmt.Fprintf(g.stdout, "staged release %s (sha256 %s, %s)\n", rel.Version, rel.SHA256[:12], rel.Kind)
	}
	spec := e.spec(release.KindDeploy, rel.Version)
	if dryRun {
		return printPlan(g, e, spec)
	}
	return e.run(ctx, g, func(p rollout.Progress) (*release.Record, error) {
		return rollout.Run(ctx, spec, e.deps(g, p))
	})
}

// run executes one rollout, prints its summary, and marks success.
func (e *rolloutEnv) run(ctx context.Context, g *globals, do func(rollout.Progress) (*release.Record, error)) error {
	if err := checkDrainer(ctx, drainerFor(e.svc, e.store), e.svc.InstanceNames()); err != nil {
		return err
	}
	var stop func() traffic.Snapshot
	e.stats, stop = e.traffic.start(ctx)
	rec, runErr := do(g.progress(e.stats))
	snap := stop()
	if !g.json {
		printSummary(g.stdout, rec)
		if e.stats != nil {
			fmt.Fprintf(g.stdout, "traffic probe %s: %d requests, %d failed (%s), p99 %s, max %s\n",
				e.traffic.url, snap.Requests, snap.Failed, snap.KindsString(), snap.P99.Round(time.Millisecond), snap.Max.Round(time.Millisecond))
		}
	} else if e.stats != nil {
		_ = json.NewEncoder(g.stdout).Encode(map[string]any{"type": "traffic", "url": e.traffic.url, "traffic": snap})
	}
	if err := e.finish(rec); err != nil {
		return errors.Join(runErr, err)
	}
	if runErr != nil {
		if errors.Is(runErr, context.Canceled) {
			n := e.svc.Name
			return fmt.Errorf("interrupted: the step in progress was finished or reverted (see `sysroll status %s`); complete the rollout with `sysroll deploy %s --resume` or undo it with `sysroll rollback %s`", n, n, n)
		}
		return runErr
	}
	return nil
}

func printPlan(g *globals, e *rolloutEnv, spec rollout.Spec) error {
	batches, err := rollout.Plan(spec.Instances, spec.Strategy)
	if err != nil {
		return asUsage(err)
	}
	if g.json {
		return json.NewEncoder(g.stdout).Encode(map[string]any{"service": spec.Service, "kind": spec.Kind, "target": spec.Target, "batches": batches})
	}
	fmt.Fprintf(g.stdout, "plan: %s %s to %s in %d batches (dry run: nothing touched)\n", spec.Kind, spec.Service, dash(spec.Target), len(batches))
	for i, b := range batches {
		var cur []string
		for _, inst := range b {
			v, _ := e.store.Current(inst)
			cur = append(cur, fmt.Sprintf("%s (on %s)", inst, dash(v)))
		}
		fmt.Fprintf(g.stdout, "  batch %d: %s\n", i+1, strings.Join(cur, ", "))
	}
	gate := spec.Gate
	fmt.Fprintf(g.stdout, "each instance: drain, switch, restart, ready + healthy for %s within %s, undrain; on failure: %s\n",
		gate.HealthyFor, gate.Deadline, spec.Strategy.FailureAction)
	return nil
}

func runResume(ctx context.Context, g *globals, name string, tf trafficFlags) error {
	e, err := openRollout(ctx, g, name)
	if err != nil {
		return err
	}
	e.traffic = tf
	defer e.close()
	rec, err := unfinished(e.store)
	if err != nil {
		return err
	}
	if rec == nil {
		return usagef("no interrupted rollout of %s to resume", name)
	}
	spec := e.spec(rec.Kind, rec.To)
	spec.ID = rec.ID
	return e.run(ctx, g, func(p rollout.Progress) (*release.Record, error) {
		return rollout.Resume(ctx, rec, spec, e.deps(g, p))
	})
}
