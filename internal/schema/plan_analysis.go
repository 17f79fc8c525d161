package schema

// PlanAnalysis is the analysis a deploy would run after a batch is back in
// traffic: count measurements interval apart after initial_delay, each
// metric of the canary (the batch) against the baseline.
type PlanAnalysis struct {
	// Baseline is the untouched instances the canary is compared with;
	// empty for a batch that leaves none (absolute bounds only).
	Baseline            []string     `json:"baseline"`
	InitialDelaySeconds float64      `json:"initial_delay_seconds"`
	IntervalSeconds     float64      `json:"interval_seconds"`
	Count               int          `json:"count"`
	Metrics             []PlanMetric `json:"metrics"`
	// DuringPause says the timed pause after the batch keeps measuring
	// (the batch and every one before it against the same baseline), and a
	// failed round fails the pause.
	DuringPause bool `json:"during_pause,omitempty"`
}

// PlanMetric is one metric of a PlanAnalysis, with the bounds that apply
// in that batch.
type PlanMetric struct {
	Name string `json:"name"`
	// Kind is ratio, value, exec or journal.
	Kind string `json:"kind"`
	// Bounds are the bounds judged in this batch, e.g. "max 0.01",
	// "vs_baseline", "exit 0"; vs_baseline is left out without a baseline.
	Bounds []string `json:"bounds"`
}
