package release

import (
	"time"

	"github.com/sysroll/sysroll/internal/analysis"
)

// BatchAnalysis is one batch's metric analysis, as the record keeps it, so
// "why did it fail" survives the process (progressive.md 4.3): the sets
// compared, every verdict taken (each with its measurements and expanded
// queries) and the batch's outcome.
type BatchAnalysis struct {
	Batch int `json:"batch"`
	// During is "pause" for the analysis kept running during the timed
	// pause after Batch (its canary every instance the pause watched); ""
	// for the batch's own analysis.
	During string `json:"during,omitempty"`
	// Outcome is running, passed, failed, inconclusive or interrupted.
	Outcome  string    `json:"verdict"`
	Reason   string    `json:"reason,omitempty"`
	Started  time.Time `json:"started"`
	Ended    time.Time `json:"ended,omitzero"`
	Canary   []string  `json:"canary"`
	Baseline []string  `json:"baseline"` // empty: absolute bounds only
	// Measured is how many rounds were taken.
	Measured int                `json:"measured"`
	Verdicts []analysis.Verdict `json:"verdicts,omitempty"`
}
