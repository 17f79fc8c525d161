package analysis

import (
	"math"
)

// BinomialTail returns P(X ≥ c) for X ~ Binomial(n, p), computed exactly
// term by term in log space so that n up to millions neither overflows nor
// underflows to a wrong answer. Out-of-range arguments are clamped to the
// obvious answers (c ≤ 0 → 1, c > n → 0) rather than panicking.
func BinomialTail(n, c int64, p float64) float64 {
	switch {
	case c <= 0:
		return 1
	case c > n:
		return 0
	case math.IsNaN(p):
		return math.NaN()
	case p <= 0:
		return 0
	case p >= 1:
		return 1
	}
	lp, lq := math.Log(p), math.Log1p(-p)
	lnf := lgamma(float64(n) + 1)
	logTerm := func(k int64) float64 {
		return lnf - lgamma(float64(k)+1) - lgamma(float64(n-k)+1) + float64(k)*lp + float64(n-k)*lq
	}
	// Sum the smaller side for accuracy: the upper tail from c, or 1 minus
	// the lower tail below c, whichever has the mode outside it.
	mode := int64(math.Floor(float64(n+1) * p))
	if c > mode {
		return math.Min(1, sumExp(logTerm, c, n))
	}
	return math.Max(0, 1-sumExp(logTerm, 0, c-1))
}

// sumExp returns Σ exp(f(k)) for k in [from, to], factoring out the largest
// term (log-sum-exp). Terms more than 745 below the largest (e^-745 is the
// smallest float64) cannot change the sum and are skipped.
func sumExp(f func(int64) float64, from, to int64) float64 {
	maxLog := math.Inf(-1)
	for k := from; k <= to; k++ {
		if v := f(k); v > maxLog {
			maxLog = v
		}
	}
	if math.IsInf(maxLog, -1) {
		return 0
	}
	var s float64
	for k := from; k <= to; k++ {
		if d := f(k) - maxLog; d > -745 {
			s += math.Exp(d)
		}
	}
	return math.Exp(maxLog) * s
}

func lgamma(x float64) float64 {
	v, _ := math.Lgamma(x)
	return v
}

// RateTest is the exact conditional test of design note 2.4 for two counts
// over exposures: c events over exposure tc (canary) and b over tb
// (baseline), exposure being requests for a ratio metric or instance-seconds
// for the journal. Under H0 "the canary's rate is at most r times the
// baseline's", conditional on n = c+b the canary's count is
// Binomial(n, p0) with p0 = r·tc / (r·tc + tb), so the one-sided p-value is
// P(Bin(n, p0) ≥ c). It is exact at small counts and well defined when the
// baseline has no events at all, where normal approximations are not.
// Non-positive exposures or r give NaN: there is nothing to test.
func RateTest(c, b int64, tc, tb, r float64) float64 {
	if tc <= 0 || tb <= 0 || r <= 0 || c < 0 || b < 0 || math.IsNaN(tc+tb+r) || math.IsInf(tc+tb+r, 0) {
		return math.NaN()
	}
	p0 := r * tc / (r*tc + tb)
	return BinomialTail(c+b, c, p0)
}
