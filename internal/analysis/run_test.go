package analysis

import (
	"strings"
	"testing"
)

func verdict(metric string, o Outcome) Verdict {
	return Verdict{Metric: metric, Outcome: o, Reason: metric + ": " + string(o)}
}

func TestRun(t *testing.T) {
	P, F, I, E := Pass, Fail, Inconclusive, Error
	for _, tc := range []struct {
		name    string
		limits  Limits
		metrics []string
		adds    []Verdict
		now     BatchOutcome // Verdict() after the adds
		final   BatchOutcome // Finish()
		reason  string
	}{
		{"all pass", Limits{0, 3}, []string{"a", "b"},
			[]Verdict{verdict("a", P), verdict("b", P), verdict("a", P), verdict("b", P)}, Running, Passed, "within bounds"},
		{"one failure at limit 0", Limits{0, 3}, []string{"a", "b"},
			[]Verdict{verdict("a", P), verdict("b", F)}, Failed, Failed, "1 failed measurements (failure_limit 0)"},
		{"failure_limit counts across metrics", Limits{1, 3}, []string{"a", "b"},
			[]Verdict{verdict("a", F), verdict("b", P), verdict("a", P), verdict("b", F)}, Failed, Failed, "2 failed measurements (failure_limit 1)"},
		{"tolerated failure", Limits{1, 3}, []string{"a"},
			[]Verdict{verdict("a", F), verdict("a", P)}, Running, Passed, "within failure_limit 1"},
		{"consecutive errors fail", Limits{0, 3}, []string{"a"},
			[]Verdict{verdict("a", E), verdict("a", E), verdict("a", E)}, Failed, Failed, "3 provider errors in a row"},
		{"errors interrupted by a pass", Limits{0, 3}, []string{"a"},
			[]Verdict{verdict("a", E), verdict("a", E), verdict("a", P), verdict("a", E), verdict("a", E)}, Running, Passed, ""},
		{"errors do not add up across metrics", Limits{0, 2}, []string{"a", "b"},
			[]Verdict{verdict("a", E), verdict("b", E), verdict("a", P), verdict("b", P)}, Running, Passed, ""},
		{"never measured", Limits{0, 3}, []string{"a", "b"},
			[]Verdict{verdict("a", P), verdict("b", E)}, Running, Failed, "never measured: b"},
		{"stopped before any measurement", Limits{0, 3}, []string{"a"}, nil, Running, Failed, "never measured: a"},
		{"no metrics", Limits{0, 3}, nil, nil, Running, Failed, "no metric"},
		{"last inconclusive", Limits{0, 3}, []string{"a"},
			[]Verdict{verdict("a", P), verdict("a", I)}, Running, BatchInconclusive, "a: inconclusive"},
		{"thin then enough data", Limits{0, 3}, []string{"a"},
			[]Verdict{verdict("a", I), verdict("a", I), verdict("a", P)}, Running, Passed, ""},
		{"an error after inconclusive keeps it inconclusive", Limits{0, 3}, []string{"a"},
			[]Verdict{verdict("a", I), verdict("a", E)}, Running, BatchInconclusive, ""},
		{"unknown metric fails", Limits{5, 3}, []string{"a"},
			[]Verdict{verdict("a", P), verdict("zz", P)}, Failed, Failed, `unknown metric "zz"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRun(tc.metrics, tc.limits)
			for _, v := range tc.adds {
				r.Add(v)
			}
			if got := r.Verdict(); got.Outcome != tc.now {
				t.Errorf("Verdict() = %s (%s), want %s", got.Outcome, got.Reason, tc.now)
			}
			got := r.Finish()
			if got.Outcome != tc.final {
				t.Errorf("Finish() = %s (%s), want %s", got.Outcome, got.Reason, tc.final)
			}
			if !strings.Contains(got.Reason, tc.reason) {
				t.Errorf("Finish() reason %q lacks %q", got.Reason, tc.reason)
			}
		})
	}
}

// A Fail once the limit is exceeded stays: later passes do not undo it.
func TestRunFailureSticks(t *testing.T) {
	r := NewRun([]string{"a"}, Limits{0, 3})
	r.Add(verdict("a", Fail))
	r.Add(verdict("a", Pass))
	if got := r.Finish(); got.Outcome != Failed || len(got.Last) != 1 || got.Last[0].Outcome != Pass {
		t.Errorf("Finish() = %+v, want failed with the last verdict kept", got)
	}
}
