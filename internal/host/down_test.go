package host

import (
	"slices"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/systemd"
)

// crashLoop puts insts where a crash-looping instance sits most of the
// time: its process exited, Restart= about to start it again.
func (w *world) crashLoop(service string, insts ...string) {
	w.t.Helper()
	for _, in := range insts {
		w.fake.Set(service+"@"+in+".service", func(u *systemd.UnitState) {
			u.ActiveState, u.SubState = systemd.Activating, "auto-restart"
			u.MainPID, u.Result = 0, "exit-code"
			u.ExecMainCode, u.ExecMainStatus = 1, 1
			u.NRestarts++
		})
	}
}

// belowFloor lists the warnings saying a batch went on below the capacity
// floor.
func (e *events) belowFloor() []string {
	var out []string
	for _, ev := range e.list {
		if ev.Type == rollout.EventWarning && strings.Contains(ev.Message, "costs no capacity") {
			out = append(out, ev.Message)
		}
	}
	return out
}

// A service whose every instance crash-loops (a bad first release) can be
// repaired by the verbs that converge it, not only by uninstall --purge:
// there is no capacity left to protect, and each batch says so.
func TestEntirelyDownServiceIsRepaired(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, w *world, p rollout.Progress) (*RolloutResult, error)
		want string // every instance's release after
	}{
		{"deploy a good release", func(t *testing.T, w *world, p rollout.Progress) (*RolloutResult, error) {
			return w.h.Deploy(t.Context(), DeployOptions{Service: "shop", Artifact: w.artifact("v2"), Version: "v2"}, p)
		}, "v2"},
		{"restart", func(t *testing.T, w *world, p rollout.Progress) (*RolloutResult, error) {
			return w.h.Restart(t.Context(), RestartOptions{Service: "shop"}, p)
		}, "v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newWorld(t)
				w.install("shop", three)
				w.crashLoop("shop", three...)
				var ev events
				res, err := tt.run(t, w, &ev)
				if err != nil || res.Record.Result != release.ResultSucceeded {
					t.Fatalf("on an entirely down service: %v", err)
				}
				for in, v := range w.current("shop") {
					if v != tt.want {
						t.Errorf("%s on %s, want %s", in, v, tt.want)
					}
				}
				if got := ev.belowFloor(); len(got) == 0 {
					t.Errorf("no batch said it went on below the capacity floor")
				}
			})
		})
	}
}

// rollback --to a release proven good, from a state where every instance
// crash-loops on the current one.
func TestRollbackToFromEntirelyDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.install("shop", three)
		for _, v := range []string{"v2", "v3"} {
			if _, err := w.h.Deploy(t.Context(), DeployOptions{Service: "shop", Artifact: w.artifact(v), Version: v}, nil); err != nil {
				t.Fatal(err)
			}
		}
		w.crashLoop("shop", three...)
		res, err := w.h.Rollback(t.Context(), RollbackOptions{Service: "shop", To: "v1"}, nil)
		if err != nil || res.Record.Result != release.ResultSucceeded {
			t.Fatalf("rollback --to v1 from all down: %v", err)
		}
		for in, v := range w.current("shop") {
			if v != "v1" {
				t.Errorf("%s on %s, want v1", in, v)
			}
		}
	})
}

// 1 of 3 healthy, floor 2 (batches of 1): the deploy steps the two down
// instances first and the healthy one only once the floor holds again.
func TestBelowTheFloorStepsDownInstancesFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.install("shop", three)
		w.crashLoop("shop", "8081", "8083")
		var ev events
		res, err := w.h.Deploy(t.Context(), DeployOptions{Service: "shop", Artifact: w.artifact("v2"), Version: "v2"}, &ev)
		if err != nil || res.Record.Result != release.ResultSucceeded {
			t.Fatalf("deploy with 1 of 3 healthy: %v", err)
		}
		want := []string{"shop@8081.service", "shop@8083.service", "shop@8082.service"}
		if got := w.restarts(); !slices.Equal(got, want) {
			t.Errorf("restarts %v, want %v: the healthy 8082 last, once two others are healthy", got, want)
		}
		if got := ev.belowFloor(); len(got) != 1 || !strings.Contains(got[0], "8081, 8083") {
			t.Errorf("below-floor warnings %q, want one for the first batch naming 8081, 8083", got)
		}
	})
}
