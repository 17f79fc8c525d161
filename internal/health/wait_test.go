package health_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sysroll/sysroll/internal/health"
	"github.com/sysroll/sysroll/internal/systemd"
	"github.com/sysroll/sysroll/internal/systemd/systemdtest"
)

const unit = "hello@8082.service"

func unitFunc(f *systemdtest.Fake) health.UnitFunc {
	return func(ctx context.Context) (systemd.UnitState, error) { return f.Unit(ctx, unit) }
}

// flag is a probe whose outcome the test flips.
type flag struct{ bad atomic.Bool }

func (p *flag) Check(context.Context) health.Result {
	if p.bad.Load() {
		return health.Result{Detail: "GET http://127.0.0.1:8082/healthz: 503 Service Unavailable"}
	}
	return health.Result{OK: true, Detail: "GET http://127.0.0.1:8082/healthz: 200 OK"}
}

var gate = health.Gate{Interval: time.Second, HealthyFor: 10 * time.Second, Deadline: time.Minute}

func TestWaitHealthy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := systemdtest.New(unit)
		start := time.Now()
		res, err := gate.Wait(t.Context(), unitFunc(f), []health.Probe{&flag{}})
		if err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took != 10*time.Second || res.Took != took {
			t.Errorf("took %s (result %s), want exactly the 10s window", took, res.Took)
		}
		if !res.Healthy || res.Checks != 11 || !strings.Contains(res.Last.Detail, "200 OK") || res.ReadyAt != start {
			t.Errorf("result = %+v", res)
		}
	})
}

func TestWaitCrashInWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := systemdtest.New(unit)
		f.SetAfter(3500*time.Millisecond, unit, systemdtest.AutoRestarted)
		start := time.Now()
		res, err := gate.Wait(t.Context(), unitFunc(f), nil)
		if !errors.Is(err, health.ErrCrashed) {
			t.Fatalf("Wait = %v, want ErrCrashed", err)
		}
		// Noticed at the first check after the crash.
		if took := time.Since(start); took != 4*time.Second {
			t.Errorf("crash noticed after %s, want 4s", took)
		}
		if res.Healthy || res.Unit.NRestarts != 1 {
			t.Errorf("result = %+v", res)
		}
	})
}

func TestWaitProbeTurnsBad(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := systemdtest.New(unit)
		p := &flag{}
		time.AfterFunc(3500*time.Millisecond, func() { p.bad.Store(true) })
		start := time.Now()
		res, err := gate.Wait(t.Context(), unitFunc(f), []health.Probe{p})
		if !errors.Is(err, health.ErrUnhealthy) {
			t.Fatalf("Wait = %v, want ErrUnhealthy", err)
		}
		// Fails at 4s, 5s, 6s: three in a row.
		if took := time.Since(start); took != 6*time.Second {
			t.Errorf("failed after %s, want 6s", took)
		}
		if !strings.Contains(res.Last.Detail, "503") || !strings.Contains(err.Error(), "503") {
			t.Errorf("last result %q / error %q should show the 503", res.Last.Detail, err)
		}
	})
}

func TestWaitNeverReady(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := systemdtest.New(unit)
		f.Set(unit, systemdtest.Activating)
		start := time.Now()
		_, err := gate.Wait(t.Context(), unitFunc(f), nil)
		if !errors.Is(err, health.ErrNotReady) {
			t.Fatalf("Wait = %v, want ErrNotReady", err)
		}
		if took := time.Since(start); took != time.Minute {
			t.Errorf("gave up after %s, want the 1m deadline", took)
		}
	})
}

func TestWaitCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := systemdtest.New(unit)
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(2500*time.Millisecond, cancel)
		_, err := gate.Wait(ctx, unitFunc(f), nil)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Wait = %v, want context.Canceled", err)
		}
		for _, s := range []error{health.ErrNotReady, health.ErrUnhealthy, health.ErrCrashed, health.ErrDeadline} {
			if errors.Is(err, s) {
				t.Errorf("cancelled gate must not look like a health failure: %v", err)
			}
		}
	})
}

func TestCheckOnce(t *testing.T) {
	f := systemdtest.New(unit)
	p := &flag{}
	if _, err := gate.CheckOnce(t.Context(), unitFunc(f), []health.Probe{p}); err != nil {
		t.Errorf("healthy: %v", err)
	}
	p.bad.Store(true)
	if r, err := gate.CheckOnce(t.Context(), unitFunc(f), []health.Probe{p}); !errors.Is(err, health.ErrUnhealthy) || r.OK {
		t.Errorf("bad probe: %v %+v", err, r)
	}
	f.Set(unit, systemdtest.Failed)
	if _, err := gate.CheckOnce(t.Context(), unitFunc(f), nil); !errors.Is(err, health.ErrCrashed) {
		t.Errorf("failed unit: %v", err)
	}
}
