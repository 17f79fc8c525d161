//go:build integration

package analysis

import (
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/release"
)

// thin is a ratio metric no batch can see enough requests for: every
// judgement of it is inconclusive, never a pass.
const thin = `    - name: thin
      errors: sum(increase(hello_requests_total{instance=~"{instances}",code=~"5.."}[{window}]))
      total: sum(increase(hello_requests_total{instance=~"{instances}"}[{window}]))
      max: 0.02
      min_total: 1000000
  on_inconclusive: pause
`

// (i) on_inconclusive: pause: a canary whose analysis saw too little
// traffic parks the rollout (exit 3, no process left) instead of passing
// or failing it; promote accepts the batch and the next one parks again
// for the same reason; abort then puts every touched instance back.
func TestAnalysisInconclusivePauses(t *testing.T) {
	s := &service{t: t, name: "an-thin", ports: []int{25814, 25819, 25824}}
	_, _, stop := loaded(t, s, 25858, thin)
	defer stop()
	before := s.invocations()
	r := s.deploy("v2", s.release("v2"))
	if r.Code != 3 {
		t.Fatalf("deploy: exit %d, want 3 (paused, inconclusive): %s", r.Code, r)
	}
	if p := e2etest.Run(t, "pgrep", "-a", "-x", "sysroll"); p.Code == 0 {
		t.Errorf("a sysroll process is alive while paused:\n%s", p.Stdout)
	}
	rec := lastRecord(t, s.name)
	if rec.Result != release.ResultPaused || len(rec.Pauses) != 1 || rec.Pauses[0].Kind != release.PauseInconclusive ||
		!strings.Contains(rec.Pauses[0].Reason, "inconclusive") || rec.Analysis[0].Outcome != "inconclusive" {
		t.Fatalf("record %s, pauses %+v, analysis %+v", rec.Result, rec.Pauses, rec.Analysis)
	}
	s.assertOnlyCanaryRestarted(before)
	t.Logf("paused: %s", rec.Pauses[0].Reason)
	p := e2etest.Sysroll(t, "promote", s.name, "--pause", "1", "--reason", "low traffic hour, logs fine")
	if p.Code != 3 {
		t.Fatalf("promote: exit %d, want 3 (the last batch is inconclusive too): %s", p.Code, p)
	}
	rec = lastRecord(t, s.name)
	if len(rec.Pauses) != 2 || rec.Pauses[0].Result != release.PausePromoted || rec.Pauses[1].Kind != release.PauseInconclusive {
		t.Fatalf("pauses after promote %+v", rec.Pauses)
	}
	if a := e2etest.Sysroll(t, "abort", s.name); a.Code != 0 {
		t.Fatalf("abort: %s", a)
	}
	s.assertAllOn("v1")
	if last := lastRecord(t, s.name); last.ID != rec.ID || last.Result != release.ResultRolledBack {
		t.Errorf("record after abort %s %s", last.ID, last.Result)
	}
}
