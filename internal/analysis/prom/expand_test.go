package prom

import (
	"regexp"
	"testing"
	"time"
)

func TestLabels(t *testing.T) {
	got, err := Labels("127.0.0.1:{port}", []string{"8081", "8082"})
	if err != nil || len(got) != 2 || got[0] != "127.0.0.1:8081" || got[1] != "127.0.0.1:8082" {
		t.Errorf("Labels = %q, %v", got, err)
	}
	if got, err := Labels("{instance}.local:9100", []string{"a"}); err != nil || got[0] != "a.local:9100" {
		t.Errorf("Labels {instance} = %q, %v", got, err)
	}
	if _, err := Labels("127.0.0.1:9100", []string{"a", "b"}); err == nil {
		t.Error("a template without placeholders was accepted")
	}
	if _, err := Labels("x{port}", []string{"1", "1"}); err == nil {
		t.Error("two instances with one label were accepted")
	}
}

// The regex matches exactly the set's labels: QuoteMeta keeps the dots
// literal, and PromQL anchors =~ (emulated here with ^(?:…)$).
func TestInstancesRegex(t *testing.T) {
	re := regexp.MustCompile("^(?:" + InstancesRegex([]string{"127.0.0.1:8081", "127.0.0.1:8082"}) + ")$")
	for s, want := range map[string]bool{
		"127.0.0.1:8081": true, "127.0.0.1:8082": true,
		"127.0.0.1:80810": false, "127a0a0a1:8081": false, "127.0.0.1:8083": false, "": false,
	} {
		if re.MatchString(s) != want {
			t.Errorf("%q matched = %v, want %v", s, !want, want)
		}
	}
	empty := regexp.MustCompile("^(?:" + InstancesRegex(nil) + ")$")
	for _, s := range []string{"", "x", "127.0.0.1:8081"} {
		if empty.MatchString(s) {
			t.Errorf("the empty set matched %q", s)
		}
	}
}

func TestExpand(t *testing.T) {
	v := Vars{Labels: []string{"127.0.0.1:8081", "127.0.0.1:8082"}, Window: 25 * time.Second, Service: "hello"}
	for _, tc := range []struct{ in, want string }{
		{`sum(increase(hello_requests_total{instance=~"{instances}",code=~"5.."}[{window}]))`,
			`sum(increase(hello_requests_total{instance=~"127\\.0\\.0\\.1:8081|127\\.0\\.0\\.1:8082",code=~"5.."}[25s]))`},
		{"up{instance=~`{instances}`}", "up{instance=~`127\\.0\\.0\\.1:8081|127\\.0\\.0\\.1:8082`}"},
		{`up{instance=~'{instances}',job="{service}"}`, `up{instance=~'127\\.0\\.0\\.1:8081|127\\.0\\.0\\.1:8082',job="hello"}`},
		{`rate(x[{window}]) and rate(y[{window}])`, `rate(x[25s]) and rate(y[25s])`},
	} {
		if got := Expand(tc.in, v); got != tc.want {
			t.Errorf("Expand(%s)\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
}

func TestClipWindow(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		window time.Duration
		since  time.Time
		now    time.Time
		want   time.Duration
	}{
		{2 * time.Minute, t0, t0.Add(25 * time.Second), 25 * time.Second},
		{2 * time.Minute, t0, t0.Add(24100 * time.Millisecond), 25 * time.Second}, // rounded up
		{2 * time.Minute, t0, t0.Add(10 * time.Minute), 2 * time.Minute},
		{2 * time.Minute, time.Time{}, t0, 2 * time.Minute},
		{2 * time.Minute, t0, t0, time.Second},                   // at least 1s
		{2 * time.Minute, t0, t0.Add(-time.Second), time.Second}, // a clock step back
	} {
		if got := ClipWindow(tc.window, tc.since, tc.now); got != tc.want {
			t.Errorf("ClipWindow(%v, since+%v) = %v, want %v", tc.window, tc.now.Sub(tc.since), got, tc.want)
		}
	}
}
