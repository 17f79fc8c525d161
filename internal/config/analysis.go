package config

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"

	"github.com/sysroll/sysroll/internal/analysis"
)

// Analysis is the analysis: block (progressive.md 4.1): after each batch of
// a deploy is back in traffic, its instances (the canary) are measured
// against the untouched ones (the baseline), and a batch whose analysis
// fails is rolled back whatever the failure budget. Package analysis owns
// the rules (Options.Validate); this is the file's shape, and Options maps
// it. Zero durations and counts take analysis' defaults.
type Analysis struct {
	// InitialDelay is the wait after the batch is back in traffic before the
	// first measurement (default 30s).
	InitialDelay time.Duration `yaml:"initial_delay"`
	// Interval is the time between measurements (default 10s, at least 1s).
	Interval time.Duration `yaml:"interval"`
	// Count is the number of measurements per batch (default 6).
	Count int `yaml:"count"`
	// Window is {window}, clipped to the time since the batch went back in
	// traffic (default 2m).
	Window time.Duration `yaml:"window"`
	// FailureLimit is how many failed measurements a batch tolerates
	// (default 0, below count).
	FailureLimit int `yaml:"failure_limit"`
	// ConsecutiveErrors is how many provider errors in a row fail the
	// analysis (default 3).
	ConsecutiveErrors int `yaml:"consecutive_errors"`
	// OnInconclusive is what too little traffic does: fail (the default and,
	// until approval gates exist, the only choice).
	OnInconclusive string `yaml:"on_inconclusive"`
	// Prometheus is the server the metrics query.
	Prometheus *AnalysisPrometheus `yaml:"prometheus"`
	// Metrics are judged at every measurement.
	Metrics []AnalysisMetric `yaml:"metrics"`
	// Journal counts error-priority journal entries of exactly the new
	// processes against the untouched units'.
	Journal *AnalysisJournal `yaml:"journal"`
}

// AnalysisPrometheus says where and how to query.
type AnalysisPrometheus struct {
	// Address is the server's base URL, e.g. http://127.0.0.1:9090.
	Address string `yaml:"address"`
	// Timeout bounds each request (default 5s).
	Timeout time.Duration `yaml:"timeout"`
	// InstanceLabel is each instance's `instance` label, with {port} or
	// {instance}, e.g. "127.0.0.1:{port}".
	InstanceLabel string `yaml:"instance_label"`
}

// AnalysisMetric is one metric: errors and total (a ratio of counts) or
// query (one value), with bounds; or exec, a command that must exit 0.
type AnalysisMetric struct {
	Name   string `yaml:"name"`
	Errors string `yaml:"errors"`
	Total  string `yaml:"total"`
	Query  string `yaml:"query"`
	// Exec is argv (an absolute path, no shell), run against the canary at
	// each measurement; exit 0 passes. Placeholders: {instances},
	// {instance_addrs}, {service}, {window}.
	Exec []string `yaml:"exec"`
	// Timeout bounds one run of exec (default 10s).
	Timeout time.Duration `yaml:"timeout"`
	// Max and Min bound the canary alone (a ratio for errors/total).
	Max *Number `yaml:"max"`
	Min *Number `yaml:"min"`
	// VsBaseline bounds the canary against the baseline.
	VsBaseline *AnalysisVsBaseline `yaml:"vs_baseline"`
	// MinTotal is the fewest requests a ratio verdict needs (default 100).
	MinTotal Number `yaml:"min_total"`
}

// AnalysisVsBaseline: fail above max(max_ratio × baseline, baseline +
// max_delta), for counts only when significant at confidence.
type AnalysisVsBaseline struct {
	MaxRatio   Number `yaml:"max_ratio"`
	MaxDelta   Number `yaml:"max_delta"`
	Confidence Number `yaml:"confidence"`
}

// AnalysisJournal is the journal rule.
type AnalysisJournal struct {
	// Priority is the least severe priority counted (default err).
	Priority string `yaml:"priority"`
	// MaxPerMinute bounds the canary's entries per instance-minute.
	MaxPerMinute *Number `yaml:"max_per_minute"`
	// VsBaseline bounds the canary's rate against the baseline's (max_delta
	// per instance-minute).
	VsBaseline *AnalysisVsBaseline `yaml:"vs_baseline"`
}

// Options maps the block onto analysis.Options, defaults applied.
func (a *Analysis) Options() analysis.Options {
	o := analysis.Options{
		InitialDelay: a.InitialDelay, Interval: a.Interval, Count: a.Count, Window: a.Window,
		FailureLimit: a.FailureLimit, ConsecutiveErrors: a.ConsecutiveErrors,
		OnInconclusive: analysis.InconclusiveAction(a.OnInconclusive),
	}
	if p := a.Prometheus; p != nil {
		o.Prometheus = &analysis.PrometheusOptions{Address: p.Address, Timeout: p.Timeout, InstanceLabel: p.InstanceLabel}
	}
	for _, m := range a.Metrics {
		o.Metrics = append(o.Metrics, analysis.Metric{Name: m.Name, Errors: m.Errors, Total: m.Total, Query: m.Query,
			Exec: m.Exec, Timeout: m.Timeout,
			Max: m.Max.ptr(), Min: m.Min.ptr(), VsBaseline: m.VsBaseline.options(), MinTotal: float64(m.MinTotal)})
	}
	if j := a.Journal; j != nil {
		o.Journal = &analysis.JournalOptions{Priority: j.Priority, MaxPerMinute: j.MaxPerMinute.ptr(), VsBaseline: j.VsBaseline.options()}
	}
	return o.WithDefaults()
}

func (v *AnalysisVsBaseline) options() *analysis.VsBaseline {
	if v == nil {
		return nil
	}
	return &analysis.VsBaseline{MaxRatio: float64(v.MaxRatio), MaxDelta: float64(v.MaxDelta), Confidence: float64(v.Confidence)}
}

// Number is a finite YAML number, integer or not (the analysis' bounds and
// ratios; no other key of the service file takes a fraction).
type Number float64

// UnmarshalYAML reads an integer or a float; NaN, ±Inf and strings are
// refused at their position.
func (x *Number) UnmarshalYAML(node ast.Node) error {
	switch v := unwrap(node).(type) {
	case *ast.IntegerNode:
		switch i := v.Value.(type) {
		case int64:
			*x = Number(i)
		case uint64:
			*x = Number(i)
		}
		return nil
	case *ast.FloatNode:
		if !math.IsNaN(v.Value) && !math.IsInf(v.Value, 0) {
			*x = Number(v.Value)
			return nil
		}
	}
	return fmt.Errorf("expected a finite number, like 0.01 or 2, got %s", describe(unwrap(node)))
}

func (x *Number) ptr() *float64 {
	if x == nil {
		return nil
	}
	f := float64(*x)
	return &f
}

// validateAnalysis reports the block's problems at their keys: package
// analysis' rules, with its FieldErrors' paths mapped onto the file.
func (s *Service) validateAnalysis(e *errs) {
	a := s.Analysis
	if a == nil {
		return
	}
	for name, d := range map[string]time.Duration{"analysis.initial_delay": a.InitialDelay, "analysis.interval": a.Interval, "analysis.window": a.Window} {
		checkDuration(e, name, d)
	}
	if a.Prometheus != nil {
		checkDuration(e, "analysis.prometheus.timeout", a.Prometheus.Timeout)
	}
	for name, v := range map[string]int{"analysis.count": a.Count, "analysis.failure_limit": a.FailureLimit, "analysis.consecutive_errors": a.ConsecutiveErrors} {
		checkInt(e, name, v)
	}
	for i, m := range a.Metrics {
		if m.Timeout > maxExecTimeout {
			e.add(at("analysis", "metrics", i, "timeout"), "%v is longer than %v: a measurement that long stalls the analysis", m.Timeout, maxExecTimeout)
		}
		for j, arg := range m.Exec {
			// With listen: every instance shares one socket and the kernel
			// picks which answers: no address reaches the canary alone.
			if s.Listen != "" && strings.Contains(arg, "{instance_addrs}") {
				e.add(at("analysis", "metrics", i, "exec", j), "{instance_addrs} needs an own port per instance; with listen: %s the instances share one socket, so no address reaches the canary alone (use {instances})", s.Listen)
			}
		}
	}
	err := a.Options().Validate()
	for _, one := range unjoin(err) {
		var fe *analysis.FieldError
		if !errors.As(one, &fe) {
			e.add(at("analysis"), "%v", one)
			continue
		}
		e.add(analysisPath(fe.Field), "%s", fe.Msg)
	}
}

// maxExecTimeout bounds an exec metric's timeout.
const maxExecTimeout = 10 * time.Minute

var indexRE = regexp.MustCompile(`^([a-z_]+)\[(\d+)\]$`)

// analysisPath turns "metrics[1].vs_baseline.max_ratio" into the path
// errs.add locates: analysis, metrics, 1, vs_baseline, max_ratio.
func analysisPath(field string) []any {
	path := []any{"analysis"}
	if field == "" {
		return path
	}
	for part := range strings.SplitSeq(field, ".") {
		if m := indexRE.FindStringSubmatch(part); m != nil {
			i, _ := strconv.Atoi(m[2])
			path = append(path, m[1], i)
			continue
		}
		path = append(path, part)
	}
	return path
}
