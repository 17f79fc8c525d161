package rollout_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/systemd"
	"github.com/sysroll/sysroll/internal/systemd/systemdtest"
)

// A mixed state after a partial rollout: instances on several releases,
// some down. rollback converges it: every instance ends on the target,
// running, the down ones stepped first, and no preflight refuses because
// of an instance the rollback itself brings up.
func TestRollbackConvergesMixedState(t *testing.T) {
	type inst struct {
		on    string
		state func(*systemd.UnitState) // nil: running
	}
	tests := []struct {
		name  string
		insts map[string]inst
		first string // the instance restarted first
	}{
		{"one on the target failed, one ahead", map[string]inst{
			"8081": {"v2", nil}, "8082": {"v1", systemdtest.Failed}, "8083": {"v1", nil}}, "8082"},
		{"one ahead stopped, one ahead running", map[string]inst{
			"8081": {"v2", systemdtest.Stopped}, "8082": {"v2", nil}, "8083": {"v1", nil}}, "8081"},
		{"all on the target, one failed", map[string]inst{
			"8081": {"v1", nil}, "8082": {"v1", nil}, "8083": {"v1", systemdtest.Failed}}, "8083"},
		{"two down on two releases", map[string]inst{
			"8081": {"v1", nil}, "8082": {"v2", systemdtest.Failed}, "8083": {"v1", systemdtest.Stopped}}, "8082"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newWorld(t, 3)
				for n, in := range tt.insts {
					w.rel.cur[n], w.runs[n] = in.on, in.on
					if in.state != nil {
						w.f.Set(unitOf(n), in.state)
					}
				}
				spec := w.spec("v1")
				spec.Kind = release.KindRollback
				rec, err := rollout.Run(t.Context(), spec, w.deps())
				if err != nil {
					t.Fatalf("rollback of %v: %v", tt.insts, err)
				}
				if rec.Result != release.ResultSucceeded {
					t.Errorf("result %s: %s", rec.Result, rec.Reason)
				}
				if got := w.restarts(); len(got) == 0 || got[0] != tt.first {
					t.Errorf("restarts %v, want %s first", got, tt.first)
				}
				w.assertSettled(all(w, "v1"))
			})
		})
	}
}

// deploy --resume of an interrupted rollout whose instances went down
// meanwhile (a later batch's instance failed, one the rollout found on its
// target stopped): the down ones are stepped with the batch in flight,
// the rollout completes on every instance.
func TestResumeConvergesMixedState(t *testing.T) {
	tests := []struct {
		name string
		set  func(w *world, rec *release.Record)
	}{
		{"a later batch's instance failed", func(w *world, rec *release.Record) {
			w.f.Set(unitOf("8083"), systemdtest.Failed)
		}},
		{"a done instance stopped", func(w *world, rec *release.Record) {
			w.f.Set(unitOf("8081"), systemdtest.Stopped)
		}},
		{"an instance found on the target, stopped since", func(w *world, rec *release.Record) {
			// 8083 was on v2 when the rollout began: no batch.
			rec.Batches = rec.Batches[:2]
			rec.Instances[2].Batch, rec.Instances[2].Phase, rec.Instances[2].From = -1, release.PhaseDone, "v2"
			w.rel.cur["8083"], w.runs["8083"] = "v2", "v2"
			w.f.Set(unitOf("8083"), systemdtest.Stopped)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w, rec := killed(t, release.PhaseGate, true)
				tt.set(w, rec)
				out, err := rollout.Resume(t.Context(), rec, w.spec(""), w.deps())
				if err != nil {
					t.Fatalf("Resume: %v", err)
				}
				if out.Result != release.ResultSucceeded {
					t.Errorf("result %s: %s", out.Result, out.Reason)
				}
				w.assertSettled(all(w, "v2"))
			})
		})
	}
}

// What a resume or rollback still refuses: an instance that is up but
// unhealthy, which it will not take down on a guess. The refusal lists
// every instance with its release and state, and names the way out.
func TestConvergeRefusalDescribesState(t *testing.T) {
	tests := []struct {
		name string
		run  func(ctx context.Context, w *world, rec *release.Record) (*release.Record, error)
	}{
		{"resume", func(ctx context.Context, w *world, rec *release.Record) (*release.Record, error) {
			return rollout.Resume(ctx, rec, w.spec(""), w.deps())
		}},
		{"rollback", func(ctx context.Context, w *world, _ *release.Record) (*release.Record, error) {
			spec := w.spec("v1")
			spec.Kind = release.KindRollback
			return rollout.Run(ctx, spec, w.deps())
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w, rec := killed(t, release.PhaseGate, true)
				w.badOn("8083", "v1")
				out, err := tt.run(t.Context(), w, rec)
				pe, ok := errors.AsType[*rollout.PreflightError](err)
				if !ok || len(pe.Problems) != 1 || pe.Problems[0].Instance != "8083" {
					t.Fatalf("err = %v, want a preflight refusal because of 8083", err)
				}
				for _, want := range []string{"8081 on v2 (active/running)", "8082 on v2", "8083 on v1 (active/running)",
					"make 8083 healthy, or stop it", "run the same command again"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("refusal does not say %q: %v", want, err)
					}
				}
				if out.Result != release.ResultHalted {
					t.Errorf("result %s", out.Result)
				}
			})
		})
	}
}

// A rollout that ended partway, halted or failed, is finished by Resume
// like an interrupted one: the record still describes every instance. One
// that ended for good (succeeded, rolled back) is not resumable.
func TestResumeFinishesEndedPartway(t *testing.T) {
	tests := []struct {
		name   string
		result release.Result
		set    func(w *world, rec *release.Record)
		want   map[string]string
		ended  release.Result
		errIs  error
		failed string // instance the returned error names
	}{
		{"halted by a preflight", release.ResultHalted, func(w *world, rec *release.Record) {
			// 8082 finished; the preflight of batch 3 refused (8083 was unhealthy then).
			rec.Instances[1].Phase = release.PhaseDone
			w.dr.drained = map[string]bool{}
		}, map[string]string{"8081": "v2", "8082": "v2", "8083": "v2"}, release.ResultSucceeded, nil, ""},
		{"failed: the revert could not finish", release.ResultFailed, func(w *world, rec *release.Record) {
			// 8082 failed its gate on v2 and its revert failed (systemd went away).
			rec.Instances[1].Phase, rec.Instances[1].Error = release.PhaseFailed, "revert 8082 to v1: connection closed"
			w.badOn("8082", "v2")
		}, map[string]string{"8081": "v2", "8082": "v1", "8083": "v1"}, release.ResultRolledBack, nil, "8082"},
		{"succeeded", release.ResultSucceeded, func(*world, *release.Record) {}, nil, "", rollout.ErrNotResumable, ""},
		{"rolled back", release.ResultRolledBack, func(*world, *release.Record) {}, nil, "", rollout.ErrNotResumable, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w, rec := killed(t, release.PhaseGate, true)
				rec.Result = tt.result
				tt.set(w, rec)
				out, err := rollout.Resume(t.Context(), rec, w.spec(""), w.deps())
				if tt.errIs != nil {
					if !errors.Is(err, tt.errIs) {
						t.Fatalf("Resume = %v, want %v", err, tt.errIs)
					}
					return
				}
				fe, isFailed := errors.AsType[*rollout.FailedError](err)
				switch {
				case tt.failed == "" && err != nil:
					t.Fatalf("Resume = %v", err)
				case tt.failed != "" && (!isFailed || fe.Instance != tt.failed):
					t.Fatalf("Resume = %v, want %s's failure", err, tt.failed)
				}
				if out.Result != tt.ended {
					t.Errorf("result %s (%s), want %s", out.Result, out.Reason, tt.ended)
				}
				w.assertSettled(tt.want)
			})
		})
	}
}
