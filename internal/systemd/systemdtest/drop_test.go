package systemdtest_test

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sysroll/sysroll/internal/systemd"
	"github.com/sysroll/sysroll/internal/systemd/systemdtest"
)

// A Drop while a job runs loses its result: the caller resolves it from
// the unit's state once the (fake) connection is back, so a job that ends
// done is reported done, one that fails is reported failed, and calls
// during the outage wait for it to end.
func TestDropLosesJobResult(t *testing.T) {
	tests := []struct {
		name   string
		script systemdtest.Script
		want   systemd.JobResult // "" for success
	}{
		{"job done after the drop", nil, ""},
		{"job failed after the drop", systemdtest.FailJob, systemd.JobFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := systemdtest.New(a)
				f.SetJobTime(3 * time.Second)
				if tt.script != nil {
					f.OnRestart(a, tt.script)
				}
				before := mustState(t, f, a)
				time.AfterFunc(time.Second, func() { f.Drop(500 * time.Millisecond) })
				start := time.Now()
				err := f.Restart(t.Context(), a)
				took := time.Since(start)
				var je *systemd.JobError
				switch {
				case tt.want == "" && err != nil:
					t.Fatalf("Restart = %v, want done", err)
				case tt.want != "" && (!errors.As(err, &je) || je.Result != tt.want):
					t.Fatalf("Restart = %v, want job %s", err, tt.want)
				}
				// The job takes 3s; its state is read every 100ms.
				if took < 3*time.Second || took > 3*time.Second+200*time.Millisecond {
					t.Errorf("Restart returned after %s, want just after the job's 3s", took)
				}
				after := mustState(t, f, a)
				if after.InvocationID == before.InvocationID || after.JobID != 0 {
					t.Errorf("after the job: %+v", after)
				}
				if f.Drops() != 1 {
					t.Errorf("Drops() = %d", f.Drops())
				}
			})
		})
	}
	t.Run("calls wait for the outage", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := systemdtest.New(a)
			f.Drop(2 * time.Second)
			start := time.Now()
			if _, err := f.Unit(t.Context(), a); err != nil {
				t.Fatal(err)
			}
			if took := time.Since(start); took != 2*time.Second {
				t.Errorf("Unit during a 2s outage returned after %s", took)
			}
		})
	})
	t.Run("a job shows its id while it runs", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := systemdtest.New(a)
			f.SetJobTime(time.Second)
			go f.Restart(t.Context(), a)
			time.Sleep(500 * time.Millisecond)
			if u := mustState(t, f, a); u.JobID == 0 || u.ActiveState != systemd.Activating {
				t.Errorf("mid-job: %+v", u)
			}
			time.Sleep(time.Second)
			if u := mustState(t, f, a); u.JobID != 0 {
				t.Errorf("after the job: JobID %d", u.JobID)
			}
		})
	})
}
