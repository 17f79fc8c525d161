package journal

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sysroll/sysroll/internal/fleet/plan"
)

// Strategy is plan.Strategy as the documents write it: sizes as the
// service file does ("2", "25%"), durations as Go does ("10m0s").
type Strategy struct {
	Batch            string         `json:"batch,omitempty"`
	Ramp             []string       `json:"ramp,omitempty"`
	MaxParallel      int            `json:"max_parallel,omitempty"`
	MaxPerLabel      map[string]int `json:"max_per_label,omitempty"`
	OrderBy          []string       `json:"order_by,omitempty"`
	FailureBudget    int            `json:"failure_budget,omitempty"`
	FailureAction    string         `json:"failure_action,omitempty"`
	MinAvailable     string         `json:"min_available,omitempty"`
	ReattachDeadline string         `json:"reattach_deadline,omitempty"`
	Lease            string         `json:"lease,omitempty"`
}

// FromPlan writes s down.
func FromPlan(s plan.Strategy) Strategy {
	out := Strategy{
		MaxParallel:   s.MaxParallel,
		MaxPerLabel:   maps.Clone(s.MaxPerLabel),
		OrderBy:       slices.Clone(s.OrderBy),
		FailureBudget: s.FailureBudget,
		FailureAction: string(s.FailureAction),
	}
	if s.Batch != (plan.Size{}) {
		out.Batch = s.Batch.String()
	}
	for _, r := range s.Ramp {
		out.Ramp = append(out.Ramp, r.String())
	}
	if s.MinAvailable != (plan.Size{}) {
		out.MinAvailable = s.MinAvailable.String()
	}
	if s.ReattachDeadline != 0 {
		out.ReattachDeadline = s.ReattachDeadline.String()
	}
	if s.Lease != 0 {
		out.Lease = s.Lease.String()
	}
	return out
}

// Plan reads s back, and validates it.
func (s Strategy) Plan() (plan.Strategy, error) {
	var out plan.Strategy
	var err error
	if out.Batch, err = parseSize(s.Batch, "batch"); err != nil {
		return plan.Strategy{}, err
	}
	if len(s.Ramp) > plan.MaxHosts {
		return plan.Strategy{}, fmt.Errorf("ramp: %d entries, more than %d", len(s.Ramp), plan.MaxHosts)
	}
	for i, r := range s.Ramp {
		st, err := parseSize(r, fmt.Sprintf("ramp[%d]", i))
		if err != nil {
			return plan.Strategy{}, err
		}
		out.Ramp = append(out.Ramp, st)
	}
	if out.MinAvailable, err = parseSize(s.MinAvailable, "min_available"); err != nil {
		return plan.Strategy{}, err
	}
	if s.ReattachDeadline != "" {
		if out.ReattachDeadline, err = time.ParseDuration(s.ReattachDeadline); err != nil {
			return plan.Strategy{}, fmt.Errorf("reattach_deadline %s: not a duration", clip(s.ReattachDeadline))
		}
	}
	if s.Lease != "" {
		if out.Lease, err = time.ParseDuration(s.Lease); err != nil {
			return plan.Strategy{}, fmt.Errorf("lease %s: not a duration", clip(s.Lease))
		}
	}
	out.MaxParallel = s.MaxParallel
	out.MaxPerLabel = maps.Clone(s.MaxPerLabel)
	out.OrderBy = slices.Clone(s.OrderBy)
	out.FailureBudget = s.FailureBudget
	out.FailureAction = plan.FailureAction(s.FailureAction)
	if err := out.Validate(); err != nil {
		return plan.Strategy{}, err
	}
	return out, nil
}

// parseSize reads "2" or "25%"; "" is unset.
func parseSize(text, field string) (plan.Size, error) {
	if text == "" {
		return plan.Size{}, nil
	}
	if p, ok := strings.CutSuffix(text, "%"); ok {
		v, err := strconv.Atoi(p)
		if err != nil || v < 1 || v > 100 || strconv.Itoa(v) != p {
			return plan.Size{}, fmt.Errorf("%s %s: want a percentage between 1%% and 100%%", field, clip(text))
		}
		return plan.Size{Percent: v}, nil
	}
	v, err := strconv.Atoi(text)
	if err != nil || v < 1 || strconv.Itoa(v) != text {
		return plan.Size{}, fmt.Errorf("%s %s: want a count or a percentage", field, clip(text))
	}
	return plan.Size{N: v}, nil
}
