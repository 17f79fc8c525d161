package plan_test

import (
	"flag"
	"os"
	"testing"

	"github.com/sysroll/sysroll/internal/fleet/plan"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestDescribeGolden(t *testing.T) {
	p, err := plan.Batches(fleet(10), plan.Strategy{
		Ramp:         []plan.Size{n(1), pct(50)},
		MaxPerLabel:  map[string]int{"zone": 1},
		OrderBy:      []string{"zone"},
		MinAvailable: pct(75),
	})
	if err != nil {
		t.Fatal(err)
	}
	got := p.Describe()
	const path = "testdata/plan.golden.txt"
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if got != string(want) {
		t.Errorf("Describe differs from %s (go test -update rewrites it):\n%s", path, got)
	}
}
