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

	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/systemd"
	"github.com/sysroll/sysroll/internal/systemd/systemdtest"
)

// onV2 reports whether the restarted unit u of shop points at v2 now.
func (w *world) onV2(u *systemd.UnitState) bool {
	inst := strings.TrimSuffix(strings.TrimPrefix(u.Name, "shop@"), ".service")
	cur, _ := w.store("shop").Current(inst)
	return cur == "v2"
}

// wantOn requires every instance of three on version.
func (w *world) wantOn(t *testing.T, version string) {
	t.Helper()
	cur := w.current("shop")
	for _, inst := range three {
		if cur[inst] != version {
			t.Fatalf("instances %v, want all on %s", cur, version)
		}
		if st, _ := w.fake.State("shop@" + inst + ".service"); !st.Running() {
			t.Fatalf("%s is %s/%s, want running", inst, st.ActiveState, st.SubState)
		}
	}
}

// A rollout that halted partway (failure_action: halt), with 1 of 3
// instances on v2, is completed by `deploy --resume` once the cause is
// fixed: the failed step is taken again and the rest follow.
func TestResumeCompletesAHaltedRollout(t *testing.T) {
	tests := []struct {
		name string
		// breakIt makes the deploy halt with 8081 on v2; fix undoes that.
		breakIt func(w *world) rollout.Progress
		fix     func(w *world)
	}{
		{"8081 failed its start on v2", func(w *world) rollout.Progress {
			w.fake.OnRestart("shop@8081.service", func(u *systemd.UnitState) systemd.JobResult {
				if w.onV2(u) {
					return systemdtest.FailJob(u)
				}
				return systemd.JobDone
			})
			return nil
		}, func(w *world) { w.fake.OnRestart("shop@8081.service", nil) }},
		{"a preflight refused batch 2", func(w *world) rollout.Progress {
			return rollout.ProgressFunc(func(e rollout.Event) {
				if e.Type == rollout.EventInstanceDone && e.Instance == "8081" {
					w.fake.Set("shop@8083.service", systemdtest.Failed)
				}
			})
		}, func(w *world) {
			if err := w.fake.Restart(context.Background(), "shop@8083.service"); err != nil {
				w.t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newWorld(t)
				w.install("shop", three, "rollout:", "  failure_action: halt")
				p := tt.breakIt(w)
				res, err := w.h.Deploy(t.Context(), DeployOptions{Service: "shop", Artifact: w.artifact("v2"), Version: "v2"}, p)
				if err == nil || res.Record.Result != release.ResultHalted {
					t.Fatalf("deploy: %v %+v", err, res.Record)
				}
				if cur := w.current("shop"); cur["8081"] != "v2" || cur["8082"] != "v1" || cur["8083"] != "v1" {
					t.Fatalf("after the halt: %v, want 8081 alone on v2", cur)
				}
				halted := res.Record.ID
				tt.fix(w)
				res, err = w.h.Resume(t.Context(), ResumeOptions{Service: "shop"}, nil)
				if err != nil {
					t.Fatalf("deploy --resume: %v", err)
				}
				if res.Record.ID != halted || res.Record.Result != release.ResultSucceeded {
					t.Errorf("resume: rollout %s %s, want %s succeeded", res.Record.ID, res.Record.Result, halted)
				}
				w.wantOn(t, "v2")
				if good, _ := w.store("shop").KnownGood(); good != "v2" {
					t.Errorf("known good %q after the resumed rollout, want v2", good)
				}
			})
		})
	}
}

// rollback without --to after a rollout that ended partway undoes that
// rollout: every instance back on its From. With instances split by hand
// (no rollout explains it) there is no clear target: the refusal says
// where each instance is and names --to.
func TestRollbackAfterAPartialRollout(t *testing.T) {
	tests := []struct {
		name string
		// setup leaves the service split; it returns the ID of the rollout
		// rollback must undo, "" if none.
		setup func(t *testing.T, w *world) string
		// refusal is what the rollback's refusal must say; "" for none.
		refusal []string
		// want is where a rollback that goes through leaves every instance.
		want string
	}{
		{"halted with 1 of 3 on v2", func(t *testing.T, w *world) string {
			w.install("shop", three, "rollout:", "  failure_action: halt")
			w.fake.OnRestart("shop@8081.service", func(u *systemd.UnitState) systemd.JobResult {
				if w.onV2(u) {
					return systemdtest.FailJob(u)
				}
				return systemd.JobDone
			})
			res, err := w.h.Deploy(t.Context(), DeployOptions{Service: "shop", Artifact: w.artifact("v2"), Version: "v2"}, nil)
			if err == nil || res.Record.Result != release.ResultHalted {
				t.Fatalf("deploy: %v %+v", err, res.Record)
			}
			return res.Record.ID
		}, nil, "v1"},
		{"failed: 8082's revert failed", func(t *testing.T, w *world) string {
			w.install("shop", three)
			starts := 0
			w.fake.OnRestart("shop@8082.service", func(u *systemd.UnitState) systemd.JobResult {
				// Its start on v2 fails, and so does its revert to v1.
				if starts++; starts <= 2 {
					return systemdtest.FailJob(u)
				}
				return systemd.JobDone
			})
			res, err := w.h.Deploy(t.Context(), DeployOptions{Service: "shop", Artifact: w.artifact("v2"), Version: "v2"}, nil)
			if err == nil || res.Record.Result != release.ResultFailed {
				t.Fatalf("deploy: %v %+v", err, res.Record)
			}
			if cur := w.current("shop"); cur["8081"] != "v2" || cur["8082"] != "v1" {
				t.Fatalf("after the failed revert: %v", cur)
			}
			return res.Record.ID
		}, nil, "v1"},
		{"split by hand", func(t *testing.T, w *world) string {
			w.install("shop", three)
			s := w.store("shop")
			if _, err := s.Stage(t.Context(), w.artifact("v2"), release.StageOptions{Version: "v2"}); err != nil {
				t.Fatal(err)
			}
			if err := s.Switch("8081", "v2"); err != nil {
				t.Fatal(err)
			}
			return ""
		}, []string{"several releases", "8081 on v2 (active/running), 8082 on v1 (active/running), 8083 on v1 (active/running)", "sysroll rollback shop --to VERSION"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newWorld(t)
				id := tt.setup(t, w)
				calls := len(w.fake.Calls())
				res, err := w.h.Rollback(t.Context(), RollbackOptions{Service: "shop"}, nil)
				if tt.refusal != nil {
					for _, want := range tt.refusal {
						wantInput(t, err, want)
					}
					if c := w.fake.Calls()[calls:]; slices.ContainsFunc(c, func(c systemdtest.Call) bool { return c.Op == systemdtest.OpRestart }) {
						t.Errorf("the refused rollback restarted units: %+v", c)
					}
					return
				}
				if err != nil {
					t.Fatalf("rollback: %v", err)
				}
				if res.Record.ID != id || res.Record.Result != release.ResultRolledBack {
					t.Errorf("rollback: rollout %s %s, want %s rolled back", res.Record.ID, res.Record.Result, id)
				}
				w.wantOn(t, tt.want)
			})
		})
	}
}

// A split that the newest rollout explains (a failure the budget
// tolerated, reverted) still has a clear target: the release before the
// rollout's.
func TestRollbackAfterAToleratedFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.install("shop", three, "rollout:", "  failure_budget: 1")
		w.fake.OnRestart("shop@8082.service", func(u *systemd.UnitState) systemd.JobResult {
			if w.onV2(u) {
				return systemdtest.FailJob(u)
			}
			return systemd.JobDone
		})
		res, err := w.h.Deploy(t.Context(), DeployOptions{Service: "shop", Artifact: w.artifact("v2"), Version: "v2"}, nil)
		if err != nil {
			t.Fatalf("deploy: %v", err)
		}
		if res.Record.Result != release.ResultSucceeded {
			t.Fatalf("deploy: %+v", res.Record)
		}
		res, err = w.h.Rollback(t.Context(), RollbackOptions{Service: "shop"}, nil)
		if err != nil {
			t.Fatalf("rollback: %v", err)
		}
		if res.Record.Kind != release.KindRollback || res.Record.To != "v1" {
			t.Fatalf("rollback: %+v", res.Record)
		}
		w.wantOn(t, "v1")
	})
}

// An instance apply removed while a rollout was unfinished keeps its part
// in the record: the resume or rollback leaves it alone and marks it
// removed, and history still shows what the rollout did to it.
func TestRemovedInstanceStaysInTheRecord(t *testing.T) {
	for _, verb := range []string{"resume", "rollback"} {
		t.Run(verb, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newWorld(t)
				w.install("shop", three)
				rec := interruptAfterFirst(t, w)
				// 8081 is the instance the rollout moved to v2.
				if _, err := w.h.Apply(t.Context(), ApplyOptions{File: w.serviceFile("shop", three[1:])}); err != nil {
					t.Fatal(err)
				}
				var err error
				if verb == "resume" {
					_, err = w.h.Resume(t.Context(), ResumeOptions{Service: "shop"}, nil)
				} else {
					_, err = w.h.Rollback(t.Context(), RollbackOptions{Service: "shop"}, nil)
				}
				if err != nil {
					t.Fatalf("%s: %v", verb, err)
				}
				saved, err := w.store("shop").Record(rec.ID)
				if err != nil {
					t.Fatal(err)
				}
				var names []string
				for _, in := range saved.Instances {
					names = append(names, in.Name)
				}
				if !slices.Equal(names, three) {
					t.Fatalf("record after %s lists %v, want all of %v", verb, names, three)
				}
				gone := saved.Instances[0]
				if !gone.Removed || gone.Phase != release.PhaseDone || gone.To != "v2" {
					t.Errorf("8081 in the record: %+v, want removed after it was done on v2", gone)
				}
				if slices.ContainsFunc(saved.Instances[1:], func(in release.Instance) bool { return in.Removed }) {
					t.Errorf("instances still in the service marked removed: %+v", saved.Instances)
				}
				if hist, err := w.h.History(t.Context(), HistoryOptions{Service: "shop"}); err != nil || len(hist.Rollouts) == 0 {
					t.Errorf("history: %v", err)
				}
			})
		})
	}
}

// kill -9 during a rollback of a rollout that failed, then `deploy
// --resume`: the rollback is completed toward its target (every instance
// back on v1), not taken up as the failing deploy, which failure_action
// halt would leave where it was.
func TestResumeCompletesAKilledRollback(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.install("shop", three, "rollout:", "  failure_action: halt")
		w.fake.OnRestart("shop@8082.service", func(u *systemd.UnitState) systemd.JobResult {
			if w.onV2(u) {
				return systemdtest.FailJob(u)
			}
			return systemd.JobDone
		})
		res, err := w.h.Deploy(t.Context(), DeployOptions{Service: "shop", Artifact: w.artifact("v2"), Version: "v2"}, nil)
		if err == nil || res.Record.Result != release.ResultHalted {
			t.Fatalf("deploy: %v %+v", err, res.Record)
		}
		id := res.Record.ID
		// The rollback reverts 8082 (newest batch) first, then 8081. What a
		// kill -9 leaves once 8081's revert is recorded and nothing more:
		// the record as saved then, 8081 still on v2.
		var atKill *release.Record
		kill := rollout.ProgressFunc(func(e rollout.Event) {
			if e.Type == rollout.EventRevert && e.Instance == "8081" {
				r, err := w.store("shop").Record(id)
				if err != nil {
					t.Error(err)
					return
				}
				atKill = r
			}
		})
		if _, err := w.h.Rollback(t.Context(), RollbackOptions{Service: "shop"}, kill); err != nil || atKill == nil {
			t.Fatalf("rollback: %v (record at the kill: %v)", err, atKill)
		}
		atKill.PID = 1<<22 + 1 // gone
		if err := w.store("shop").SaveRecord(atKill); err != nil {
			t.Fatal(err)
		}
		if err := w.store("shop").Switch("8081", "v2"); err != nil {
			t.Fatal(err)
		}

		res, err = w.h.Resume(t.Context(), ResumeOptions{Service: "shop"}, nil)
		if err != nil {
			t.Fatalf("deploy --resume: %v", err)
		}
		if res.Record.ID != id {
			t.Errorf("deploy --resume took up rollout %s, want %s", res.Record.ID, id)
		}
		w.wantOn(t, "v1")
		saved, err := w.store("shop").Record(id)
		if err != nil {
			t.Fatal(err)
		}
		if saved.Result != release.ResultRolledBack || !saved.Undo {
			t.Errorf("record after the resume: %s (undo %v), want rolled back", saved.Result, saved.Undo)
		}
		for _, in := range saved.Instances {
			if want := map[string]release.Phase{"8081": release.PhaseReverted, "8082": release.PhaseReverted, "8083": release.PhasePending}[in.Name]; in.Phase != want {
				t.Errorf("%s in the record: %s, want %s", in.Name, in.Phase, want)
			}
		}
	})
}

// A rollout record found corrupt while a rollout verb reads the records is
// moved aside and skipped; the verb says so at once, once, naming the file.
func TestVerbsWarnOfAQuarantinedRecord(t *testing.T) {
	for _, verb := range []string{"deploy", "rollback", "restart", "resume"} {
		t.Run(verb, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newWorld(t)
				w.install("shop", three)
				if _, err := w.h.Deploy(t.Context(), DeployOptions{Service: "shop", Artifact: w.artifact("v2"), Version: "v2"}, nil); err != nil {
					t.Fatal(err)
				}
				bad := filepath.Join(w.store("shop").Dir(), "rollouts", "20261125T160000-9f3e.json")
				if err := os.WriteFile(bad, []byte(`{"id":"20261125T160000-9f3e","kind":"deploy","batch`), 0o600); err != nil {
					t.Fatal(err)
				}
				var ev events
				var err error
				switch verb {
				case "deploy":
					_, err = w.h.Deploy(t.Context(), DeployOptions{Service: "shop", Artifact: w.artifact("v3"), Version: "v3"}, &ev)
				case "rollback":
					_, err = w.h.Rollback(t.Context(), RollbackOptions{Service: "shop"}, &ev)
				case "restart":
					_, err = w.h.Restart(t.Context(), RestartOptions{Service: "shop"}, &ev)
				case "resume":
					// Nothing to resume: refused, but the warning is given.
					_, err = w.h.Resume(t.Context(), ResumeOptions{Service: "shop"}, &ev)
					wantInput(t, err, "no interrupted rollout")
					err = nil
				}
				if err != nil {
					t.Fatalf("%s: %v", verb, err)
				}
				var warned []rollout.Event
				for _, e := range ev.list {
					if e.Type == rollout.EventWarning && strings.Contains(e.Message, bad) {
						warned = append(warned, e)
					}
				}
				if len(warned) != 1 || !strings.Contains(warned[0].Message, "rollout record") || !strings.Contains(warned[0].Message, bad+".corrupt-") {
					t.Errorf("warnings naming %s: %+v, want one saying it was moved aside", bad, warned)
				}
				if _, err := os.Stat(bad); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("the corrupt record is still in place: %v", err)
				}
			})
		})
	}
}

// A restart or deploy that the preflight refused (an instance masked by
// hand) ends halted with nothing touched: a plain rollback afterwards goes
// to the release before the current one. It used to "undo" the refused
// rollout, doing nothing and reporting it rolled back, exit 0.
func TestRollbackAfterARefusedRollout(t *testing.T) {
	two := []string{"8081", "8082"}
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, w *world) (*RolloutResult, error)
	}{
		{"restart", func(t *testing.T, w *world) (*RolloutResult, error) {
			return w.h.Restart(t.Context(), RestartOptions{Service: "shop"}, nil)
		}},
		{"deploy", func(t *testing.T, w *world) (*RolloutResult, error) {
			return w.h.Deploy(t.Context(), DeployOptions{Service: "shop", Artifact: w.artifact("v3"), Version: "v3"}, nil)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newWorld(t)
				w.install("shop", two)
				if _, err := w.h.Deploy(t.Context(), DeployOptions{Service: "shop", Artifact: w.artifact("v2"), Version: "v2"}, nil); err != nil {
					t.Fatal(err)
				}
				w.fake.Set("shop@8082.service", func(u *systemd.UnitState) { u.LoadState = "masked" })
				res, err := tc.run(t, w)
				if err == nil || res == nil || res.Record.Result != release.ResultHalted || !untouched(*res.Record) {
					t.Fatalf("%s with 8082 masked: %v, want halted by the preflight", tc.name, err)
				}
				w.fake.Set("shop@8082.service", func(u *systemd.UnitState) { u.LoadState = "loaded" })
				res, err = w.h.Rollback(t.Context(), RollbackOptions{Service: "shop"}, nil)
				if err != nil {
					t.Fatalf("rollback: %v", err)
				}
				if res.Record.Kind != release.KindRollback || res.Record.To != "v1" || res.Record.Result != release.ResultSucceeded {
					t.Errorf("rollback: %s %s to %s, want a rollback to v1 that succeeded", res.Record.ID, res.Record.Kind, res.Record.To)
				}
				if cur := w.current("shop"); cur["8081"] != "v1" || cur["8082"] != "v1" {
					t.Errorf("after rollback: %v", cur)
				}
			})
		})
	}
}
