package analysis

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/sysroll/sysroll/internal/yamlpos"
)

// FieldError is one problem of the analysis block, with the key path it is
// about (e.g. "metrics[1].vs_baseline.max_ratio") so the config package can
// point at its file:line:col.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return "analysis." + e.Field + ": " + e.Msg }

// Placeholders a query may use. {instance_addrs} is for exec metrics.
var (
	queryPlaceholders = []string{"{instances}", "{window}", "{service}"}
	execPlaceholders  = []string{"{instances}", "{instance_addrs}", "{service}", "{window}"}
	placeholderRE     = regexp.MustCompile(`\{[A-Za-z_][A-Za-z0-9_]*\}`)
)

// Validate checks o (with defaults applied) and returns every problem at
// once, joined, each a *FieldError; nil when o is sound. Rules that need the
// rest of the service (steps, pause_expiry, listen:, the instances) are the
// caller's: see CheckBatch and prom.Labels.
func (o Options) Validate() error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	switch o.Baseline {
	case BaselineUntouched, BaselineFresh, BaselineNone:
	default:
		add("baseline", "%q is not one of untouched, fresh, none", o.Baseline)
	}
	switch o.OnInconclusive {
	case InconclusiveFail, InconclusivePause:
	default:
		add("on_inconclusive", "%q is not one of fail, pause", o.OnInconclusive)
	}
	if o.InitialDelay < 0 {
		add("initial_delay", "%v is negative", o.InitialDelay)
	}
	if o.Interval < time.Second {
		add("interval", "%v is shorter than 1s", o.Interval)
	}
	if o.Count < 1 {
		add("count", "%d: at least one measurement", o.Count)
	}
	if o.Window < time.Second || o.Window%time.Second != 0 {
		add("window", "%v: a whole number of seconds, at least 1s", o.Window)
	}
	if o.FailureLimit < 0 {
		add("failure_limit", "%d is negative", o.FailureLimit)
	} else if o.Count >= 1 && o.FailureLimit >= o.Count {
		add("failure_limit", "%d tolerates every one of the %d measurements: nothing could fail", o.FailureLimit, o.Count)
	}
	if o.ConsecutiveErrors < 1 {
		add("consecutive_errors", "%d: at least 1", o.ConsecutiveErrors)
	}
	if len(o.Metrics) == 0 && o.Journal == nil {
		add("metrics", "no metric and no journal: nothing to judge")
	}
	needProm := false
	names := map[string]int{}
	for i, m := range o.Metrics {
		f := fmt.Sprintf("metrics[%d]", i)
		if m.Name == "" {
			add(f+".name", "missing")
		} else if j, dup := names[m.Name]; dup {
			add(f+".name", "%q is also metrics[%d]", m.Name, j)
		} else if m.Name == JournalMetricName {
			add(f+".name", "%q is the journal's own name", m.Name)
		} else {
			names[m.Name] = i
		}
		errs = append(errs, m.validate(f, o.Baseline)...)
		if k := m.Kind(); k == KindRatio || k == KindValue {
			needProm = true
		}
	}
	if needProm && o.Prometheus == nil {
		add("prometheus", "missing: metrics with queries need a server")
	}
	if o.Prometheus != nil {
		errs = append(errs, o.Prometheus.validate()...)
	}
	if o.Journal != nil {
		errs = append(errs, o.Journal.validate(o.Baseline)...)
	}
	return errors.Join(errs...)
}

func (m Metric) validate(f string, baseline BaselineMode) []error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: f + field, Msg: fmt.Sprintf(format, args...)})
	}
	kind := m.Kind()
	switch kind {
	case "":
		add("", "set exactly one of errors+total (a ratio), query (a value) or exec")
	case KindRatio:
		if m.Errors == "" {
			add(".errors", "missing: a ratio needs errors and total")
		}
		if m.Total == "" {
			add(".total", "missing: a ratio needs errors and total")
		}
		for _, b := range []struct {
			name string
			v    *float64
		}{{"max", m.Max}, {"min", m.Min}} {
			if b.v != nil && (*b.v < 0 || *b.v > 1) {
				add("."+b.name, "%g: a ratio bound is between 0 and 1", *b.v)
			}
		}
		if m.MinTotal < 1 {
			add(".min_total", "%g: at least 1 request", m.MinTotal)
		}
	case KindExec:
		if m.Max != nil || m.Min != nil || m.VsBaseline != nil {
			add("", "an exec metric passes on exit 0; max, min and vs_baseline do not apply")
		}
		if !strings.HasPrefix(m.Exec[0], "/") {
			add(".exec[0]", "%q is not an absolute path: the command runs with sysroll's environment on the host, whose PATH is not yours", m.Exec[0])
		} else if placeholderRE.MatchString(m.Exec[0]) {
			add(".exec[0]", "the command %q itself has a placeholder: only its arguments may", m.Exec[0])
		}
		for i, a := range m.Exec {
			errs = append(errs, placeholders(fmt.Sprintf("%s.exec[%d]", f, i), a, execPlaceholders, false)...)
		}
		if m.Timeout <= 0 {
			add(".timeout", "%v: must be positive", m.Timeout)
		}
		if m.MinTotal != 0 {
			add(".min_total", "an exec metric counts no requests; min_total does not apply")
		}
		return errs
	}
	if m.Timeout != 0 {
		add(".timeout", "only an exec metric has a timeout (a query's is prometheus.timeout)")
	}
	for _, q := range []struct{ field, text string }{{".errors", m.Errors}, {".total", m.Total}, {".query", m.Query}} {
		if q.text != "" {
			errs = append(errs, placeholders(f+q.field, q.text, queryPlaceholders, true)...)
		}
	}
	if m.Max == nil && m.Min == nil && m.VsBaseline == nil {
		add("", "no bound: set max, min or vs_baseline (a metric with no bound always passes)")
	}
	if m.Max != nil && m.Min != nil && *m.Min > *m.Max {
		add(".min", "%g is above max %g", *m.Min, *m.Max)
	}
	if m.VsBaseline != nil {
		errs = append(errs, m.VsBaseline.validate(f+".vs_baseline")...)
		if baseline == BaselineNone && m.Max == nil && m.Min == nil {
			add(".vs_baseline", "baseline: none leaves this metric with no bound")
		}
	}
	return errs
}

// placeholders refuses unknown {words} (with a suggestion) and, for
// queries, one that does not use {instances}: it would judge the whole
// fleet, canary and baseline alike.
func placeholders(field, text string, known []string, needInstances bool) []error {
	var errs []error
	for _, p := range placeholderRE.FindAllString(text, -1) {
		if slices.Contains(known, p) {
			continue
		}
		msg := fmt.Sprintf("unknown placeholder %s (known: %s)", p, strings.Join(known, " "))
		if s := nearest(p, known); s != "" {
			msg = fmt.Sprintf("unknown placeholder %s: did you mean %s?", p, s)
		}
		errs = append(errs, &FieldError{Field: field, Msg: msg})
	}
	if needInstances && !strings.Contains(text, "{instances}") {
		errs = append(errs, &FieldError{Field: field, Msg: "does not use {instances}: it would measure canary and baseline alike"})
	}
	return errs
}

func nearest(word string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := yamlpos.Distance(word, k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

func (v *VsBaseline) validate(f string) []error {
	var errs []error
	if v.MaxRatio < 1 {
		errs = append(errs, &FieldError{Field: f + ".max_ratio", Msg: fmt.Sprintf("%g is below 1: the canary would fail for being as good as the baseline", v.MaxRatio)})
	}
	if v.MaxDelta < 0 {
		errs = append(errs, &FieldError{Field: f + ".max_delta", Msg: fmt.Sprintf("%g is negative", v.MaxDelta)})
	}
	if v.Confidence < 0.5 || v.Confidence > 0.9999 {
		errs = append(errs, &FieldError{Field: f + ".confidence", Msg: fmt.Sprintf("%g is outside 0.5–0.9999", v.Confidence)})
	}
	return errs
}

func (p *PrometheusOptions) validate() []error {
	var errs []error
	u, err := url.Parse(p.Address)
	if p.Address == "" {
		errs = append(errs, &FieldError{Field: "prometheus.address", Msg: "missing"})
	} else if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, &FieldError{Field: "prometheus.address", Msg: fmt.Sprintf("%q is not an http(s) URL", p.Address)})
	}
	if p.Timeout <= 0 {
		errs = append(errs, &FieldError{Field: "prometheus.timeout", Msg: fmt.Sprintf("%v: must be positive", p.Timeout)})
	}
	if !strings.Contains(p.InstanceLabel, "{port}") && !strings.Contains(p.InstanceLabel, "{instance}") {
		errs = append(errs, &FieldError{Field: "prometheus.instance_label", Msg: fmt.Sprintf("%q has neither {port} nor {instance}: every instance would have the same label", p.InstanceLabel)})
	}
	for _, w := range placeholderRE.FindAllString(p.InstanceLabel, -1) {
		if w != "{port}" && w != "{instance}" {
			errs = append(errs, &FieldError{Field: "prometheus.instance_label", Msg: fmt.Sprintf("unknown placeholder %s (known: {instance} {port})", w)})
		}
	}
	return errs
}

// Priorities are journald's, by name, most severe first (index = number).
var Priorities = []string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

func (j *JournalOptions) validate(baseline BaselineMode) []error {
	var errs []error
	if !slices.Contains(Priorities, j.Priority) {
		errs = append(errs, &FieldError{Field: "journal.priority", Msg: fmt.Sprintf("%q is not one of %s", j.Priority, strings.Join(Priorities, ", "))})
	}
	if j.MaxPerMinute != nil && *j.MaxPerMinute < 0 {
		errs = append(errs, &FieldError{Field: "journal.max_per_minute", Msg: fmt.Sprintf("%g is negative", *j.MaxPerMinute)})
	}
	if j.MaxPerMinute == nil && j.VsBaseline == nil {
		errs = append(errs, &FieldError{Field: "journal", Msg: "no bound: set max_per_minute or vs_baseline"})
	}
	if j.VsBaseline != nil {
		errs = append(errs, j.VsBaseline.validate("journal.vs_baseline")...)
		if baseline == BaselineNone && j.MaxPerMinute == nil {
			errs = append(errs, &FieldError{Field: "journal.vs_baseline", Msg: "baseline: none leaves the journal with no bound"})
		}
	}
	return errs
}

// CheckBatch refuses a batch with no baseline (the last batch, or a single
// batch) when a metric has only baseline-relative bounds: it could never be
// judged there. The caller runs it per planned batch.
func (o Options) CheckBatch(hasBaseline bool) error {
	if hasBaseline {
		return nil
	}
	var errs []error
	for i, m := range o.Metrics {
		if m.Kind() != KindExec && m.Max == nil && m.Min == nil {
			errs = append(errs, &FieldError{Field: fmt.Sprintf("metrics[%d]", i), Msg: fmt.Sprintf("%s has only vs_baseline bounds, and this batch leaves no untouched instance to compare with", m.Name)})
		}
	}
	if j := o.Journal; j != nil && j.MaxPerMinute == nil {
		errs = append(errs, &FieldError{Field: "journal", Msg: "only vs_baseline bounds, and this batch leaves no untouched instance to compare with"})
	}
	return errors.Join(errs...)
}
