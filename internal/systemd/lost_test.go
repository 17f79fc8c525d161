package systemd_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sysroll/sysroll/internal/systemd"
)

func TestResolveLostJob(t *testing.T) {
	t0 := time.Unix(1000, 0)
	running := systemd.UnitState{ActiveState: systemd.Active, SubState: "running", InvocationID: "aa", ExecMainStart: t0}
	with := func(u systemd.UnitState, fn func(*systemd.UnitState)) systemd.UnitState { fn(&u); return u }
	fresh := func(u *systemd.UnitState) { u.InvocationID, u.ExecMainStart = "bb", t0.Add(time.Second) }
	inactive := systemd.UnitState{ActiveState: systemd.Inactive, SubState: "dead", InvocationID: "aa", ExecMainStart: t0}
	failed := systemd.UnitState{ActiveState: systemd.Failed, SubState: "failed", InvocationID: "aa", ExecMainStart: t0, Result: "exit-code"}
	tests := []struct {
		name        string
		op          string
		before, now systemd.UnitState
		want        systemd.Verdict
	}{
		{"restart: a job still queued", "restart", running, with(running, func(u *systemd.UnitState) { u.JobID = 7 }), systemd.VerdictWait},
		{"restart: new invocation running", "restart", running, with(running, fresh), systemd.VerdictDone},
		{"restart: only the start time moved", "restart", running, with(running, func(u *systemd.UnitState) { u.ExecMainStart = t0.Add(time.Second) }), systemd.VerdictDone},
		{"restart: same invocation, no job: never ran", "restart", running, running, systemd.VerdictRequeue},
		{"restart: failed after the job", "restart", running, with(failed, fresh), systemd.VerdictFailed},
		{"restart: failed, was running before", "restart", running, failed, systemd.VerdictFailed},
		{"restart: failed before, same invocation", "restart", failed, failed, systemd.VerdictRequeue},
		{"restart: activating without a job (auto-restart)", "restart", running,
			with(running, func(u *systemd.UnitState) { u.ActiveState, u.SubState = systemd.Activating, "auto-restart" }), systemd.VerdictWait},
		{"restart: deactivating", "restart", running,
			with(running, func(u *systemd.UnitState) { u.ActiveState = systemd.Deactivating }), systemd.VerdictWait},
		{"restart: inactive, same invocation", "restart", inactive, inactive, systemd.VerdictRequeue},
		{"restart: started and exited cleanly", "restart", inactive, with(inactive, func(u *systemd.UnitState) { fresh(u); u.Result = "success" }), systemd.VerdictDone},
		{"restart: started and exited with an error", "restart", inactive, with(inactive, func(u *systemd.UnitState) { fresh(u); u.Result = "exit-code" }), systemd.VerdictFailed},
		{"start: of a running unit is a no-op", "start", running, running, systemd.VerdictDone},
		{"start: of an inactive unit, running now", "start", inactive, with(running, fresh), systemd.VerdictDone},
		{"start: of an inactive unit, still inactive", "start", inactive, inactive, systemd.VerdictRequeue},
		{"stop: inactive now", "stop", running, inactive, systemd.VerdictDone},
		{"stop: failed now (killed)", "stop", running, failed, systemd.VerdictDone},
		{"stop: still the same process", "stop", running, running, systemd.VerdictRequeue},
		{"stop: started again by a socket", "stop", running, with(running, fresh), systemd.VerdictDone},
		{"stop: deactivating", "stop", running, with(running, func(u *systemd.UnitState) { u.ActiveState = systemd.Deactivating }), systemd.VerdictWait},
		{"stop: a job still queued", "stop", running, with(inactive, func(u *systemd.UnitState) { u.JobID = 3 }), systemd.VerdictWait},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := systemd.ResolveLostJob(tt.op, tt.before, tt.now); got != tt.want {
				t.Errorf("ResolveLostJob(%s) = %s, want %s", tt.op, got, tt.want)
			}
		})
	}
}

// AwaitLost reads the unit until its state decides: it waits through a job
// still in progress, requeues a job that never ran, and is bounded by ctx.
func TestAwaitLost(t *testing.T) {
	before := systemd.UnitState{ActiveState: systemd.Active, SubState: "running", InvocationID: "aa"}
	inJob := before
	inJob.ActiveState, inJob.JobID = systemd.Activating, 9
	doneNew := before
	doneNew.InvocationID = "bb"
	failedNew := doneNew
	failedNew.ActiveState = systemd.Failed
	tests := []struct {
		name     string
		states   []systemd.UnitState // read in turn; the last repeats
		timeout  time.Duration
		wantErr  string // "" for nil
		requeued bool
		took     time.Duration
	}{
		{"done after the job ends", []systemd.UnitState{inJob, inJob, inJob, doneNew}, time.Minute, "", false, 300 * time.Millisecond},
		{"failed after the job ends", []systemd.UnitState{inJob, failedNew}, time.Minute, "job failed", false, 100 * time.Millisecond},
		{"never ran: requeued", []systemd.UnitState{before}, time.Minute, "", true, 0},
		{"still running at the bound", []systemd.UnitState{inJob}, 2 * time.Second, "result was lost", false, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(t.Context(), tt.timeout)
				defer cancel()
				i := 0
				read := func(context.Context, string) (systemd.UnitState, error) {
					u := tt.states[min(i, len(tt.states)-1)]
					i++
					return u, nil
				}
				requeued := false
				start := time.Now()
				err := systemd.AwaitLost(ctx, "restart", "x.service", before, read, func(context.Context) error {
					requeued = true
					return nil
				})
				switch {
				case tt.wantErr == "" && err != nil:
					t.Fatalf("AwaitLost = %v", err)
				case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
					t.Fatalf("AwaitLost = %v, want an error containing %q", err, tt.wantErr)
				}
				if requeued != tt.requeued {
					t.Errorf("requeued = %v, want %v", requeued, tt.requeued)
				}
				if took := time.Since(start); took != tt.took {
					t.Errorf("took %s, want %s", took, tt.took)
				}
			})
		})
	}
	t.Run("read error", func(t *testing.T) {
		boom := errors.New("bus gone for good")
		err := systemd.AwaitLost(t.Context(), "stop", "x.service", before,
			func(context.Context, string) (systemd.UnitState, error) { return systemd.UnitState{}, boom }, nil)
		if !errors.Is(err, boom) || !strings.Contains(err.Error(), "stop x.service") {
			t.Errorf("AwaitLost = %v", err)
		}
	})
}
