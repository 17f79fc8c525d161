package health

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/systemd"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func running(inv string, restarts uint32) systemd.UnitState {
	return systemd.UnitState{Name: "hello@8082.service", LoadState: "loaded", ActiveState: systemd.Active,
		SubState: "running", InvocationID: inv, NRestarts: restarts}
}

// obs builders
func pass() observation {
	return observation{unit: running("a", 0), probed: true, probe: Result{OK: true, Detail: "GET /: 200 OK"}}
}
func fail() observation {
	return observation{unit: running("a", 0), probed: true, probe: Result{Detail: "GET /: 503 Service Unavailable"}}
}
func starting() observation {
	return observation{unit: systemd.UnitState{Name: "u", LoadState: "loaded", ActiveState: systemd.Activating, SubState: "start", InvocationID: "a"}}
}
func restarted() observation {
	return observation{unit: running("b", 1), probed: true, probe: Result{OK: true}}
}
func bumped() observation {
	return observation{unit: running("a", 1), probed: true, probe: Result{OK: true}}
}
func dead() observation {
	return observation{unit: systemd.UnitState{Name: "u", LoadState: "loaded", ActiveState: systemd.Failed, SubState: "failed", InvocationID: "a", Result: "exit-code"}}
}
func unreadable() observation { return observation{unitErr: errors.New("bus gone")} }

type step struct {
	at  time.Duration
	obs observation
}

// every makes n steps Interval apart from `from`, all with the same observation.
func every(from, interval time.Duration, n int, o observation) []step {
	var s []step
	for i := range n {
		s = append(s, step{from + time.Duration(i)*interval, o})
	}
	return s
}

func seq(parts ...[]step) []step {
	var s []step
	for _, p := range parts {
		s = append(s, p...)
	}
	return s
}

func TestEvaluate(t *testing.T) {
	base := Gate{Interval: time.Second, HealthyFor: 5 * time.Second, Deadline: 30 * time.Second}
	tests := []struct {
		name    string
		gate    Gate
		steps   []step
		want    verdict
		wantErr error
		msg     string // substring of the error
		next    time.Duration
	}{
		{name: "healthy at once without window", gate: Gate{HealthyFor: -1},
			steps: every(0, time.Second, 1, pass()), want: healthy},
		{name: "window of 5s", gate: base,
			steps: every(0, time.Second, 6, pass()), want: healthy},
		{name: "window not yet over", gate: base,
			steps: every(0, time.Second, 5, pass()), want: waiting, next: 5 * time.Second},
		{name: "next check lands on the window's end", gate: Gate{Interval: 3 * time.Second, HealthyFor: 4 * time.Second, Deadline: time.Minute},
			steps: every(0, 3*time.Second, 2, pass()), want: waiting, next: 4 * time.Second},
		{name: "next check lands on the deadline", gate: Gate{Interval: 3 * time.Second, HealthyFor: 4 * time.Second, Deadline: 5 * time.Second},
			steps: every(0, 3*time.Second, 1, starting()), want: waiting, next: 3 * time.Second},
		{name: "healthy threshold", gate: Gate{Interval: time.Second, HealthyThreshold: 3, HealthyFor: -1},
			steps: every(0, time.Second, 2, pass()), want: waiting, next: 2 * time.Second},
		{name: "healthy threshold reached", gate: Gate{Interval: time.Second, HealthyThreshold: 3, HealthyFor: -1},
			steps: every(0, time.Second, 3, pass()), want: healthy},
		{name: "never ready: unit activating", gate: base,
			steps: every(0, time.Second, 31, starting()), want: failed, wantErr: ErrNotReady, msg: "activating (start)"},
		{name: "never ready: probe failing", gate: base,
			steps: every(0, time.Second, 31, fail()), want: failed, wantErr: ErrNotReady, msg: "503 Service Unavailable"},
		{name: "threshold not reached by deadline", gate: Gate{Interval: time.Second, HealthyThreshold: 5, HealthyFor: -1, Deadline: 10 * time.Second},
			steps: seq(every(0, time.Second, 8, fail()), every(8*time.Second, time.Second, 3, pass())),
			want:  failed, wantErr: ErrNotReady, msg: "only 3 of 5"},
		{name: "failures before ready do not count", gate: base,
			steps: seq(every(0, time.Second, 10, fail()), every(10*time.Second, time.Second, 6, pass())), want: healthy},
		{name: "crash while starting", gate: base,
			steps: seq(every(0, time.Second, 2, starting()), every(2*time.Second, time.Second, 1, restarted())),
			want:  failed, wantErr: ErrCrashed, msg: "new invocation"},
		{name: "auto-restart inside the window", gate: base,
			steps: seq(every(0, time.Second, 3, pass()), every(3*time.Second, time.Second, 1, restarted())),
			want:  failed, wantErr: ErrCrashed},
		{name: "NRestarts up inside the window", gate: base,
			steps: seq(every(0, time.Second, 3, pass()), every(3*time.Second, time.Second, 1, bumped())),
			want:  failed, wantErr: ErrCrashed, msg: "NRestarts 0 → 1"},
		{name: "unit failed", gate: base,
			steps: seq(every(0, time.Second, 1, pass()), every(time.Second, time.Second, 1, dead())),
			want:  failed, wantErr: ErrCrashed, msg: "exit-code"},
		{name: "blip restarts the window", gate: base,
			steps: seq(every(0, time.Second, 5, pass()), every(5*time.Second, time.Second, 1, fail()), every(6*time.Second, time.Second, 5, pass())),
			want:  waiting, next: 11 * time.Second},
		{name: "blip restarts the window, then healthy", gate: base,
			steps: seq(every(0, time.Second, 5, pass()), every(5*time.Second, time.Second, 1, fail()), every(6*time.Second, time.Second, 6, pass())),
			want:  healthy},
		{name: "unhealthy threshold", gate: base,
			steps: seq(every(0, time.Second, 2, pass()), every(2*time.Second, time.Second, 3, fail())),
			want:  failed, wantErr: ErrUnhealthy, msg: "3 checks in a row failed"},
		{name: "unreadable unit counts as failing", gate: base,
			steps: seq(every(0, time.Second, 2, pass()), every(2*time.Second, time.Second, 3, unreadable())),
			want:  failed, wantErr: ErrUnhealthy, msg: "bus gone"},
		{name: "flapping until the deadline", gate: Gate{Interval: time.Second, HealthyFor: 5 * time.Second, Deadline: 12 * time.Second},
			steps: seq(every(0, time.Second, 4, pass()), every(4*time.Second, time.Second, 1, fail()),
				every(5*time.Second, time.Second, 4, pass()), every(9*time.Second, time.Second, 1, fail()),
				every(10*time.Second, time.Second, 3, pass())),
			want: failed, wantErr: ErrDeadline, msg: "not healthy for 5s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := tt.gate.WithDefaults()
			st := gateState{start: t0}
			var d decision
			for i, s := range tt.steps {
				st, d = evaluate(g, st, s.obs, t0.Add(s.at))
				if i < len(tt.steps)-1 && d.verdict != waiting {
					t.Fatalf("step %d (+%s): verdict %d (%v) before the end", i, s.at, d.verdict, d.err)
				}
			}
			if d.verdict != tt.want {
				t.Fatalf("verdict = %d (%v), want %d", d.verdict, d.err, tt.want)
			}
			if tt.wantErr != nil && !errors.Is(d.err, tt.wantErr) {
				t.Errorf("err = %v, want %v", d.err, tt.wantErr)
			}
			if tt.wantErr == nil && d.err != nil {
				t.Errorf("unexpected err %v", d.err)
			}
			if tt.msg != "" && (d.err == nil || !strings.Contains(d.err.Error(), tt.msg)) {
				t.Errorf("err = %v, want it to mention %q", d.err, tt.msg)
			}
			if tt.want == waiting && d.next != t0.Add(tt.next) {
				t.Errorf("next check at +%s, want +%s", d.next.Sub(t0), tt.next)
			}
		})
	}
}

func TestCheckUnit(t *testing.T) {
	ok := running("a", 2)
	tests := []struct {
		name string
		cur  func(u *systemd.UnitState)
		want error
	}{
		{"running", func(*systemd.UnitState) {}, nil},
		{"new invocation", func(u *systemd.UnitState) { u.InvocationID = "b" }, ErrCrashed},
		{"restart counted", func(u *systemd.UnitState) { u.NRestarts = 3 }, ErrCrashed},
		{"waiting to auto-restart", func(u *systemd.UnitState) { u.ActiveState, u.SubState = systemd.Activating, "auto-restart" }, ErrCrashed},
		{"failed", func(u *systemd.UnitState) { u.ActiveState, u.SubState = systemd.Failed, "failed" }, ErrCrashed},
		{"stopped", func(u *systemd.UnitState) { u.ActiveState, u.SubState = systemd.Inactive, "dead" }, ErrCrashed},
		{"stopping", func(u *systemd.UnitState) { u.ActiveState, u.SubState = systemd.Deactivating, "stop-sigterm" }, ErrCrashed},
		{"not found", func(u *systemd.UnitState) { u.LoadState = "not-found" }, ErrCrashed},
		{"starting (no READY=1 yet)", func(u *systemd.UnitState) { u.ActiveState, u.SubState = systemd.Activating, "start" }, ErrNotReady},
		{"exited oneshot", func(u *systemd.UnitState) { u.SubState = "exited" }, ErrNotReady},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur := ok
			tt.cur(&cur)
			err := CheckUnit(ok, cur)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("CheckUnit = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestGateValidate(t *testing.T) {
	tests := []struct {
		name string
		g    Gate
		want []string
	}{
		{"defaults", Gate{}, nil},
		{"negatives", Gate{Interval: -1, Timeout: -1, HealthyThreshold: -1, UnhealthyThreshold: -1, Deadline: -1},
			[]string{"interval -1ns is negative", "timeout", "healthy_threshold", "unhealthy_threshold", "deadline"}},
		{"window longer than deadline", Gate{HealthyFor: time.Minute, Deadline: 30 * time.Second},
			[]string{"healthy_for 1m0s", "must be shorter than deadline 30s"}},
		{"threshold pushes past deadline", Gate{Interval: 10 * time.Second, HealthyThreshold: 4, HealthyFor: time.Second, Deadline: 30 * time.Second},
			[]string{"3×10s interval"}},
		{"interval and timeout vs deadline", Gate{Interval: time.Minute, Timeout: time.Minute, HealthyFor: -1, Deadline: time.Minute},
			[]string{"interval 1m0s must be shorter", "timeout 1m0s must be shorter"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.g.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate = nil")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}
