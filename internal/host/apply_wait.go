package host

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/diagnose"
	"github.com/sysroll/sysroll/internal/health"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/schema"
	"github.com/sysroll/sysroll/internal/systemd"
)

// InstanceWait is how one instance that apply started went through the
// health gate: the same gate a rollout step passes (ready, then healthy for
// health.healthy_for, within health.deadline).
type InstanceWait struct {
	Instance string `json:"instance"`
	Unit     string `json:"unit"`
	Healthy  bool   `json:"healthy"`
	// TookMS is how long the gate took to decide.
	TookMS int64 `json:"took_ms"`
	// Error is why the gate failed ("" when healthy).
	Error string `json:"error,omitempty"`
	// Health is the last check's account: the probe's detail or the unit's
	// state.
	Health string `json:"health,omitempty"`
	// Logs are the unit's last journal lines, for a failed instance: the
	// app's own error is usually there.
	Logs []string `json:"logs,omitempty"`
	// Hints name the hardening: key that relaxes what the sandbox
	// refused, with the journal line that shows it.
	Hints []schema.Hint `json:"hints,omitempty"`
}

// WaitEvent is apply's progress while it waits for the instances it
// started: one "waiting" for each instance as its gate opens, then one
// "healthy" or "failed" with the result.
type WaitEvent struct {
	Type   string        // WaitWaiting, WaitHealthy or WaitFailed
	Unit   string        // the instance's unit
	Gate   health.Gate   // the gate, with its defaults (for "waiting")
	Result *InstanceWait // set for "healthy" and "failed"
}

// The WaitEvent types.
const (
	WaitWaiting = "waiting"
	WaitHealthy = "healthy"
	WaitFailed  = "failed"
)

// applyLogLines is how many journal lines apply shows of a failed instance,
// as many as a failed rollout step shows.
const applyLogLines = 10

// GateError is apply's failure when instances it started did not pass the
// health gate. The units stay installed and the instances keep being what
// systemd makes of them; the report lists each instance's result.
type GateError struct {
	Service string
	Failed  []string // the units that did not pass
	Started int      // how many apply started and waited for
}

func (e *GateError) Error() string {
	n := e.Service
	return fmt.Sprintf("apply %s: %d of %d started instance(s) did not pass the health gate (%s); the units stay installed: fix the release and apply again with --artifact (or deploy), read the logs with `sysroll logs %s`, or remove it all with `sysroll uninstall %s`",
		n, len(e.Failed), e.Started, strings.Join(e.Failed, ", "), n, n)
}

// waitStarted runs the health gate of every unit apply started, all at
// once, and returns their results in the order of units. Each gate judges
// restarts against the unit's state as its start job finished (see
// startRecorder): a crash loop is caught at its first restart, or when
// StartLimitBurst turns the unit failed, whichever is seen first.
func (h *Host) waitStarted(ctx context.Context, m *startRecorder, svc *config.Service, store *release.Store, units []string, progress func(WaitEvent)) []InstanceWait {
	if progress == nil {
		progress = func(WaitEvent) {}
	}
	gate := gateFor(svc)
	probes := probesFor(svc, store)
	logs := h.logs()
	out := make([]InstanceWait, len(units))
	var mu sync.Mutex // progress is called from every gate's goroutine
	emit := func(ev WaitEvent) {
		mu.Lock()
		defer mu.Unlock()
		progress(ev)
	}
	var wg sync.WaitGroup
	for i, unit := range units {
		inst := instanceName(svc.Name, unit)
		emit(WaitEvent{Type: WaitWaiting, Unit: unit, Gate: gate.WithDefaults()})
		wg.Go(func() {
			res, err := gate.Wait(ctx, m.startedUnit(unit), probes(inst))
			r := InstanceWait{Instance: inst, Unit: unit, Healthy: err == nil, TookMS: res.Took.Milliseconds(), Health: res.Summary()}
			typ := WaitHealthy
			if err != nil {
				typ = WaitFailed
				r.Error = err.Error()
				lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
				lines := logs(lctx, unit, diagnose.ReadLines)
				cancel()
				var hs []diagnose.Hint
				r.Logs, hs = diagnose.Failure(lines, applyLogLines)
				r.Hints = schema.Hints(hs)
			}
			out[i] = r
			emit(WaitEvent{Type: typ, Unit: unit, Result: &out[i]})
		})
	}
	wg.Wait()
	return out
}

// startRecorder is the Manager apply installs with: it keeps each unit's
// state as its start job finished, the baseline of the unit's gate.
// The gates open only once every instance is started, one after the other
// (seconds, for Type=notify): a crash loop's restarts in between must count.
// NRestarts alone cannot tell them, since a start queued while the unit
// waits to be restarted (auto-restart) keeps systemd's counter.
type startRecorder struct {
	systemd.Manager
	mu    sync.Mutex
	after map[string]systemd.UnitState
}

func newStartRecorder(m systemd.Manager) *startRecorder {
	return &startRecorder{Manager: m, after: map[string]systemd.UnitState{}}
}

// Start implements systemd.Manager.
func (r *startRecorder) Start(ctx context.Context, unit string) error {
	if err := r.Manager.Start(ctx, unit); err != nil {
		return err
	}
	if u, err := r.Manager.Unit(ctx, unit); err == nil {
		r.mu.Lock()
		r.after[unit] = u
		r.mu.Unlock()
	}
	return nil
}

// startedUnit reads unit for a gate that opens after its start job: the
// first observation is the state recorded as that job finished (when
// there is one), so that a restart since then is one the gate sees (a new
// InvocationID, NRestarts up); later ones are read live.
func (r *startRecorder) startedUnit(unit string) health.UnitFunc {
	r.mu.Lock()
	base, ok := r.after[unit]
	r.mu.Unlock()
	return func(ctx context.Context) (systemd.UnitState, error) {
		if ok {
			ok = false
			return base, nil
		}
		return r.Manager.Unit(ctx, unit)
	}
}

// gateFailures lists the units whose gate failed.
func gateFailures(results []InstanceWait) []string {
	var failed []string
	for _, r := range results {
		if !r.Healthy {
			failed = append(failed, r.Unit)
		}
	}
	return failed
}

// instanceName is the instance of a unit NAME@INSTANCE.service.
func instanceName(service, unit string) string {
	return strings.TrimSuffix(strings.TrimPrefix(unit, service+"@"), ".service")
}
