package fleetbench

import (
	"os"
	"strings"
	"testing"
	"time"
)

func readStream(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("testdata/two-batches.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestParseRollout: the batches, each host's times and the figures the
// benchmarks report, from a controller's --json stream of 2 host batches.
func TestParseRollout(t *testing.T) {
	r, err := ParseRollout(readStream(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(r.Batches); got != 2 || strings.Join(r.Batches[0], ",") != "h1,h2" || strings.Join(r.Batches[1], ",") != "h3" {
		t.Errorf("batches %v, want [h1 h2] [h3]", r.Batches)
	}
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, "2026-12-01T16:00:"+s+"Z")
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	want := map[string]HostTimes{
		"h1": {Batch: 0, Planned: at("01.200"), Started: at("01.230"), First: at("01.240"), End: at("05.240"), Done: at("06.300")},
		"h2": {Batch: 0, Planned: at("01.200"), Started: at("01.250"), First: at("01.260"), End: at("06.260"), Done: at("06.300")},
		"h3": {Batch: 1, Planned: at("06.450"), Started: at("06.480"), First: at("06.490"), End: at("10.490"), Done: at("10.520")},
	}
	for n, w := range want {
		g := r.Hosts[n]
		if g == nil || *g != w {
			t.Errorf("%s: %+v, want %+v", n, g, w)
		}
	}
	// Batch 1's slowest is h2 (5 s), batch 2's h3 (4 s).
	if got := r.SlowestSum(); got != 9*time.Second {
		t.Errorf("SlowestSum %s, want 9s", got)
	}
	// Batch 1 spans 1.200 to 6.300, its slowest 5 s; batch 2 6.450 to
	// 10.520, its slowest 4 s.
	o := r.Overhead(at("00.500"), at("10.700"))
	if want := (Overhead{Prepare: 700 * time.Millisecond, Copy: 500 * time.Millisecond, InBatch: 170 * time.Millisecond,
		Between: 150 * time.Millisecond, Tail: 180 * time.Millisecond}); o != want {
		t.Errorf("Overhead %+v, want %+v", o, want)
	}
	if sum := o.Prepare + o.InBatch + o.Between + o.Tail + r.SlowestSum(); sum != 10200*time.Millisecond {
		t.Errorf("the parts sum to %s, want the 10.2s from begin to end", sum)
	}
	if r.Sent != 2400 || len(r.Failed) != 0 {
		t.Errorf("sent %d, failed %v; want 2400, none", r.Sent, r.Failed)
	}
}

// TestParseRolloutRefuses: a stream the figures cannot be computed from
// is an error naming what is missing, never a silent zero.
func TestParseRolloutRefuses(t *testing.T) {
	good := readStream(t)
	drop := func(match string) string {
		var b strings.Builder
		for l := range strings.Lines(good) {
			if !strings.Contains(l, match) {
				b.WriteString(l)
			}
		}
		return b.String()
	}
	for _, tc := range []struct {
		name, stream, want string
	}{
		{"no summary", drop("fleet-summary"), "no fleet-summary line"},
		{"no rollout-end", drop(`"h3","result":"succeeded","schema"`), "host h3: started true, first event true, rollout-end false"},
		{"no start note", drop(`"host":"h2","message":"started`), "host h2: started false"},
		{"no batch end", drop("host batch 2: continue"), "host h3: started true, first event true, rollout-end true, batch end false"},
		{"batch 1 not announced", drop("host batch 1 of 2"), "host batch 1 ended, of 0 announced"},
		{"batch 2 before 1", strings.Replace(good, "host batch 1 of 2", "host batch 2 of 2", 1), "host batch 2 announced after 0 batches"},
		{"not JSON", good + "fleet: oops\n", "not a JSON line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRollout(tc.stream)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestParseRolloutFailed: a host that did not succeed is in Failed.
func TestParseRolloutFailed(t *testing.T) {
	s := strings.Replace(readStream(t), `{"host":"h3","result":"succeeded","sent_bytes":0`, `{"host":"h3","result":"rolled-back","sent_bytes":0`, 1)
	r, err := ParseRollout(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Failed) != 1 || !strings.HasPrefix(r.Failed[0], "h3:rolled-back") {
		t.Errorf("failed %v, want h3:rolled-back", r.Failed)
	}
}

func TestSamples(t *testing.T) {
	s := Samples{3, 1, 2}
	if s.Mean() != 2 || s.Max() != 3 || s.Spread("%.0f") != "1 / 2 / 3 (n=3)" {
		t.Errorf("mean %v max %v spread %q", s.Mean(), s.Max(), s.Spread("%.0f"))
	}
	var none Samples
	if none.Mean() != 0 || none.Max() != 0 || none.Spread("%.0f") != "no samples" {
		t.Errorf("empty: mean %v max %v spread %q", none.Mean(), none.Max(), none.Spread("%.0f"))
	}
}
