package analysis

import (
	"errors"
	"fmt"
	"time"
)

// Set names the instances a measurement is about.
type Set string

const (
	// Canary is the batch just restarted on the new release.
	Canary Set = "canary"
	// Baseline is the untouched instances, on the old release, over the same
	// window.
	Baseline Set = "baseline"
)

// Counts is a count of events over an exposure: errors over total requests
// for a ratio metric, error-priority journal entries over instance-seconds
// for the journal.
type Counts struct {
	Events   float64 `json:"events"`
	Exposure float64 `json:"exposure"`
}

// Rate is Events/Exposure (NaN when Exposure is 0).
func (c Counts) Rate() float64 {
	if c.Exposure == 0 {
		return nan
	}
	return c.Events / c.Exposure
}

// Measurement is what a provider saw for one metric and one set at one time.
// Exactly one of Counts, Value, Problem and Err is meaningful:
//   - Err: the provider could not measure (timeout, 5xx, refused); it
//     counts toward consecutive_errors, not as a failed measurement;
//   - Problem: the provider got an answer that is not a number to judge
//     (no data, NaN, several series, stale); it is a failed measurement;
//   - Counts (ratio and journal metrics) or Value (value metrics).
type Measurement struct {
	Metric string    `json:"metric"`
	Set    Set       `json:"set"`
	At     time.Time `json:"at"`
	// Queries are the expanded queries (or the command) that produced it,
	// kept so a human can re-run them.
	Queries  []string     `json:"queries,omitempty"`
	Counts   *Counts      `json:"counts,omitempty"`
	Value    *float64     `json:"value,omitempty"`
	Problem  *DataProblem `json:"problem,omitempty"`
	Err      error        `json:"-"`
	Warnings []string     `json:"warnings,omitempty"`
}

// Cause names why a provider's answer is no number to judge.
type Cause string

const (
	// NoData: an empty result (no series matched).
	NoData Cause = "no data"
	// NotANumber: the series' value is NaN (e.g. 0/0, a quantile of nothing).
	NotANumber Cause = "NaN"
	// Infinite: the value is +Inf or -Inf.
	Infinite Cause = "infinite"
	// Several: more than one series where exactly one was expected.
	Several Cause = "several series"
	// Shape: a matrix, scalar or string where an instant vector was expected.
	Shape Cause = "wrong result type"
	// NotScraped: an instance of the set is not proven scraped (up missing,
	// duplicated, or 0).
	NotScraped Cause = "not scraped"
	// Stale: the series come from a process older than the one judged.
	Stale Cause = "stale"
	// NoTraffic: a total of zero requests.
	NoTraffic Cause = "no traffic"
	// Inconsistent: the numbers contradict each other (errors > total).
	Inconsistent Cause = "inconsistent"
	// Suppressed: journald rate-limited the set's messages, so the count is
	// a lower bound, not a count.
	Suppressed Cause = "rate-limited"
	// ExitStatus: an exec metric's command exited non-zero.
	ExitStatus Cause = "exit status"
)

// DataProblem is a failed measurement: the cause and what exactly was seen.
type DataProblem struct {
	Cause  Cause  `json:"cause"`
	Detail string `json:"detail"`
}

func (p *DataProblem) Error() string { return string(p.Cause) + ": " + p.Detail }

// Problemf makes a DataProblem.
func Problemf(c Cause, format string, args ...any) *DataProblem {
	return &DataProblem{Cause: c, Detail: fmt.Sprintf(format, args...)}
}

// ErrProvider marks a provider error (the measurement could not be taken):
// providers wrap their transport and server errors with it so callers can
// tell them from data problems with errors.Is.
var ErrProvider = errors.New("provider error")
