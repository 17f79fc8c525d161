package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/schema"
	"github.com/sysroll/sysroll/internal/traffic"
)

func progressEvents() []rollout.Event {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	return []rollout.Event{
		{Service: "shop", Time: t0.Add(-5 * time.Second), Type: rollout.EventStaged, Batch: -1, Message: "v2 (sha256 0123456789ab, dir)"},
		{Service: "shop", Time: t0, Type: rollout.EventRolloutStart, Batch: -1, Message: "deploy shop: v1 → v2"},
		{Service: "shop", Time: t0.Add(2 * time.Second), Type: rollout.EventInstanceDone, Instance: "8081", Batch: 0,
			Health: "ok", Elapsed: 2 * time.Second, Traffic: &traffic.Snapshot{Requests: 40, Failed: 0}},
	}
}

// The plain progress starts its clock with the rollout, not with the
// staging before it, and shows the traffic counts an instance event carries.
func TestTextProgress(t *testing.T) {
	var b bytes.Buffer
	p := &textProgress{w: &b}
	for _, e := range progressEvents() {
		p.Event(e)
	}
	want := "staged release v2 (sha256 0123456789ab, dir)\n" +
		"[  0.0s] deploy shop: v1 → v2\n" +
		"[  2.0s]   8081       healthy after 2s (ok)  [traffic: 40 requests, 0 failed]\n"
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}

// --json prints one schema event per line.
func TestJSONProgress(t *testing.T) {
	var b bytes.Buffer
	p := &jsonProgress{enc: json.NewEncoder(&b)}
	for _, e := range progressEvents() {
		p.Event(e)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines: %s", len(lines), b.String())
	}
	var last schema.Event
	if err := json.Unmarshal([]byte(lines[2]), &last); err != nil {
		t.Fatal(err)
	}
	if last.Schema != schema.EventV1 || last.Service != "shop" || last.Type != "instance-done" || last.Traffic == nil || last.Traffic.Requests != 40 {
		t.Errorf("last event %+v", last)
	}
}

// A drain or undrain with nothing to do (no balancer, no hooks) is not
// printed: "drain" there said something was taken out of traffic.
func TestTextProgressLeavesOutSkippedPhases(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	p := &textProgress{w: &b}
	for _, e := range []rollout.Event{
		{Time: t0, Type: rollout.EventPhase, Instance: "8081", Phase: "drain", Skipped: true},
		{Time: t0, Type: rollout.EventPhase, Instance: "8081", Phase: "restart"},
		{Time: t0, Type: rollout.EventPhase, Instance: "8081", Phase: "undrain", Skipped: true},
		{Time: t0, Type: rollout.EventPhase, Instance: "8082", Phase: "drain"},
	} {
		p.Event(e)
	}
	want := "[  0.0s]   8081       restart\n" +
		"[  0.0s]   8082       drain\n"
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}
