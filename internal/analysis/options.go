package analysis

import (
	"time"
)

// Options is the service file's analysis: block (design note 4.1) as this
// package needs it. The config package owns parsing and positions; it maps
// its types onto these, applies WithDefaults and calls Validate, whose
// FieldErrors name the key so it can point at file:line:col.
type Options struct {
	// Baseline is what the canary is compared with (default untouched).
	Baseline BaselineMode
	// InitialDelay is the wait after the batch is back in traffic before the
	// first measurement; preflight checks it is at least 2 scrape intervals.
	InitialDelay time.Duration
	// Interval is the time between measurements (≥ 1s).
	Interval time.Duration
	// Count is the number of measurements per batch (≥ 1).
	Count int
	// Window is the lookback {window} stands for, clipped at each measurement
	// to the time since the batch went back in traffic.
	Window time.Duration
	// FailureLimit is how many failed measurements a batch tolerates (< Count).
	FailureLimit int
	// ConsecutiveErrors is how many provider errors in a row make the
	// analysis fail (default 3).
	ConsecutiveErrors int
	// OnInconclusive is what an inconclusive batch does (default fail).
	OnInconclusive InconclusiveAction
	// Prometheus is the server the query metrics ask; required when any
	// metric has a query.
	Prometheus *PrometheusOptions
	// Metrics are judged at every measurement.
	Metrics []Metric
	// Journal, when set, counts error-priority journal entries of exactly the
	// new processes against the baseline's.
	Journal *JournalOptions
}

// BaselineMode says which instances the canary is compared with.
type BaselineMode string

const (
	// BaselineUntouched compares with the instances not yet restarted.
	BaselineUntouched BaselineMode = "untouched"
	// BaselineFresh also restarts one untouched instance on its old release
	// beside the canary (same age of process).
	BaselineFresh BaselineMode = "fresh"
	// BaselineNone judges the canary alone, on absolute bounds only.
	BaselineNone BaselineMode = "none"
)

// InconclusiveAction is what an inconclusive batch does.
type InconclusiveAction string

const (
	// InconclusiveFail fails the batch (the default: thin data is no pass).
	InconclusiveFail InconclusiveAction = "fail"
	// InconclusivePause pauses the rollout for a human to promote or abort.
	InconclusivePause InconclusiveAction = "pause"
)

// PrometheusOptions say where and how to query.
type PrometheusOptions struct {
	// Address is the server's base URL, e.g. http://127.0.0.1:9090.
	Address string
	// Timeout bounds each request (default 5s).
	Timeout time.Duration
	// InstanceLabel maps an instance to its `instance` label value, with
	// {instance} or {port} (both the instance's name), e.g. "127.0.0.1:{port}".
	InstanceLabel string
}

// Metric is one thing judged. Exactly one of (Errors and Total), Query and
// Exec is set; that decides its Kind.
type Metric struct {
	Name string
	// Errors and Total are PromQL queries returning counts over {window}
	// (sum(increase(...[{window}]))): a ratio metric.
	Errors, Total string
	// Query is a PromQL query returning one number: a value metric.
	Query string
	// Exec is a command (argv, absolute path, no shell) that must exit 0:
	// an exec metric, judged on the canary alone (package analysis/exec).
	Exec []string
	// Timeout bounds one run of Exec (default DefaultExecTimeout); running
	// longer is a provider error, not a failed measurement.
	Timeout time.Duration
	// Max and Min are absolute bounds on the canary alone (for a ratio
	// metric, on errors/total). nil means unbounded; 0 is a bound.
	Max, Min *float64
	// VsBaseline bounds the canary relative to the baseline.
	VsBaseline *VsBaseline
	// MinTotal is the fewest requests (ratio metrics) a verdict needs;
	// fewer is inconclusive (default 100).
	MinTotal float64
}

// VsBaseline is the relative bound: the canary fails when above
// max(MaxRatio × baseline, baseline + MaxDelta), and for counts also only
// when the exact test finds it significant at Confidence.
type VsBaseline struct {
	// MaxRatio ≥ 1 (default 1).
	MaxRatio float64
	// MaxDelta ≥ 0, in the metric's unit (a ratio, seconds, per minute).
	MaxDelta float64
	// Confidence in [0.5, 0.9999] (default 0.99); counts only.
	Confidence float64
}

// JournalOptions configure the journal provider's rule.
type JournalOptions struct {
	// Priority is the least severe priority counted (default err).
	Priority string
	// MaxPerMinute bounds the canary's entries per instance-minute.
	MaxPerMinute *float64
	// VsBaseline bounds the canary's rate against the baseline's (MaxDelta
	// per instance-minute).
	VsBaseline *VsBaseline
}

// Kind is how a metric is measured and judged.
type Kind string

const (
	// KindRatio is errors over total, both counts.
	KindRatio Kind = "ratio"
	// KindValue is one number with bounds.
	KindValue Kind = "value"
	// KindExec is a command's exit status.
	KindExec Kind = "exec"
	// KindJournal is the journal's error-priority entries per
	// instance-second (the metric Judge sees for JournalOptions).
	KindJournal Kind = "journal"
)

// Kind says which kind m is ("" when it is none or several).
func (m Metric) Kind() Kind {
	ratio, value, exec := m.Errors != "" || m.Total != "", m.Query != "", len(m.Exec) > 0
	switch {
	case ratio && !value && !exec:
		return KindRatio
	case value && !ratio && !exec:
		return KindValue
	case exec && !ratio && !value:
		return KindExec
	}
	return ""
}

// Defaults of the analysis block.
const (
	DefaultInitialDelay      = 30 * time.Second
	DefaultInterval          = 10 * time.Second
	DefaultCount             = 6
	DefaultWindow            = 2 * time.Minute
	DefaultConsecutiveErrors = 3
	DefaultTimeout           = 5 * time.Second
	DefaultMinTotal          = 100
	DefaultConfidence        = 0.99
	DefaultMaxRatio          = 1
	DefaultPriority          = "err"
	// DefaultExecTimeout is longer than a query's: a smoke test makes
	// requests of its own.
	DefaultExecTimeout = 10 * time.Second
)

// JournalMetricName is the Metric.Name of the journal's rule.
const JournalMetricName = "journal"

// WithDefaults returns o with every unset field at its default. Zero values
// mean "unset" except where 0 is meaningful (FailureLimit, MaxDelta; Max and
// Min are pointers, so 0 is a bound). A ratio's MinTotal 0 means the
// default 100; the smallest minimum is 1 request.
func (o Options) WithDefaults() Options {
	if o.Baseline == "" {
		o.Baseline = BaselineUntouched
	}
	if o.InitialDelay == 0 {
		o.InitialDelay = DefaultInitialDelay
	}
	if o.Interval == 0 {
		o.Interval = DefaultInterval
	}
	if o.Count == 0 {
		o.Count = DefaultCount
	}
	if o.Window == 0 {
		o.Window = DefaultWindow
	}
	if o.ConsecutiveErrors == 0 {
		o.ConsecutiveErrors = DefaultConsecutiveErrors
	}
	if o.OnInconclusive == "" {
		o.OnInconclusive = InconclusiveFail
	}
	if o.Prometheus != nil {
		p := *o.Prometheus
		if p.Timeout == 0 {
			p.Timeout = DefaultTimeout
		}
		o.Prometheus = &p
	}
	ms := make([]Metric, len(o.Metrics))
	for i, m := range o.Metrics {
		if m.Kind() == KindRatio && m.MinTotal == 0 {
			m.MinTotal = DefaultMinTotal
		}
		if m.Kind() == KindExec && m.Timeout == 0 {
			m.Timeout = DefaultExecTimeout
		}
		m.VsBaseline = m.VsBaseline.withDefaults()
		ms[i] = m
	}
	o.Metrics = ms
	if o.Journal != nil {
		j := *o.Journal
		if j.Priority == "" {
			j.Priority = DefaultPriority
		}
		j.VsBaseline = j.VsBaseline.withDefaults()
		o.Journal = &j
	}
	return o
}

func (v *VsBaseline) withDefaults() *VsBaseline {
	if v == nil {
		return nil
	}
	c := *v
	if c.MaxRatio == 0 {
		c.MaxRatio = DefaultMaxRatio
	}
	if c.Confidence == 0 {
		c.Confidence = DefaultConfidence
	}
	return &c
}

// JournalMetric is the journal rule as a Metric Judge understands: counts
// per instance-second, MaxPerMinute and MaxDelta converted from per minute.
func (j JournalOptions) JournalMetric() Metric {
	m := Metric{Name: JournalMetricName}
	if j.MaxPerMinute != nil {
		v := *j.MaxPerMinute / 60
		m.Max = &v
	}
	if j.VsBaseline != nil {
		v := *j.VsBaseline
		v.MaxDelta /= 60
		m.VsBaseline = &v
	}
	return m
}
