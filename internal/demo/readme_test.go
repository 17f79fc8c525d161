package main

import (
	"os"
	"strings"
	"testing"
)

// The README's "Progressive delivery" example is a valid service file with
// every key the section documents: a canary batch, a timed pause, an
// approval gate, the expiry keys, and a ratio, a value and an exec metric
// beside the journal rule, and on_inconclusive: pause.
func TestReadmeProgressiveExample(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(b), "\n## Progressive delivery\n")
	_, rest, ok2 := strings.Cut(sec, "```yaml\n")
	example, _, ok3 := strings.Cut(rest, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("no yaml example in the README's Progressive delivery section")
	}
	svc := parse(t, "README.md", example)
	var timed, gates int
	for _, st := range svc.Rollout.Steps {
		switch {
		case st.Gate:
			gates++
		case st.Pause != 0:
			timed++
		}
	}
	if timed != 1 || gates != 1 || svc.Rollout.PauseExpiry == nil || svc.Rollout.OnPauseExpiry == "" {
		t.Errorf("rollout %+v: want one timed pause, one gate, pause_expiry and on_pause_expiry", svc.Rollout)
	}
	a := svc.Analysis
	if a == nil || a.Journal == nil || len(a.Metrics) != 3 || a.OnInconclusive != "pause" {
		t.Fatalf("analysis %+v: want three metrics, the journal rule and on_inconclusive: pause", a)
	}
	if m := a.Metrics; m[0].Errors == "" || m[0].Total == "" || m[1].Query == "" || len(m[2].Exec) == 0 {
		t.Errorf("metrics %+v: want a ratio, a value and an exec metric", m)
	}
}
