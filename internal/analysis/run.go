package analysis

import (
	"fmt"
	"strings"
)

// BatchOutcome is the state of a batch's analysis.
type BatchOutcome string

const (
	// Running: more measurements are due.
	Running BatchOutcome = "running"
	// Passed: every measurement taken, no limit exceeded, every metric's
	// last verdict conclusive.
	Passed BatchOutcome = "passed"
	// Failed: failure_limit or consecutive_errors exceeded, or a metric
	// never measured.
	Failed BatchOutcome = "failed"
	// BatchInconclusive: a metric's last measurement had too little traffic;
	// Options.OnInconclusive decides what follows.
	BatchInconclusive BatchOutcome = "inconclusive"
)

// BatchVerdict is the outcome of a batch's analysis and why.
type BatchVerdict struct {
	Outcome BatchOutcome
	Reason  string
	// Last is each metric's latest verdict, in the order metrics were named.
	Last []Verdict
}

// Limits are the batch-level rules of Options.
type Limits struct {
	FailureLimit      int
	ConsecutiveErrors int
}

// Limits returns o's batch-level rules.
func (o Options) Limits() Limits {
	return Limits{FailureLimit: o.FailureLimit, ConsecutiveErrors: o.ConsecutiveErrors}
}

// Run folds the verdicts of one batch's analysis, in the order they were
// measured. It decides only (no clock, no I/O): the caller measures, adds,
// asks Verdict after each round, and calls Finish when the count is reached
// or the analysis is stopped.
type Run struct {
	limits  Limits
	names   []string
	metrics map[string]*metricRun
	failed  int // failed measurements, all metrics together
	fatal   string
}

type metricRun struct {
	last       Verdict // latest verdict (any outcome)
	conclusive *Verdict
	judged     bool // has a verdict other than Error
	seen       bool
	errsInRow  int
}

// NewRun starts the analysis of a batch for the named metrics.
func NewRun(metrics []string, l Limits) *Run {
	r := &Run{limits: l, names: append([]string(nil), metrics...), metrics: map[string]*metricRun{}}
	for _, n := range metrics {
		r.metrics[n] = &metricRun{}
	}
	return r
}

// Add records one verdict. A verdict for a metric the run does not know is
// recorded as a failure of that name: nothing is silently dropped.
func (r *Run) Add(v Verdict) {
	m, ok := r.metrics[v.Metric]
	if !ok {
		m = &metricRun{}
		r.metrics[v.Metric] = m
		r.names = append(r.names, v.Metric)
		r.failAt(fmt.Sprintf("verdict for unknown metric %q", v.Metric))
	}
	m.seen, m.last = true, v
	if v.Outcome == Error {
		m.errsInRow++
		if r.limits.ConsecutiveErrors > 0 && m.errsInRow >= r.limits.ConsecutiveErrors {
			r.failAt(fmt.Sprintf("%d provider errors in a row (consecutive_errors %d); last: %s", m.errsInRow, r.limits.ConsecutiveErrors, v.Reason))
		}
		return
	}
	m.errsInRow = 0
	m.judged = true
	vc := v
	m.conclusive = &vc
	if v.Outcome == Fail {
		r.failed++
		if r.failed > r.limits.FailureLimit {
			r.failAt(fmt.Sprintf("%d failed measurements (failure_limit %d); last: %s", r.failed, r.limits.FailureLimit, v.Reason))
		}
	}
}

func (r *Run) failAt(why string) {
	if r.fatal == "" {
		r.fatal = why
	}
}

// Verdict is the batch's state now: Failed as soon as a limit is exceeded,
// Running otherwise.
func (r *Run) Verdict() BatchVerdict {
	if r.fatal != "" {
		return BatchVerdict{Outcome: Failed, Reason: r.fatal, Last: r.last()}
	}
	return BatchVerdict{Outcome: Running, Last: r.last()}
}

// Finish is the batch's verdict once no more measurements will be taken. A
// metric that never got a verdict other than a provider error fails the
// batch (an analysis stopped before it measured is no pass); a metric whose
// latest judged measurement is inconclusive makes the batch inconclusive
// (with the growing window, the latest has the most data).
func (r *Run) Finish() BatchVerdict {
	if v := r.Verdict(); v.Outcome == Failed {
		return v
	}
	var never, thin []string
	for _, n := range r.names {
		m := r.metrics[n]
		switch {
		case !m.judged:
			never = append(never, n)
		case m.conclusive.Outcome == Inconclusive:
			thin = append(thin, m.conclusive.Reason)
		}
	}
	switch {
	case len(r.names) == 0:
		return BatchVerdict{Outcome: Failed, Reason: "no metric to judge"}
	case len(never) > 0:
		return BatchVerdict{Outcome: Failed, Reason: "never measured: " + strings.Join(never, ", "), Last: r.last()}
	case len(thin) > 0:
		return BatchVerdict{Outcome: BatchInconclusive, Reason: strings.Join(thin, "; "), Last: r.last()}
	}
	reason := "every metric within bounds"
	if r.failed > 0 {
		reason = fmt.Sprintf("%d failed measurements, within failure_limit %d", r.failed, r.limits.FailureLimit)
	}
	return BatchVerdict{Outcome: Passed, Reason: reason, Last: r.last()}
}

func (r *Run) last() []Verdict {
	var out []Verdict
	for _, n := range r.names {
		if m := r.metrics[n]; m.seen {
			out = append(out, m.last)
		}
	}
	return out
}
