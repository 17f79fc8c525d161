package plan_test

import (
	"testing"

	"github.com/sysroll/sysroll/internal/fleet/plan"
)

// FuzzParseStrategy: no input makes the decoder panic, and what it accepts
// is valid and plans a small fleet.
func FuzzParseStrategy(f *testing.F) {
	for _, seed := range []string{
		"ramp: [1, \"25%\", \"100%\"]\nmax_parallel: 3\nmax_per_label: {zone: 1}\norder_by: [zone]\nfailure_budget: 1\nfailure_action: rollback\nmin_available: \"75%\"\nreattach_deadline: 10m\n",
		"batch: 2\n", "max_per_label:\n  zone: 1\n  rack: 2\n", "&a {batch: *a}", "[[[[", "batch: !!str 3",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := plan.ParseStrategy("fuzz.yaml", data)
		if err != nil {
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("ParseStrategy accepted an invalid strategy: %v", err)
		}
		hosts := fleet(6)
		s.MaxPerLabel, s.OrderBy = nil, nil // labels the fuzzer names are not on these hosts
		if _, err := plan.Batches(hosts, s); err != nil {
			t.Logf("Batches refused: %v", err) // min_available or the budget may not fit 6 hosts
		}
	})
}
