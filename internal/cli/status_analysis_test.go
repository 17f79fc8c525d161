package cli

import (
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/release"
)

func TestWriteStatusAnalysis(t *testing.T) {
	rec := &release.Record{ID: "r1", Kind: release.KindDeploy, From: "v1", To: "v2", Result: release.ResultRolledBack,
		Analysis: []release.BatchAnalysis{
			{Batch: 0, Outcome: "passed", Canary: []string{"8081"}, Baseline: []string{"8082", "8083"}, Measured: 3, Reason: "every metric within bounds"},
			{Batch: 0, During: "pause", Outcome: "failed", Canary: []string{"8081"}, Baseline: []string{"8082", "8083"}, Measured: 4,
				Reason: "1 failed measurements (failure_limit 0); last: errors: canary 12 of 100 = 0.12 above max 0.02"},
		}}
	var b strings.Builder
	writeStatusAnalysis(&b, rec)
	want := `analysis of the newest rollout r1 (deploy v1 -> v2, rolled-back):
  batch 1 analysis passed (canary 8081 vs baseline 8082,8083, 3 measurements): every metric within bounds
  analysis during the pause after batch 1 failed (canary 8081 vs baseline 8082,8083, 4 measurements): 1 failed measurements (failure_limit 0); last: errors: canary 12 of 100 = 0.12 above max 0.02
`
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	writeStatusAnalysis(&b, &release.Record{ID: "r2"})
	if b.Len() != 0 {
		t.Errorf("a rollout without analysis printed %q", b.String())
	}
}
