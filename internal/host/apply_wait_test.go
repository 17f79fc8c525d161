package host

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sysroll/sysroll/internal/systemd"
	"github.com/sysroll/sysroll/internal/systemd/systemdtest"
)

// applyWaiting is a first apply of shop on v1 that waits (the default),
// with the events it reported.
func (w *world) applyWaiting(instances []string, opts ApplyOptions) (*ApplyReport, []WaitEvent, error) {
	w.t.Helper()
	var evs []WaitEvent
	opts.File = w.serviceFile("shop", instances)
	opts.Artifact, opts.Version = w.artifact("v1"), "v1"
	opts.Progress = func(ev WaitEvent) { evs = append(evs, ev) }
	rep, err := w.h.Apply(w.t.Context(), opts)
	return rep, evs, err
}

// Each gate is the rollout's: healthy only after healthy_for (1s here),
// and the release is marked good only then.
func TestApplyWaitsForTheGateOfEveryStartedInstance(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		start := time.Now()
		applied := false
		rep, evs, err := w.applyWaiting(three, ApplyOptions{Applied: func(*ApplyReport) { applied = true }})
		if err != nil {
			t.Fatalf("apply: %v", err)
		}
		if took := time.Since(start); took < time.Second {
			t.Errorf("apply returned after %s, before healthy_for (1s)", took)
		}
		if !applied {
			t.Error("Applied was not called")
		}
		if len(rep.Waited) != 3 {
			t.Fatalf("waited for %+v, want the 3 started instances", rep.Waited)
		}
		for _, r := range rep.Waited {
			if !r.Healthy || r.Error != "" || len(r.Logs) != 0 {
				t.Errorf("%+v, want healthy without logs", r)
			}
		}
		var types []string
		for _, ev := range evs {
			types = append(types, ev.Type)
		}
		if n := strings.Count(strings.Join(types, " "), WaitWaiting); n != 3 || len(types) != 6 {
			t.Errorf("events %v, want waiting and healthy for each", types)
		}
		if good, _ := w.store("shop").KnownGood(); good != "v1" {
			t.Errorf("known good %q, want v1", good)
		}
	})
}

// A crash-looping first release: apply used to exit 0. Each way systemd
// shows it — a restart (caught also when it came before the first check),
// failed after StartLimitBurst, a start that never gets ready — fails that
// instance's gate with its journal lines, and the release is not good.
func TestApplyFailsWhenAStartedInstanceDoesNotPassTheGate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script func(f *systemdtest.Fake) systemdtest.Script
		want   string
	}{
		{"restarts", func(f *systemdtest.Fake) systemdtest.Script {
			return func(u *systemd.UnitState) systemd.JobResult {
				f.SetAfter(300*time.Millisecond, u.Name, systemdtest.AutoRestarted)
				return systemd.JobDone
			}
		}, "crashed"},
		// The next starts take 1s: the gates open long after this crash.
		{"restarted before the gates open", func(f *systemdtest.Fake) systemdtest.Script {
			return func(u *systemd.UnitState) systemd.JobResult {
				f.SetJobTime(time.Second)
				f.SetAfter(100*time.Millisecond, u.Name, systemdtest.AutoRestarted)
				return systemd.JobDone
			}
		}, "was restarted (new invocation, NRestarts 1"},
		// A start queued while the unit waits to be restarted keeps
		// systemd's NRestarts: a unit that then runs well passes.
		{"started from auto-restart, then fine", func(f *systemdtest.Fake) systemdtest.Script {
			return func(u *systemd.UnitState) systemd.JobResult {
				u.NRestarts = 1
				return systemd.JobDone
			}
		}, ""},
		{"start limit hit", func(f *systemdtest.Fake) systemdtest.Script {
			return func(u *systemd.UnitState) systemd.JobResult {
				f.SetAfter(200*time.Millisecond, u.Name, systemdtest.Failed)
				return systemd.JobDone
			}
		}, "is failed (failed), result exit-code, exit status 1"},
		{"never ready", func(f *systemdtest.Fake) systemdtest.Script {
			return func(u *systemd.UnitState) systemd.JobResult {
				systemdtest.Activating(u)
				return systemd.JobDone
			}
		}, "not ready within 10s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newWorld(t)
				w.fake.OnStart("shop@8082.service", tc.script(w.fake))
				rep, evs, err := w.applyWaiting(three, ApplyOptions{})
				if tc.want == "" {
					if err != nil {
						t.Errorf("apply = %v, want nil", err)
					}
					return
				}
				ge, ok := errors.AsType[*GateError](err)
				if !ok {
					t.Fatalf("apply = %v, want a *GateError", err)
				}
				if !slices.Equal(ge.Failed, []string{"shop@8082.service"}) || ge.Started != 3 {
					t.Errorf("GateError %+v, want shop@8082 of 3", ge)
				}
				if _, input := errors.AsType[*InputError](err); input {
					t.Errorf("a failed gate is bad input (exit 2): %v", err)
				}
				if rep == nil || len(rep.Waited) != 3 {
					t.Fatalf("report %+v, want the 3 results", rep)
				}
				for _, r := range rep.Waited {
					bad := r.Instance == "8082"
					if r.Healthy == bad {
						t.Errorf("%s healthy=%v", r.Instance, r.Healthy)
					}
					if bad && (!strings.Contains(r.Error, tc.want) || !slices.Equal(r.Logs, []string{"(test journal)"})) {
						t.Errorf("failed instance %+v, want error with %q and the journal lines", r, tc.want)
					}
				}
				last := evs[len(evs)-1]
				if n := len(evs); n != 6 || !slices.ContainsFunc(evs, func(ev WaitEvent) bool { return ev.Type == WaitFailed && ev.Unit == "shop@8082.service" }) {
					t.Errorf("events %+v (last %+v), want a failed one for shop@8082", evs, last)
				}
				if good, _ := w.store("shop").KnownGood(); good != "" {
					t.Errorf("known good %q after a failed gate, want none", good)
				}
				if !strings.Contains(err.Error(), "sysroll logs shop") {
					t.Errorf("error %q does not say how to read the logs", err)
				}
			})
		})
	}
}

// --no-wait is apply as it was: done when the start jobs are, exit 0 for a
// crash loop, the first release known-good.
func TestApplyNoWaitReturnsAfterTheStartJobs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.fake.OnStart("shop@*.service", func(u *systemd.UnitState) systemd.JobResult {
			w.fake.SetAfter(100*time.Millisecond, u.Name, systemdtest.AutoRestarted)
			return systemd.JobDone
		})
		start := time.Now()
		rep, evs, err := w.applyWaiting(three, ApplyOptions{NoWait: true})
		if err != nil {
			t.Fatalf("apply --no-wait: %v", err)
		}
		if took := time.Since(start); took > 0 {
			t.Errorf("apply --no-wait took %s of fake time, want none", took)
		}
		if len(rep.Waited) != 0 || len(evs) != 0 || !rep.NoWait {
			t.Errorf("waited %+v, events %+v, want none", rep.Waited, evs)
		}
		if good, _ := w.store("shop").KnownGood(); good != "v1" {
			t.Errorf("known good %q, want v1 (as before the wait)", good)
		}
	})
}

// Instances already running are neither restarted nor waited for: only an
// added instance is.
func TestApplyWaitsOnlyForWhatItStarted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.install("shop", three)
		rep, err := w.h.Apply(t.Context(), ApplyOptions{File: w.serviceFile("shop", append(slices.Clone(three), "8084"))})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Waited) != 1 || rep.Waited[0].Unit != "shop@8084.service" || !rep.Waited[0].Healthy {
			t.Errorf("waited %+v, want only shop@8084", rep.Waited)
		}
	})
}

// Interrupted in the wait: apply says so (not "did not pass"), and the
// release is not marked good.
func TestApplyInterruptedInTheWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		ctx, cancel := context.WithCancel(t.Context())
		opts := ApplyOptions{File: w.serviceFile("shop", three), Artifact: w.artifact("v1"), Version: "v1",
			Progress: func(ev WaitEvent) {
				if ev.Type == WaitWaiting {
					time.AfterFunc(300*time.Millisecond, cancel)
				}
			}}
		_, err := w.h.Apply(ctx, opts)
		if err == nil || !strings.Contains(err.Error(), "interrupted while waiting for the health gate") || !errors.Is(err, context.Canceled) {
			t.Fatalf("apply = %v, want interrupted", err)
		}
		if good, _ := w.store("shop").KnownGood(); good != "" {
			t.Errorf("known good %q after an interrupted wait", good)
		}
	})
}
