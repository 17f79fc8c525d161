package analysis

import (
	"fmt"
	"math"
	"strconv"
)

var nan = math.NaN()

// Outcome is the verdict on one measurement.
type Outcome string

const (
	// Pass: within every bound that applies.
	Pass Outcome = "pass"
	// Fail: a bound is exceeded, or the data is no data (the cause named).
	Fail Outcome = "fail"
	// Inconclusive: too little traffic to judge (below min_total).
	Inconclusive Outcome = "inconclusive"
	// Error: the provider could not measure; see consecutive_errors.
	Error Outcome = "error"
)

// Verdict is the judgement of one metric at one time. Reason is the sentence
// a human reads: the metric, the canary's and the baseline's values, the
// bound and, for ratio metrics, the p-value.
type Verdict struct {
	Metric  string  `json:"metric"`
	Outcome Outcome `json:"verdict"`
	Reason  string  `json:"reason"`
	// Canary and Baseline are the values compared (a ratio, a rate or a
	// value); NaN when not measured. Baseline is NaN without a baseline.
	Canary   float64 `json:"-"`
	Baseline float64 `json:"-"`
	// Bound is the limit the canary was held to that decided the verdict
	// (NaN if none decided it).
	Bound float64 `json:"-"`
	// P is the exact test's p-value when it ran, else NaN.
	P float64 `json:"-"`
	// Measurements are the inputs, for the record.
	Measurements []Measurement `json:"measurements,omitempty"`
}

func fmtNum(v float64) string {
	if math.IsNaN(v) {
		return "none"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

func fmtP(p float64) string {
	if p < 0.0001 {
		return fmt.Sprintf("%.1e", p)
	}
	return fmt.Sprintf("%.4f", p)
}
