package analysis

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func goodOptions() Options {
	return Options{
		Prometheus: &PrometheusOptions{Address: "http://127.0.0.1:9090", InstanceLabel: "127.0.0.1:{port}"},
		Metrics: []Metric{
			{Name: "errors",
				Errors: `sum(increase(hello_requests_total{instance=~"{instances}",code=~"5.."}[{window}]))`,
				Total:  `sum(increase(hello_requests_total{instance=~"{instances}"}[{window}]))`,
				Max:    f(0.01), VsBaseline: &VsBaseline{MaxRatio: 2, MaxDelta: 0.002}},
			{Name: "p99",
				Query: `histogram_quantile(0.99, sum by (le) (rate(hello_request_seconds_bucket{instance=~"{instances}"}[{window}])))`,
				Max:   f(0.3), VsBaseline: &VsBaseline{MaxRatio: 1.5, MaxDelta: 0.02}},
		},
		Journal: &JournalOptions{MaxPerMinute: f(10), VsBaseline: &VsBaseline{MaxRatio: 2}},
	}.WithDefaults()
}

func TestDefaults(t *testing.T) {
	o := goodOptions()
	if err := o.Validate(); err != nil {
		t.Fatalf("the design's example is refused: %v", err)
	}
	if o.Count != 6 || o.Interval != 10*time.Second || o.InitialDelay != 30*time.Second || o.Window != 2*time.Minute ||
		o.ConsecutiveErrors != 3 || o.OnInconclusive != InconclusiveFail || o.Baseline != BaselineUntouched ||
		o.Prometheus.Timeout != 5*time.Second || o.Metrics[0].MinTotal != 100 || o.Metrics[0].VsBaseline.Confidence != 0.99 ||
		o.Metrics[1].MinTotal != 0 || o.Journal.Priority != "err" || o.Journal.VsBaseline.Confidence != 0.99 {
		t.Errorf("defaults: %+v", o)
	}
	o.Metrics = append(o.Metrics, Metric{Name: "smoke", Exec: []string{"/usr/local/bin/smoke", "--targets", "{instance_addrs}"}})
	o = o.WithDefaults()
	if err := o.Validate(); err != nil {
		t.Errorf("the design's exec metric is refused: %v", err)
	}
	if o.Metrics[2].Timeout != DefaultExecTimeout || o.Metrics[2].MinTotal != 0 {
		t.Errorf("exec defaults: %+v", o.Metrics[2])
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Options)
		want []string // every one must be reported
	}{
		{"every scalar at once", func(o *Options) {
			o.Interval, o.Count, o.Window, o.FailureLimit, o.ConsecutiveErrors = 500*time.Millisecond, 0, 1500*time.Millisecond, -1, 0
			o.Baseline, o.OnInconclusive, o.InitialDelay = "old", "wait", -time.Second
		}, []string{"analysis.interval:", "analysis.count:", "analysis.window:", "analysis.failure_limit:", "analysis.consecutive_errors:", "analysis.baseline:", "analysis.on_inconclusive:", "analysis.initial_delay:"}},
		{"failure_limit ≥ count", func(o *Options) { o.FailureLimit = 6 }, []string{"failure_limit: 6 tolerates every one"}},
		{"no bound", func(o *Options) { o.Metrics[1].Max, o.Metrics[1].VsBaseline = nil, nil }, []string{"metrics[1]: no bound"}},
		{"max_ratio < 1 and confidence", func(o *Options) {
			o.Metrics[0].VsBaseline.MaxRatio, o.Metrics[0].VsBaseline.Confidence, o.Metrics[0].VsBaseline.MaxDelta = 0.5, 0.99999, -1
		}, []string{"metrics[0].vs_baseline.max_ratio", "metrics[0].vs_baseline.confidence", "metrics[0].vs_baseline.max_delta"}},
		{"unknown placeholder with suggestion", func(o *Options) {
			o.Metrics[0].Errors = strings.ReplaceAll(o.Metrics[0].Errors, "{instances}", "{instnaces}")
		}, []string{"metrics[0].errors: unknown placeholder {instnaces}: did you mean {instances}?", "metrics[0].errors: does not use {instances}"}},
		{"query without {instances}", func(o *Options) { o.Metrics[1].Query = "histogram_quantile(0.99, rate(x[{window}]))" }, []string{"metrics[1].query: does not use {instances}"}},
		{"ratio half set", func(o *Options) { o.Metrics[0].Total = "" }, []string{"metrics[0].total: missing"}},
		{"two kinds", func(o *Options) { o.Metrics[1].Exec = []string{"/bin/true"} }, []string{"metrics[1]: set exactly one"}},
		{"ratio bound outside 0..1", func(o *Options) { o.Metrics[0].Max = f(5) }, []string{"metrics[0].max: 5: a ratio bound"}},
		{"min above max", func(o *Options) { o.Metrics[1].Min = f(1) }, []string{"metrics[1].min: 1 is above max 0.3"}},
		{"duplicate and empty names", func(o *Options) {
			o.Metrics[1].Name = "errors"
			o.Metrics = append(o.Metrics, Metric{Query: "q{instances}", Max: f(1)})
		}, []string{"metrics[1].name: \"errors\" is also metrics[0]", "metrics[2].name: missing"}},
		{"no prometheus", func(o *Options) { o.Prometheus = nil }, []string{"analysis.prometheus: missing"}},
		{"bad prometheus", func(o *Options) {
			o.Prometheus = &PrometheusOptions{Address: "127.0.0.1:9090", InstanceLabel: "127.0.0.1:8080", Timeout: -1}
		}, []string{"prometheus.address", "prometheus.timeout", "prometheus.instance_label: \"127.0.0.1:8080\" has neither"}},
		{"instance_label placeholder", func(o *Options) { o.Prometheus.InstanceLabel = "{host}:{port}" }, []string{"unknown placeholder {host}"}},
		{"exec with bounds", func(o *Options) {
			o.Metrics = append(o.Metrics, Metric{Name: "smoke", Exec: []string{"x", "{instance_adrs}"}, Max: f(1)})
		}, []string{"metrics[2]: an exec metric", "metrics[2].exec[1]: unknown placeholder {instance_adrs}: did you mean {instance_addrs}?"}},
		{"exec relative, min_total, no timeout", func(o *Options) {
			o.Metrics = append(o.Metrics, Metric{Name: "smoke", Exec: []string{"smoke"}, MinTotal: 5, Timeout: -time.Second})
		}, []string{`metrics[2].exec[0]: "smoke" is not an absolute path`, "metrics[2].min_total: an exec metric", "metrics[2].timeout: -1s"}},
		{"exec placeholder as the command, timeout on a query", func(o *Options) {
			o.Metrics = append(o.Metrics, Metric{Name: "smoke", Exec: []string{"/{service}"}, Timeout: time.Second})
			o.Metrics[1].Timeout = time.Second
		}, []string{`metrics[2].exec[0]: the command "/{service}" itself`, "metrics[1].timeout: only an exec metric"}},
		{"baseline none with relative-only bounds", func(o *Options) { o.Baseline = BaselineNone; o.Metrics[1].Max = nil; o.Journal.MaxPerMinute = nil }, []string{"metrics[1].vs_baseline: baseline: none", "journal.vs_baseline: baseline: none"}},
		{"journal", func(o *Options) { o.Journal = &JournalOptions{Priority: "error"} }, []string{"journal.priority: \"error\"", "journal: no bound"}},
		{"nothing to judge", func(o *Options) { o.Metrics, o.Journal = nil, nil }, []string{"analysis.metrics: no metric and no journal"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := goodOptions()
			tc.edit(&o)
			err := o.Validate()
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("missing %q in:\n%v", w, err)
				}
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Errorf("no *FieldError in %v", err)
			}
		})
	}
}

func TestCheckBatch(t *testing.T) {
	o := goodOptions()
	if err := o.CheckBatch(false); err != nil {
		t.Errorf("absolute bounds everywhere, refused: %v", err)
	}
	o.Metrics[1].Max = nil
	o.Journal.MaxPerMinute = nil
	err := o.CheckBatch(false)
	if err == nil || !strings.Contains(err.Error(), "p99 has only vs_baseline") || !strings.Contains(err.Error(), "analysis.journal:") {
		t.Errorf("CheckBatch(false) = %v", err)
	}
	if err := o.CheckBatch(true); err != nil {
		t.Errorf("with a baseline: %v", err)
	}
}
