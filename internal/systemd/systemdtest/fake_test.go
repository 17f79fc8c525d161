package systemdtest_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sysroll/sysroll/internal/systemd"
	"github.com/sysroll/sysroll/internal/systemd/systemdtest"
)

const (
	a = "hello@8081.service"
	b = "hello@8082.service"
)

func mustState(t *testing.T, f *systemdtest.Fake, unit string) systemd.UnitState {
	t.Helper()
	u, err := f.Unit(t.Context(), unit)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestRestartDefault(t *testing.T) {
	f := systemdtest.New(a, b)
	before := mustState(t, f, a)
	if !before.Running() || before.InvocationID == "" || before.MainPID == 0 {
		t.Fatalf("new unit not running: %+v", before)
	}
	if err := f.Restart(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	after := mustState(t, f, a)
	if !after.Running() || after.InvocationID == before.InvocationID || after.MainPID == before.MainPID {
		t.Errorf("restart did not make a new invocation: before %+v after %+v", before, after)
	}
	// Start of a running unit is a no-op, as in systemd.
	if err := f.Start(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	if again := mustState(t, f, a); again.InvocationID != after.InvocationID {
		t.Error("start of a running unit changed its invocation")
	}
	if got := f.Touched(); len(got) != 1 || got[0] != a {
		t.Errorf("Touched() = %v, want only %s", got, a)
	}
}

func TestScriptedResults(t *testing.T) {
	tests := []struct {
		name   string
		script systemdtest.Script
		want   systemd.JobResult
		state  systemd.ActiveState
	}{
		{"failed", systemdtest.FailJob, systemd.JobFailed, systemd.Failed},
		{"timeout", func(u *systemd.UnitState) systemd.JobResult {
			systemdtest.Activating(u)
			return systemd.JobTimeout
		}, systemd.JobTimeout, systemd.Activating},
		{"done", func(*systemd.UnitState) systemd.JobResult { return systemd.JobDone }, "", systemd.Active},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := systemdtest.New(a, b)
			f.OnRestart("hello@8081.*", tt.script)
			err := f.Restart(t.Context(), a)
			var je *systemd.JobError
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Restart: %v", err)
			case tt.want != "" && (!errors.As(err, &je) || je.Result != tt.want || je.Unit != a):
				t.Fatalf("Restart error = %v, want job %s", err, tt.want)
			}
			if got := mustState(t, f, a).ActiveState; got != tt.state {
				t.Errorf("state = %s, want %s", got, tt.state)
			}
			// The script only matches 8081.
			if err := f.Restart(t.Context(), b); err != nil {
				t.Errorf("unscripted unit: %v", err)
			}
			calls := f.Calls()
			if len(calls) != 2 || calls[0].Result != orDone(tt.want) || calls[1].Unit != b {
				t.Errorf("calls = %+v", calls)
			}
		})
	}
}

func orDone(r systemd.JobResult) systemd.JobResult {
	if r == "" {
		return systemd.JobDone
	}
	return r
}

func TestLaterRulesWin(t *testing.T) {
	f := systemdtest.New(a)
	f.OnRestart("*", systemdtest.FailJob)
	f.OnRestart(a, func(*systemd.UnitState) systemd.JobResult { return systemd.JobDone })
	if err := f.Restart(t.Context(), a); err != nil {
		t.Fatalf("later rule should win: %v", err)
	}
}

func TestJobTimeAndGivingUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := systemdtest.New(a)
		f.SetJobTime(5 * time.Second)
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		start := time.Now()
		err := f.Restart(ctx, a)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Restart = %v, want deadline exceeded", err)
		}
		if u := mustState(t, f, a); u.ActiveState != systemd.Activating || u.MainPID != 0 {
			t.Errorf("mid-job state = %+v, want activating without a main process", u)
		}
		time.Sleep(4 * time.Second)
		if u := mustState(t, f, a); !u.Running() {
			t.Errorf("job abandoned by the caller should still finish: %+v", u)
		}
		c := f.Calls()[0]
		if c.Begin != start || c.End != start.Add(2*time.Second) || c.Result != "" {
			t.Errorf("call = %+v", c)
		}
	})
}

func TestCrashLater(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := systemdtest.New(a)
		f.OnRestart(a, func(u *systemd.UnitState) systemd.JobResult {
			f.SetAfter(300*time.Millisecond, u.Name, systemdtest.AutoRestarted)
			return systemd.JobDone
		})
		if err := f.Restart(t.Context(), a); err != nil {
			t.Fatal(err)
		}
		first := mustState(t, f, a)
		time.Sleep(time.Second)
		now := mustState(t, f, a)
		if now.NRestarts != first.NRestarts+1 || now.InvocationID == first.InvocationID || !now.Running() {
			t.Errorf("after crash: %+v (was %+v)", now, first)
		}
	})
}

func TestStopResetFailedAndReads(t *testing.T) {
	ctx := t.Context()
	f := systemdtest.New(a, b, "other.service")
	if err := f.Stop(ctx, a); err != nil {
		t.Fatal(err)
	}
	if u := mustState(t, f, a); u.ActiveState != systemd.Inactive || u.MainPID != 0 {
		t.Errorf("after stop: %+v", u)
	}
	f.Set(b, systemdtest.Failed)
	if err := f.ResetFailed(ctx, b); err != nil {
		t.Fatal(err)
	}
	if u := mustState(t, f, b); u.ActiveState != systemd.Inactive {
		t.Errorf("after reset-failed: %+v", u)
	}
	us, err := f.Units(ctx, "hello@*.service")
	if err != nil || len(us) != 2 || us[0].Name != a || us[1].Name != b {
		t.Errorf("Units = %v, %v", us, err)
	}
	if u := mustState(t, f, "nope.service"); u.LoadState != "not-found" {
		t.Errorf("unknown unit: %+v", u)
	}
	boom := errors.New("bus gone")
	f.SetReadError(a, boom)
	if _, err := f.Unit(ctx, a); !errors.Is(err, boom) {
		t.Errorf("Unit with read error = %v", err)
	}
	if _, err := f.Units(ctx, "hello@*"); !errors.Is(err, boom) {
		t.Errorf("Units with read error = %v", err)
	}
	f.SetReadError(a, nil)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Restart(ctx, a); !errors.Is(err, systemd.ErrNoSystemd) {
		t.Errorf("after Close: %v", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	var units []string
	for i := range 8 {
		units = append(units, fmt.Sprintf("hello@%d.service", 8081+i))
	}
	f := systemdtest.New(units...)
	var wg sync.WaitGroup
	for _, u := range units {
		wg.Go(func() {
			for range 20 {
				if err := f.Restart(t.Context(), u); err != nil {
					t.Error(err)
				}
				if _, err := f.Units(t.Context(), "hello@*"); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if got := len(f.Calls()); got != 8*20 {
		t.Errorf("%d calls recorded, want %d", got, 8*20)
	}
}
