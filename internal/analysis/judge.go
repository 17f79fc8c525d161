package analysis

import (
	"fmt"
	"math"
)

// Judge decides metric m from the canary's measurement and the baseline's
// (nil when the batch has no baseline, e.g. the last batch). Measurements
// with Counts are judged as counts (ratio and journal metrics), with Value
// as values. It never passes what it cannot judge: a provider error is an
// Error verdict (see Run for consecutive_errors), every data problem and a
// metric left with no bound that applies is a Fail naming the cause.
func Judge(m Metric, canary Measurement, baseline *Measurement) Verdict {
	v := Verdict{Metric: m.Name, Canary: nan, Baseline: nan, Bound: nan, P: nan}
	v.Measurements = append(v.Measurements, canary)
	if baseline != nil {
		v.Measurements = append(v.Measurements, *baseline)
	}
	if out, why, ok := unusable(canary); ok {
		return v.set(out, "%s: canary %s", m.Name, why)
	}
	if m.Kind() == KindExec {
		// An exec metric judges the canary alone: its command exited 0 (a
		// non-zero exit is the provider's Problem, failed above).
		v.Canary = *canary.Value
		return v.set(Pass, "%s: canary passed (exit status 0)", m.Name)
	}
	if baseline == nil || m.VsBaseline == nil {
		switch {
		case m.Max != nil || m.Min != nil:
		case m.VsBaseline == nil:
			return v.set(Fail, "%s: no bound at all (set max, min or vs_baseline)", m.Name)
		default:
			return v.set(Fail, "%s: no bound applies without a baseline (only vs_baseline is set)", m.Name)
		}
	} else if out, why, ok := unusable(*baseline); ok {
		return v.set(out, "%s: baseline %s", m.Name, why)
	}
	if canary.Counts != nil {
		return judgeCounts(v, m, *canary.Counts, baseline)
	}
	return judgeValue(v, m, *canary.Value, baseline)
}

// unusable says whether a measurement cannot be judged, and why.
func unusable(ms Measurement) (Outcome, string, bool) {
	switch {
	case ms.Err != nil:
		return Error, "not measured: " + ms.Err.Error(), true
	case ms.Problem != nil:
		return Fail, ms.Problem.Error(), true
	case ms.Counts == nil && ms.Value == nil:
		return Fail, string(NoData) + ": the provider returned nothing", true
	case ms.Value != nil && math.IsNaN(*ms.Value):
		return Fail, string(NotANumber), true
	case ms.Value != nil && math.IsInf(*ms.Value, 0):
		return Fail, fmt.Sprintf("%s: %v", Infinite, *ms.Value), true
	case ms.Counts != nil && !countsOK(*ms.Counts):
		return Fail, fmt.Sprintf("%s: %g events over %g", Inconsistent, ms.Counts.Events, ms.Counts.Exposure), true
	}
	return "", "", false
}

func countsOK(c Counts) bool {
	for _, f := range []float64{c.Events, c.Exposure} {
		if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
			return false
		}
	}
	return true
}

func (v Verdict) set(out Outcome, format string, args ...any) Verdict {
	v.Outcome = out
	v.Reason = fmt.Sprintf(format, args...)
	return v
}

func judgeCounts(v Verdict, m Metric, c Counts, baseline *Measurement) Verdict {
	ratio := m.Kind() == KindRatio
	unit, of := " per s", func(x Counts) string { return fmt.Sprintf("%.6g in %.6g instance-s", x.Events, x.Exposure) }
	if ratio {
		unit, of = "", func(x Counts) string { return fmt.Sprintf("%.6g of %.6g", x.Events, x.Exposure) }
	}
	if c.Exposure == 0 {
		return v.set(Fail, "%s: canary %s: total is 0", m.Name, NoTraffic)
	}
	// increase() extrapolates, so errors may exceed total by a fraction of
	// a request; by more, the two queries do not count the same requests.
	if ratio && c.Events > c.Exposure+0.5 {
		return v.set(Fail, "%s: canary %s: errors %g exceed total %g (do both queries select the same requests?)", m.Name, Inconsistent, c.Events, c.Exposure)
	}
	v.Canary = c.Rate()
	if ratio && v.Canary > 1 {
		v.Canary = 1
	}
	if c.Exposure < m.MinTotal {
		return v.set(Inconclusive, "%s: canary %s: total %g below min_total %g", m.Name, of(c), c.Exposure, m.MinTotal)
	}
	if out, ok := v.absolute(m, of(c), unit); ok {
		return out
	}
	if baseline == nil || m.VsBaseline == nil {
		return v.set(Pass, "%s: canary %s = %s%s within absolute bounds%s", m.Name, of(c), fmtNum(v.Canary), unit, noBaseline(baseline, m))
	}
	b := *baseline.Counts
	if b.Exposure == 0 {
		return v.set(Fail, "%s: baseline %s: total is 0, nothing to compare the canary with", m.Name, NoTraffic)
	}
	vb := m.VsBaseline
	v.Baseline = b.Rate()
	v.Bound = math.Max(vb.MaxRatio*v.Baseline, v.Baseline+vb.MaxDelta)
	cmp := fmt.Sprintf("canary %s = %s%s, baseline %s = %s%s, bound max(%g × baseline, baseline + %g) = %s",
		of(c), fmtNum(v.Canary), unit, of(b), fmtNum(v.Baseline), unit, vb.MaxRatio, vb.MaxDelta, fmtNum(v.Bound))
	if v.Canary <= v.Bound {
		return v.set(Pass, "%s: %s: within", m.Name, cmp)
	}
	v.P = RateTest(int64(math.Round(c.Events)), int64(math.Round(b.Events)), c.Exposure, b.Exposure, vb.MaxRatio)
	alpha := 1 - vb.Confidence
	if v.P < alpha {
		return v.set(Fail, "%s: %s: above, and significant (p = %s < %s)", m.Name, cmp, fmtP(v.P), fmtNum(alpha))
	}
	return v.set(Pass, "%s: %s: above, but not significant (p = %s ≥ %s)", m.Name, cmp, fmtP(v.P), fmtNum(alpha))
}

func judgeValue(v Verdict, m Metric, x float64, baseline *Measurement) Verdict {
	v.Canary = x
	if out, ok := v.absolute(m, "", ""); ok {
		return out
	}
	if baseline == nil || m.VsBaseline == nil {
		return v.set(Pass, "%s: canary %s within absolute bounds%s", m.Name, fmtNum(x), noBaseline(baseline, m))
	}
	vb := m.VsBaseline
	v.Baseline = *baseline.Value
	v.Bound = math.Max(vb.MaxRatio*v.Baseline, v.Baseline+vb.MaxDelta)
	cmp := fmt.Sprintf("canary %s, baseline %s, bound max(%g × baseline, baseline + %g) = %s",
		fmtNum(x), fmtNum(v.Baseline), vb.MaxRatio, vb.MaxDelta, fmtNum(v.Bound))
	if x > v.Bound {
		return v.set(Fail, "%s: %s: above", m.Name, cmp)
	}
	return v.set(Pass, "%s: %s: within", m.Name, cmp)
}

// absolute applies Max and Min to v.Canary; ok when one is violated.
func (v Verdict) absolute(m Metric, detail, unit string) (Verdict, bool) {
	if detail != "" {
		detail += " = "
	}
	if m.Max != nil && v.Canary > *m.Max {
		v.Bound = *m.Max
		return v.set(Fail, "%s: canary %s%s%s above max %s%s", m.Name, detail, fmtNum(v.Canary), unit, fmtNum(*m.Max), unit), true
	}
	if m.Min != nil && v.Canary < *m.Min {
		v.Bound = *m.Min
		return v.set(Fail, "%s: canary %s%s%s below min %s%s", m.Name, detail, fmtNum(v.Canary), unit, fmtNum(*m.Min), unit), true
	}
	return v, false
}

func noBaseline(baseline *Measurement, m Metric) string {
	if baseline == nil && m.VsBaseline != nil {
		return " (no baseline in this batch: vs_baseline not applied)"
	}
	return ""
}
