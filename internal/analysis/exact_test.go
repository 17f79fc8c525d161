package analysis

import (
	"math"
	"testing"
)

// The worked numbers of design note 2.4: one canary against three baseline
// instances over the same 60 s, r = 2, hence p0 = 0.4.
func TestRateTestWorkedNumbers(t *testing.T) {
	for _, tc := range []struct {
		c, b     int64
		want     float64
		tol      float64
		fail99   bool // p < 0.01
		fail95   bool // p < 0.05
		scenario string
	}{
		{6, 0, 0.004096, 1e-9, true, true, "6 vs 0: fail"},
		{5, 0, 0.01024, 1e-9, false, true, "5 vs 0: not below 0.01"},
		{12, 6, 0.0203, 5e-4, false, true, "12 vs 6: passes at 0.99, fails at 0.95"},
		{20, 6, 0.00014, 2e-5, true, true, "20 vs 6: fail"},
		{0, 0, 1, 0, false, false, "nothing at all"},
		{0, 9, 1, 0, false, false, "no canary errors"},
	} {
		p := RateTest(tc.c, tc.b, 60, 180, 2)
		if math.Abs(p-tc.want) > tc.tol {
			t.Errorf("%s: p = %.6g, want %.6g ± %g", tc.scenario, p, tc.want, tc.tol)
		}
		if got := p < 0.01; got != tc.fail99 {
			t.Errorf("%s: p = %.6g, fails at 0.99 = %v, want %v", tc.scenario, p, got, tc.fail99)
		}
		if got := p < 0.05; got != tc.fail95 {
			t.Errorf("%s: p = %.6g, fails at 0.95 = %v, want %v", tc.scenario, p, got, tc.fail95)
		}
	}
}

// BinomialTail against sums computed directly at small n, on both sides of
// the mode (the two code paths).
func TestBinomialTailSmall(t *testing.T) {
	direct := func(n, c int64, p float64) float64 {
		var s float64
		for k := c; k <= n; k++ {
			s += binom(n, k) * math.Pow(p, float64(k)) * math.Pow(1-p, float64(n-k))
		}
		return s
	}
	for _, n := range []int64{1, 2, 7, 20, 50} {
		for _, p := range []float64{0.01, 0.3, 0.5, 0.93} {
			for c := int64(0); c <= n+1; c++ {
				got, want := BinomialTail(n, c, p), direct(n, c, p)
				if math.Abs(got-want) > 1e-9 {
					t.Fatalf("BinomialTail(%d, %d, %g) = %.12g, want %.12g", n, c, p, got, want)
				}
			}
		}
	}
}

func binom(n, k int64) float64 {
	r := 1.0
	for i := int64(1); i <= k; i++ {
		r = r * float64(n-k+i) / float64(i)
	}
	return r
}

// At n = 1e6 the binomial coefficients are far beyond float64; the log-space
// sum must still give finite probabilities that behave like the normal tail.
func TestBinomialTailLargeN(t *testing.T) {
	const n = 1_000_000
	p := 0.01 // mean 10000, sd ≈ 99.5
	for _, tc := range []struct {
		c        int64
		min, max float64
	}{
		{10000, 0.49, 0.51}, // at the mean: about a half
		{10199, 0.02, 0.03}, // +2 sd: about 0.023
		{10500, 1e-7, 1e-5}, // +5 sd: about 3e-7 (skewed a little above)
		{9801, 0.97, 0.985}, // -2 sd
		{20000, 0, 1e-300},  // far beyond: underflows to ~0, never NaN
		{0, 1, 1},           // everything
		{n, 0, 1e-300},      // all of them
		{n + 1, 0, 0},       // impossible
	} {
		got := BinomialTail(n, tc.c, p)
		if math.IsNaN(got) || math.IsInf(got, 0) || got < tc.min || got > tc.max {
			t.Errorf("BinomialTail(1e6, %d, 0.01) = %g, want in [%g, %g]", tc.c, got, tc.min, tc.max)
		}
	}
	// The exact test with a million requests each side: 1.2 % vs 1 % errors
	// is highly significant, 1.01 % vs 1 % is not.
	if p := RateTest(12000, 10000, 1e6, 1e6, 1); !(p < 1e-10) {
		t.Errorf("12000 vs 10000 of 1e6: p = %g, want < 1e-10", p)
	}
	if p := RateTest(10100, 10000, 1e6, 1e6, 1); !(p > 0.2) {
		t.Errorf("10100 vs 10000 of 1e6: p = %g, want > 0.2", p)
	}
}

func TestRateTestBadInput(t *testing.T) {
	for _, args := range [][5]float64{
		{1, 1, 0, 1, 1}, {1, 1, 1, 0, 1}, {1, 1, 1, 1, 0}, {-1, 1, 1, 1, 1},
		{1, 1, math.Inf(1), 1, 1}, {1, 1, math.NaN(), 1, 1},
	} {
		if p := RateTest(int64(args[0]), int64(args[1]), args[2], args[3], args[4]); !math.IsNaN(p) {
			t.Errorf("RateTest%v = %g, want NaN", args, p)
		}
	}
}
