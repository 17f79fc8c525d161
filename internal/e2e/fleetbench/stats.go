package fleetbench

import (
	"fmt"
	"slices"
)

// Samples are one figure's values over a benchmark's iterations (or
// hosts): the machine is shared, so the spread is reported with the mean.
type Samples []float64

// Mean is their average; 0 for none.
func (s Samples) Mean() float64 {
	if len(s) == 0 {
		return 0
	}
	var sum float64
	for _, v := range s {
		sum += v
	}
	return sum / float64(len(s))
}

// Spread is "min / mean / max (n)" with the given format for each.
func (s Samples) Spread(format string) string {
	if len(s) == 0 {
		return "no samples"
	}
	f := func(v float64) string { return fmt.Sprintf(format, v) }
	return fmt.Sprintf("%s / %s / %s (n=%d)", f(slices.Min(s)), f(s.Mean()), f(slices.Max(s)), len(s))
}

// Max is the largest; 0 for none.
func (s Samples) Max() float64 {
	if len(s) == 0 {
		return 0
	}
	return slices.Max(s)
}
