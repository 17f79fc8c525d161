package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
)

func TestTTYProgressRedrawsInPlace(t *testing.T) {
	var buf bytes.Buffer
	p := newTTYProgress(&buf, nil)
	now := time.Now()
	for _, e := range []rollout.Event{
		{Type: rollout.EventRolloutStart, Message: "deploy hello: v1 → v2", Time: now},
		{Type: rollout.EventBatchStart, Batch: 0, Message: "8081", Time: now},
		{Type: rollout.EventPhase, Instance: "8081", Phase: release.PhaseRestart, Time: now},
		{Type: rollout.EventPhase, Instance: "8081", Phase: release.PhaseGate, Time: now},
		{Type: rollout.EventInstanceDone, Instance: "8081", Elapsed: 2 * time.Second, Health: "ok", Time: now},
		{Type: rollout.EventBatchStart, Batch: 1, Message: "8082", Time: now},
		{Type: rollout.EventInstanceFailed, Instance: "8082", Message: "job failed", Logs: []string{"exit 1"}, Time: now},
		{Type: rollout.EventRolloutEnd, Result: release.ResultRolledBack, Time: now},
	} {
		p.Event(e)
	}
	out := buf.String()
	// The instance block is erased (cursor up + clear) before new lines.
	if !strings.Contains(out, "\033[2A\033[J") {
		t.Errorf("no in-place redraw of a 2-line block:\n%q", out)
	}
	// The last screen shows each instance once, with its final state.
	last := out[strings.LastIndex(out, "rollout rolled-back"):]
	for _, want := range []string{"8081", "healthy", "8082", "FAILED"} {
		if !strings.Contains(last, want) {
			t.Errorf("final block lacks %q:\n%s", want, last)
		}
	}
	if strings.Count(last, "8081") != 1 {
		t.Errorf("8081 drawn %d times in the final block:\n%s", strings.Count(last, "8081"), last)
	}
	if !strings.Contains(out, "| exit 1") {
		t.Error("journal lines of the failure not shown")
	}
}
