package analysis

import (
	"encoding/json"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// The record's form of verdicts: a failed ratio with both measurements, a
// provider error, a data problem, a value without baseline.
func TestVerdictJSONGolden(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 30, 0, time.UTC)
	ratio := Metric{Name: "errors", Errors: "e{instances}", Total: "t{instances}", MinTotal: 100,
		VsBaseline: &VsBaseline{MaxRatio: 2, MaxDelta: 0.002, Confidence: 0.99}}
	c := Measurement{Metric: "errors", Set: Canary, At: at, Queries: []string{`sum(increase(x{instance=~"127\\.0\\.0\\.1:8081"}[25s]))`, `…`},
		Counts: &Counts{Events: 50, Exposure: 1000}}
	b := Measurement{Metric: "errors", Set: Baseline, At: at, Counts: &Counts{Events: 3, Exposure: 3000}}
	perr := Measurement{Metric: "errors", Set: Canary, At: at, Err: errors.New("provider error: 503")}
	stale := Measurement{Metric: "p99", Set: Canary, At: at, Problem: Problemf(Stale, "series from an older process")}
	x := 0.12
	val := Measurement{Metric: "p99", Set: Canary, At: at, Value: &x}
	p99 := Metric{Name: "p99", Query: "q{instances}", Max: f(0.3)}
	vs := []Verdict{Judge(ratio, c, &b), Judge(ratio, perr, &b), Judge(p99, stale, nil), Judge(p99, val, nil)}
	got, err := json.MarshalIndent(vs, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "verdicts.golden")
	if *update {
		if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(got)+"\n" != string(want) {
		t.Errorf("JSON differs from %s (run with -update to accept):\n%s", golden, got)
	}

	var back []Verdict
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	if len(back) != 4 || back[0].P != vs[0].P || back[0].Canary != 0.05 || !math.IsNaN(back[2].Canary) ||
		back[1].Measurements[0].Err == nil || back[1].Measurements[0].Err.Error() != "provider error: 503" ||
		back[2].Measurements[0].Problem.Cause != Stale || *back[3].Measurements[0].Value != 0.12 {
		t.Errorf("round trip: %+v", back)
	}
}

func TestMeasurementJSONNotFinite(t *testing.T) {
	v := math.NaN()
	b, err := json.Marshal([]Measurement{{Metric: "a", Value: &v}, {Metric: "b", Counts: &Counts{Events: math.Inf(1), Exposure: 1}}})
	if err != nil || string(b) != `[{"metric":"a","set":"","at":"0001-01-01T00:00:00Z"},{"metric":"b","set":"","at":"0001-01-01T00:00:00Z"}]` {
		t.Errorf("%s, %v", b, err)
	}
}
