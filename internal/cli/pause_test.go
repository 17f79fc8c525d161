package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/schema"
)

// The plain display of a rollout with a timed pause, the --dry-run plan
// of steps and history's pause lines, against one golden file.
func TestPauseText(t *testing.T) {
	var b strings.Builder
	plan := &schema.Plan{Schema: schema.PlanV1, Service: "hello", Kind: release.KindDeploy, Target: "v2",
		Batches: []schema.PlanBatch{
			{Instances: []schema.PlanInstance{{Name: "8081", Current: "v1"}}, PauseAfterSeconds: 900},
			{Instances: []schema.PlanInstance{{Name: "8082", Current: "v1"}}, GateAfter: true},
			{Instances: []schema.PlanInstance{{Name: "8083", Current: "v1"}}},
		},
		HealthyFor: 2, Deadline: 60, FailureAction: "rollback"}
	if err := printPlan(&globals{stdout: &b}, plan); err != nil {
		t.Fatal(err)
	}
	b.WriteString("--\n")
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	p := &textProgress{w: &b}
	for _, e := range []rollout.Event{
		{Type: rollout.EventRolloutStart, Time: t0, Batch: -1, Message: "deploy hello: v1 → v2 (8081 | pause 15m0s | 8082,8083)"},
		{Type: rollout.EventPause, Time: t0.Add(7 * time.Second), Wait: 15 * time.Minute, Message: "pausing 15m0s after batch 1, watching 8081"},
		{Type: rollout.EventPauseEnd, Time: t0.Add(97 * time.Second), PauseResult: release.PauseFailed, Message: "8081 restarted (NRestarts 0 → 1)"},
		{Type: rollout.EventPause, Time: t0.Add(100 * time.Second), Batch: 1, Wait: time.Minute, Message: "pausing 1m0s after batch 2, watching 8081, 8082"},
		{Type: rollout.EventPauseEnd, Time: t0.Add(160 * time.Second), Batch: 1, PauseResult: release.PausePassed},
	} {
		p.Event(e)
	}
	b.WriteString("--\n")
	printPauses(&b, []release.Record{{ID: "r1", Pauses: []release.Pause{
		{After: 0, Duration: 15 * time.Minute, Result: release.PauseFailed, Waited: 90 * time.Second, Message: "8081 restarted (NRestarts 0 → 1)"},
		{After: 1, Duration: time.Minute},
	}}})
	b.WriteString("--\n")
	// An approval gate: the events, history's lines and status's block.
	loc := time.Local
	time.Local = time.UTC
	defer func() { time.Local = loc }()
	for _, e := range []rollout.Event{
		{Type: rollout.EventPause, Time: t0.Add(7 * time.Second), PauseResult: release.PauseWaiting, Message: "stopping at the approval gate after batch 1; it expires at 2026-12-02 10:00:07 (on_pause_expiry: rollback)"},
		{Type: rollout.EventPauseEnd, Time: t0.Add(time.Hour), PauseResult: release.PausePromoted, Message: "promoted by alice: p99 fine"},
	} {
		p.Event(e)
	}
	gate := release.Record{ID: "r2", Service: "hello", Kind: release.KindDeploy, From: "v1", To: "v2", Started: t0, Result: release.ResultPaused,
		Reason: "paused at the approval gate after batch 1",
		Pauses: []release.Pause{
			{After: 0, Kind: release.PauseGate, Result: release.PausePromoted, Started: t0.Add(7 * time.Second), Ended: t0.Add(time.Hour),
				Promotion: &release.Promotion{By: "alice", At: t0.Add(time.Hour), Reason: "p99 fine"}},
			{After: 1, Kind: release.PauseManual, Result: release.PauseWaiting, Started: t0.Add(time.Hour + 9*time.Second), By: "bob", Reason: "error budget alert",
				ExpiresAt: t0.Add(25*time.Hour + 9*time.Second), OnExpiry: "rollback", Timer: "sysroll-expire-hello-r2-2.timer",
				Watch: []release.Watched{{Name: "8081", InvocationID: "0123456789abcdef", NRestarts: 0}, {Name: "8082", InvocationID: "fedcba9876543210", NRestarts: 1}}},
		},
		Analysis: []release.BatchAnalysis{{Batch: 0, Outcome: "passed", Measured: 3, Reason: "every metric within bounds"}},
	}
	printPauses(&b, []release.Record{gate})
	printPaused(&b, &gate)
	golden := filepath.Join("testdata", "pause.txt")
	if *updateGolden {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}

// The terminal's countdown line is drawn while a pause runs, and goes
// when it ends.
func TestPauseCountdown(t *testing.T) {
	var b strings.Builder
	p := &ttyProgress{w: &b, rows: map[string]*ttyRow{}, stop: make(chan struct{})}
	now := time.Now()
	p.Event(rollout.Event{Type: rollout.EventPause, Time: now, Wait: 80 * time.Second, Message: "pausing 1m20s after batch 1, watching 8081"})
	if !strings.Contains(b.String(), "paused, 1m20s left") && !strings.Contains(b.String(), "paused, 1m19s left") {
		t.Errorf("no countdown line:\n%q", b.String())
	}
	b.Reset()
	p.Event(rollout.Event{Type: rollout.EventPauseEnd, Time: now, PauseResult: release.PausePassed})
	if strings.Contains(b.String(), "left (watching") {
		t.Errorf("countdown still drawn after the pause:\n%q", b.String())
	}
	// A gate: the process exits, nothing counts down.
	b.Reset()
	p.Event(rollout.Event{Type: rollout.EventPause, Time: now, PauseResult: release.PauseWaiting, Message: "stopping at the approval gate after batch 1"})
	if strings.Contains(b.String(), "left (watching") || !strings.Contains(b.String(), "stopping at the approval gate") {
		t.Errorf("a gate drew a countdown, or not its line:\n%q", b.String())
	}
}
