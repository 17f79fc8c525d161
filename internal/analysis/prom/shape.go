package prom

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/sysroll/sysroll/internal/analysis"
)

// answer is one query's outcome: a number, a data problem, or an error.
type answer struct {
	query    string
	value    float64
	problem  *analysis.DataProblem
	err      error
	warnings []string
}

// single runs a query that must return exactly one finite sample. Every
// other shape is a named problem: an empty vector (no data), several series
// (listing them: Flagger silently keeps the last), NaN, ±Inf, or a matrix,
// scalar or string.
func single(ctx context.Context, q Querier, query string, at time.Time) answer {
	a := answer{query: query}
	val, warnings, err := q.Query(ctx, query, at)
	a.warnings = warnings
	if err != nil {
		a.err = err
		return a
	}
	vec, ok := val.(model.Vector)
	if !ok {
		a.problem = analysis.Problemf(analysis.Shape, "%s returned a %s, not an instant vector", query, typeName(val))
		return a
	}
	switch len(vec) {
	case 0:
		a.problem = analysis.Problemf(analysis.NoData, "%s matched no series", query)
		return a
	case 1:
	default:
		a.problem = analysis.Problemf(analysis.Several, "%s returned %d series where one was expected: %s", query, len(vec), seriesList(vec))
		return a
	}
	v := float64(vec[0].Value)
	switch {
	case math.IsNaN(v):
		a.problem = analysis.Problemf(analysis.NotANumber, "%s returned NaN (no samples in the window, or 0/0)", query)
	case math.IsInf(v, 0):
		a.problem = analysis.Problemf(analysis.Infinite, "%s returned %v", query, v)
	default:
		a.value = v
	}
	return a
}

func typeName(v model.Value) string {
	if v == nil {
		return "nothing"
	}
	return v.Type().String()
}

func seriesList(vec model.Vector) string {
	s := make([]string, 0, len(vec))
	for _, smp := range vec {
		s = append(s, smp.Metric.String())
	}
	sort.Strings(s)
	if len(s) > 5 {
		s = append(s[:5], fmt.Sprintf("… %d more", len(s)-5))
	}
	return strings.Join(s, ", ")
}

// perInstance runs a query returning at most one series per instance label
// and maps label → value; a series without an instance label, or two for
// the same instance, is a problem.
func perInstance(ctx context.Context, q Querier, query string, at time.Time) (map[string]float64, []string, *analysis.DataProblem, error) {
	val, warnings, err := q.Query(ctx, query, at)
	if err != nil {
		return nil, warnings, nil, err
	}
	vec, ok := val.(model.Vector)
	if !ok {
		return nil, warnings, analysis.Problemf(analysis.Shape, "%s returned a %s, not an instant vector", query, typeName(val)), nil
	}
	out := map[string]float64{}
	for _, smp := range vec {
		inst := string(smp.Metric[model.InstanceLabel])
		if _, dup := out[inst]; dup || inst == "" {
			return nil, warnings, analysis.Problemf(analysis.Several, "%s returned %d series, not one per instance: %s", query, len(vec), seriesList(vec)), nil
		}
		out[inst] = float64(smp.Value)
	}
	return out, warnings, nil, nil
}
