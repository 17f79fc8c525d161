package host

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/systemd"
	"github.com/sysroll/sysroll/internal/systemd/systemdtest"
)

var three = []string{"8081", "8082", "8083"}

func TestDeployMarksGoodAndPrunes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.install("shop", three, "releases_keep: 2")
		ctx := t.Context()
		for _, v := range []string{"v2", "v3"} {
			var ev events
			res, err := w.h.Deploy(ctx, DeployOptions{Service: "shop", Artifact: w.artifact(v), Version: v}, &ev)
			if err != nil {
				t.Fatalf("deploy %s: %v", v, err)
			}
			if res.Record.Result != release.ResultSucceeded || res.Staged.Version != v {
				t.Fatalf("deploy %s: %+v", v, res.Record)
			}
			if ev.list[0].Type != rollout.EventStaged || !strings.HasPrefix(ev.list[0].Message, v+" (sha256 ") {
				t.Errorf("first event %+v, want the staged release", ev.list[0])
			}
		}
		s := w.store("shop")
		if good, _ := s.KnownGood(); good != "v3" {
			t.Errorf("known good %q, want v3", good)
		}
		rels, _ := s.Releases()
		var vs []string
		for _, r := range rels {
			vs = append(vs, r.Version)
		}
		if slices.Contains(vs, "v1") || len(vs) != 2 {
			t.Errorf("releases after pruning to 2: %v", vs)
		}
		if r := w.restarts(); len(r) != 6 {
			t.Errorf("restarts %v, want each instance twice", r)
		}
	})
}

func TestDeployRejectsABadReleaseBeforeTouchingAnything(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.install("shop", three)
		_, err := w.h.Deploy(t.Context(), DeployOptions{Service: "shop", Artifact: filepath.Join(w.dir, "missing")}, nil)
		wantInput(t, err, "release rejected, no instance touched")
		// A failing --check: TestDeployFailedCheckIsAFailedOperation.
		if r := w.restarts(); len(r) != 0 {
			t.Errorf("restarted %v", r)
		}
	})
}

// A failed batch is rolled back and the release never becomes good.
func TestDeployFailureRollsBackAndKeepsKnownGood(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.install("shop", three)
		bad := 0
		w.fake.OnRestart("shop@*.service", func(u *systemd.UnitState) systemd.JobResult {
			if cur, _ := w.store("shop").Current(strings.TrimSuffix(strings.TrimPrefix(u.Name, "shop@"), ".service")); cur == "v2" {
				bad++
				return systemdtest.FailJob(u)
			}
			return systemd.JobDone
		})
		res, err := w.h.Deploy(t.Context(), DeployOptions{Service: "shop", Artifact: w.artifact("v2"), Version: "v2"}, nil)
		if _, ok := errors.AsType[*rollout.FailedError](err); !ok {
			t.Fatalf("deploy error %v, want a FailedError", err)
		}
		if res.Record.Result != release.ResultRolledBack || bad != 1 {
			t.Errorf("result %s after %d failed starts, want rolled-back after 1", res.Record.Result, bad)
		}
		if good, _ := w.store("shop").KnownGood(); good != "v1" {
			t.Errorf("known good %q after a failed deploy", good)
		}
		if cur := w.current("shop"); cur["8081"] != "v1" || cur["8082"] != "v1" || cur["8083"] != "v1" {
			t.Errorf("instances after rollback: %v", cur)
		}
	})
}

func TestLoadBalancerIsCheckedBeforeAnyInstance(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.install("shop", three, "rollout:", "  haproxy: {socket: "+filepath.Join(w.dir, "no-haproxy.sock")+", backend: shop}")
		_, err := w.h.Deploy(t.Context(), DeployOptions{Service: "shop", Artifact: w.artifact("v2")}, nil)
		if err == nil || !strings.Contains(err.Error(), "load balancer check failed, no instance touched") {
			t.Fatalf("deploy error %v", err)
		}
		if r := w.restarts(); len(r) != 0 {
			t.Errorf("restarted %v despite the failed check", r)
		}
	})
}

func TestSecondRolloutIsRefusedWhileTheLockIsHeld(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.install("shop", three)
		lock, err := w.store("shop").Lock(release.LockInfo{User: "alice", Command: "sysroll deploy shop"})
		if err != nil {
			t.Fatal(err)
		}
		defer lock.Unlock()
		_, err = w.h.Restart(t.Context(), RestartOptions{Service: "shop"}, nil)
		if !errors.Is(err, release.ErrLocked) || !strings.Contains(err.Error(), "alice") {
			t.Errorf("restart while locked: %v", err)
		}
		if w.connections != 1 {
			t.Errorf("connected to systemd %d times: the lock comes first", w.connections)
		}
	})
}

// An interrupted rollout must be resumed or rolled back before another
// begins; Resume completes it and its release becomes good.
func TestInterruptedRolloutBlocksOthersUntilResumed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.install("shop", three)
		ctx, cancel := context.WithCancel(t.Context())
		stopAfterFirst := rollout.ProgressFunc(func(e rollout.Event) {
			if e.Type == rollout.EventInstanceDone {
				cancel()
			}
		})
		res, err := w.h.Deploy(ctx, DeployOptions{Service: "shop", Artifact: w.artifact("v2"), Version: "v2"}, stopAfterFirst)
		if !errors.Is(err, ErrInterrupted) || !errors.Is(err, context.Canceled) {
			t.Fatalf("deploy error %v, want ErrInterrupted wrapping context.Canceled", err)
		}
		if !strings.Contains(err.Error(), "sysroll deploy shop --resume") {
			t.Errorf("interrupt message does not say how to go on: %v", err)
		}
		if res.Record.Result != release.ResultInterrupted {
			t.Fatalf("record %s", res.Record.Result)
		}
		for _, try := range []func() error{
			func() error {
				_, err := w.h.Deploy(t.Context(), DeployOptions{Service: "shop", Artifact: w.artifact("v3")}, nil)
				return err
			},
			func() error { _, err := w.h.Restart(t.Context(), RestartOptions{Service: "shop"}, nil); return err },
		} {
			if err := try(); err == nil || !strings.Contains(err.Error(), "was interrupted") {
				t.Errorf("a new rollout over an interrupted one: %v", err)
			}
		}
		_, err = w.h.Rollback(t.Context(), RollbackOptions{Service: "shop", To: "v1"}, nil)
		wantInput(t, err, "roll it back first")

		res, err = w.h.Resume(t.Context(), ResumeOptions{Service: "shop"}, nil)
		if err != nil || res.Record.ID == "" || res.Record.Result != release.ResultSucceeded {
			t.Fatalf("resume: %v %+v", err, res)
		}
		if cur := w.current("shop"); cur["8081"] != "v2" || cur["8082"] != "v2" || cur["8083"] != "v2" {
			t.Errorf("after resume: %v", cur)
		}
		if good, _ := w.store("shop").KnownGood(); good != "v2" {
			t.Errorf("known good after resume %q", good)
		}
		_, err = w.h.Resume(t.Context(), ResumeOptions{Service: "shop"}, nil)
		wantInput(t, err, "no interrupted rollout")
	})
}

func TestRollbackTarget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.install("shop", three)
		ctx := t.Context()
		_, err := w.h.Rollback(ctx, RollbackOptions{Service: "shop"}, nil)
		wantInput(t, err, "no known-good release before v1")
		_, err = w.h.Rollback(ctx, RollbackOptions{Service: "shop", To: "v9"}, nil)
		wantInput(t, err, "v9")
		if _, err := w.h.Deploy(ctx, DeployOptions{Service: "shop", Artifact: w.artifact("v2"), Version: "v2"}, nil); err != nil {
			t.Fatal(err)
		}
		res, err := w.h.Rollback(ctx, RollbackOptions{Service: "shop", DryRun: true}, nil)
		if err != nil || res.Plan == nil || res.Plan.Target != "v1" || len(res.Plan.Batches) != 3 || res.Plan.Batches[0].Instances[0].Current != "v2" {
			t.Fatalf("rollback plan: %v %+v", err, res)
		}
		res, err = w.h.Rollback(ctx, RollbackOptions{Service: "shop"}, nil)
		if err != nil || res.Record.To != "v1" || res.Record.From != "v2" {
			t.Fatalf("rollback: %v %+v", err, res.Record)
		}
	})
}

// With instances split evenly, what a rollback calls current and what the
// next record calls "from" is the same release: one majority function.
func TestCurrentReleaseAgreesWithTheRecord(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		four := []string{"8081", "8082", "8083", "8084"}
		w.install("shop", four)
		s := w.store("shop")
		if _, err := s.Stage(t.Context(), w.artifact("v0"), release.StageOptions{Version: "v0"}); err != nil {
			t.Fatal(err)
		}
		// v0 sorts before v1, and the first two instances run it.
		for _, inst := range four[:2] {
			if err := s.Switch(inst, "v0"); err != nil {
				t.Fatal(err)
			}
		}
		cur, err := currentRelease(s, four)
		if err != nil {
			t.Fatal(err)
		}
		res, err := w.h.Restart(t.Context(), RestartOptions{Service: "shop"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if cur != "v0" || res.Record.From != cur {
			t.Errorf("current release %q, record from %q: want both v0 (the first instance's)", cur, res.Record.From)
		}
	})
}

func TestTrafficProofIsValidatedFirst(t *testing.T) {
	w := newWorld(t)
	for _, p := range []*TrafficProof{
		{URL: "ftp://x", Rate: 1},
		{URL: "http://x/", Rate: 0},
		{URL: "http://x/", Rate: 5000},
		{URL: "http://x/", Rate: 1, MaxFailures: -1},
	} {
		_, err := w.h.Deploy(t.Context(), DeployOptions{Service: "ghost", Artifact: "x", Traffic: p}, nil)
		wantInput(t, err, "--probe")
	}
}

func TestDryRunTouchesNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.install("shop", three, "rollout:", "  batch: 2")
		res, err := w.h.Deploy(t.Context(), DeployOptions{Service: "shop", Artifact: w.artifact("v2"), Version: "v2", DryRun: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if p := res.Plan; p == nil || len(p.Batches) != 2 || len(p.Batches[0].Instances) != 2 || p.HealthyFor != 1 || p.FailureAction != "rollback" {
			t.Errorf("plan %+v", res.Plan)
		}
		if r := w.restarts(); len(r) != 0 {
			t.Errorf("dry run restarted %v", r)
		}
		recs, _ := w.store("shop").Records()
		if len(recs) != 0 {
			t.Errorf("dry run recorded %d rollouts", len(recs))
		}
	})
}

func TestHistory(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.install("shop", three)
		for range 3 {
			time.Sleep(time.Second) // distinct record times
			if _, err := w.h.Restart(t.Context(), RestartOptions{Service: "shop"}, nil); err != nil {
				t.Fatal(err)
			}
		}
		h, err := w.h.History(t.Context(), HistoryOptions{Service: "shop", Limit: 2})
		if err != nil || len(h.Rollouts) != 2 || h.Schema == "" {
			t.Fatalf("history: %v %+v", err, h)
		}
		if !h.Rollouts[0].Started.After(h.Rollouts[1].Started) {
			t.Errorf("history not newest first")
		}
		_, err = w.h.History(t.Context(), HistoryOptions{Service: "shop", Limit: -1})
		wantInput(t, err, "--limit")
	})
}

func TestVerbsOnAServiceNotInstalled(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	for name, err := range map[string]error{
		"status":  second(w.h.Status(ctx, StatusOptions{Service: "ghost"})),
		"history": second(w.h.History(ctx, HistoryOptions{Service: "ghost"})),
		"restart": second(w.h.Restart(ctx, RestartOptions{Service: "ghost"}, nil)),
		"resume":  second(w.h.Resume(ctx, ResumeOptions{Service: "ghost"}, nil)),
	} {
		if err == nil || !strings.Contains(err.Error(), `service "ghost" is not installed here`) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := os.Stat(w.h.StateRoot); !os.IsNotExist(err) {
		t.Errorf("asking about a missing service created %s", w.h.StateRoot)
	}
}

func second[T any](_ T, err error) error { return err }
