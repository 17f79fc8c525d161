package rollout_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sysroll/sysroll/internal/config"

	"github.com/sysroll/sysroll/internal/health"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/systemd/systemdtest"
)

func TestRunSuccess(t *testing.T) {
	for _, batch := range []int{1, 2} {
		t.Run("batch "+string(rune('0'+batch)), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newWorld(t, 4)
				before := map[string]string{}
				for _, in := range w.inst {
					u, _ := w.f.State(unitOf(in))
					before[in] = u.InvocationID
				}
				spec := w.spec("v2")
				spec.Strategy.Batch = config.Step{N: batch}
				start := time.Now()
				rec, err := rollout.Run(t.Context(), spec, w.deps())
				if err != nil {
					t.Fatal(err)
				}
				if rec.Result != release.ResultSucceeded || rec.From != "v1" || rec.To != "v2" {
					t.Errorf("record: result %s, %s → %s", rec.Result, rec.From, rec.To)
				}
				w.assertSettled(all(w, "v2"))
				// Each batch: 2s job + 5s window, one batch after the other.
				if took, want := time.Since(start), time.Duration(4/batch)*7*time.Second; took != want {
					t.Errorf("took %s, want %s", took, want)
				}
				for _, in := range rec.Instances {
					u, _ := w.f.State(unitOf(in.Name))
					if in.Phase != release.PhaseDone || in.InvocationBefore != before[in.Name] ||
						in.InvocationAfter != u.InvocationID || in.InvocationAfter == in.InvocationBefore {
						t.Errorf("instance record %+v (unit now %s)", in, u.InvocationID)
					}
					if d := in.Ended.Sub(in.Started); d != 7*time.Second {
						t.Errorf("%s took %s, want 7s", in.Name, d)
					}
				}
				assertBatchesApart(t, w, rec.Batches)
				if got := w.jr.phasesOf("8082"); !reflect.DeepEqual(got, []release.Phase{
					release.PhasePending, release.PhaseDrain, release.PhaseSwitch, release.PhaseRestart,
					release.PhaseGate, release.PhaseUndrain, release.PhaseDone}) {
					t.Errorf("journal phases of 8082: %v", got)
				}
				types := w.eventTypes()
				if types[0] != rollout.EventRolloutStart || types[len(types)-1] != rollout.EventRolloutEnd ||
					!slices.Contains(types, rollout.EventInstanceDone) {
					t.Errorf("events: %v", types)
				}
			})
		})
	}
}

// assertBatchesApart checks from the fake's call log that every restart of
// a batch began after every restart of the previous batch had ended: no
// two batches were down together.
func assertBatchesApart(t *testing.T, w *world, batches [][]string) {
	t.Helper()
	batchOf := map[string]int{}
	for b, names := range batches {
		for _, n := range names {
			batchOf[n] = b
		}
	}
	var ends = map[int]time.Time{}
	for _, c := range w.f.Calls() {
		if c.Op != systemdtest.OpRestart {
			continue
		}
		b := batchOf[instOf(c.Unit)]
		for pb, end := range ends {
			if pb < b && c.Begin.Before(end) {
				t.Errorf("restart of %s (batch %d) at %s overlaps batch %d ending %s", c.Unit, b+1, c.Begin, pb+1, end)
			}
		}
		if c.End.After(ends[b]) {
			ends[b] = c.End
		}
	}
}

func TestRunRestartKind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3)
		w.rel.cur["8083"] = "v0" // a straggler keeps its own release
		w.runs["8083"] = "v0"
		spec := w.spec("")
		spec.Kind = release.KindRestart
		rec, err := rollout.Run(t.Context(), spec, w.deps())
		if err != nil {
			t.Fatal(err)
		}
		if len(w.rel.log()) != 0 {
			t.Errorf("a restart switched releases: %v", w.rel.log())
		}
		if got := w.restarts(); !reflect.DeepEqual(got, w.inst) {
			t.Errorf("restarts %v", got)
		}
		if rec.Kind != release.KindRestart || rec.From != "v1" || rec.To != "v1" || rec.Instances[2].To != "v0" {
			t.Errorf("record %+v", rec)
		}
		w.assertSettled(map[string]string{"8081": "v1", "8082": "v1", "8083": "v0"})
	})
}

func TestRunSkipsInstancesOnTarget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3)
		w.rel.cur["8082"] = "v2"
		w.runs["8082"] = "v2"
		rec, err := rollout.Run(t.Context(), w.spec("v2"), w.deps())
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(rec.Batches, [][]string{{"8081"}, {"8083"}}) || rec.Instances[1].Batch != -1 {
			t.Errorf("batches %v, 8082 batch %d", rec.Batches, rec.Instances[1].Batch)
		}
		w.assertUntouched("8082")
		w.assertSettled(all(w, "v2"))
	})
}

func TestRunRefusals(t *testing.T) {
	tests := []struct {
		name  string
		setup func(w *world, s *rollout.Spec)
		want  string
	}{
		{"whole service in one batch", func(w *world, s *rollout.Spec) { s.Strategy.Batch = config.Step{Percent: 100} },
			"all 3 instances at once"},
		{"invalid spec", func(w *world, s *rollout.Spec) { s.Gate.HealthyFor = time.Hour }, "healthy_for"},
		{"no target", func(w *world, s *rollout.Spec) { s.Target = "" }, "no target"},
		{"journal broken", func(w *world, s *rollout.Spec) { w.jr.fail = errors.New("disk full") }, "disk full"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newWorld(t, 3)
				spec := w.spec("v2")
				tt.setup(w, &spec)
				rec, err := rollout.Run(t.Context(), spec, w.deps())
				if err == nil || !strings.Contains(err.Error(), tt.want) || rec != nil {
					t.Fatalf("Run = %v, %v; want refusal mentioning %q", rec, err, tt.want)
				}
				w.assertUntouched(w.inst...)
			})
		})
	}
}

func TestRunPreflight(t *testing.T) {
	// Up but unhealthy, so not stepped first: 3 of 4 healthy is below
	// the floor (3 outside the batch), and batch 1 would step a healthy
	// instance. (A failed 8084 is stepped first instead: floor_test.go.)
	t.Run("unhealthy before the start", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			w := newWorld(t, 4)
			w.badOn("8084", "v1")
			rec, err := rollout.Run(t.Context(), w.spec("v2"), w.deps())
			var pe *rollout.PreflightError
			if !errors.Is(err, rollout.ErrPreflight) || !errors.As(err, &pe) || pe.Batch != 0 ||
				len(pe.Problems) != 1 || pe.Problems[0].Instance != "8084" {
				t.Fatalf("Run = %v", err)
			}
			if rec.Result != release.ResultHalted {
				t.Errorf("result %s", rec.Result)
			}
			// The long refusal is given once, in the preflight event; the
			// record's reason and the rollout's end are its one-line summary
			// (each display printed the whole refusal at every place).
			if want := pe.Summary(); rec.Reason != want {
				t.Errorf("reason %q, want the summary %q", rec.Reason, want)
			}
			full := 0
			for _, e := range w.events {
				if strings.Contains(e.Message, err.Error()) {
					full++
				}
				if e.Type == rollout.EventRolloutEnd && e.Message != pe.Summary() {
					t.Errorf("rollout-end message %q, want the summary", e.Message)
				}
			}
			if full != 1 {
				t.Errorf("the whole refusal is in %d events, want 1 (the preflight's)", full)
			}
			w.assertUntouched(w.inst...)
		})
	})
	t.Run("unhealthy before batch 2", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			w := newWorld(t, 4)
			// 8084 turns bad while batch 1 runs.
			time.AfterFunc(3*time.Second, func() { w.badOn("8084", "v1") })
			rec, err := rollout.Run(t.Context(), w.spec("v2"), w.deps())
			var pe *rollout.PreflightError
			if !errors.As(err, &pe) || pe.Batch != 1 || !strings.Contains(err.Error(), "503") {
				t.Fatalf("Run = %v", err)
			}
			if rec.Result != release.ResultHalted {
				t.Errorf("result %s", rec.Result)
			}
			w.assertUntouched("8082", "8083", "8084")
		})
	})
	t.Run("a blip is retried", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			w := newWorld(t, 3)
			w.badOn("8083", "v1")
			time.AfterFunc(1500*time.Millisecond, func() {
				w.mu.Lock()
				delete(w.bad, "8083")
				w.mu.Unlock()
			})
			if _, err := rollout.Run(t.Context(), w.spec("v2"), w.deps()); err != nil {
				t.Fatalf("Run = %v: a preflight blip within unhealthy_threshold must not stop it", err)
			}
		})
	})
}

func TestPreflightExported(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3)
		w.f.Set(unitOf("8082"), systemdtest.Failed)
		spec := w.spec("v2")
		if err := rollout.Preflight(t.Context(), spec, rollout.Deps{Manager: w.f}, []string{"8082"}); err != nil {
			t.Errorf("excluding the failed one: %v", err)
		}
		err := rollout.Preflight(t.Context(), spec, rollout.Deps{Manager: w.f}, nil)
		var pe *rollout.PreflightError
		if !errors.Is(err, rollout.ErrPreflight) || !errors.As(err, &pe) || pe.Problems[0].Instance != "8082" ||
			!errors.Is(pe.Problems[0].Err, health.ErrCrashed) {
			t.Errorf("Preflight = %v", err)
		}
	})
}
