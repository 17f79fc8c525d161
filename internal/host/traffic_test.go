package host

import (
	"math"
	"strings"
	"testing"
)

func TestTrafficProofValidate(t *testing.T) {
	tests := []struct {
		rate float64
		max  int64
		want string // "" valid
	}{
		{20, 0, ""},
		{MinProbeRate, 0, ""},
		{MaxProbeRate, math.MaxInt64, ""},
		{math.NaN(), 0, "--probe-rate NaN: want requests per second from 0.1 to 1000"},
		{math.Inf(1), 0, "--probe-rate +Inf"},
		{math.Inf(-1), 0, "--probe-rate -Inf"},
		{0, 0, "--probe-rate 0:"},
		{-1, 0, "--probe-rate -1:"},
		// 1s/1e-10 overflows time.Duration: NewTicker panicked.
		{1e-10, 0, "--probe-rate 1e-10:"},
		{5e-324, 0, "--probe-rate 5e-324:"},
		{0.09, 0, "--probe-rate 0.09:"},
		{1000.001, 0, "--probe-rate 1000.001:"},
		{20, -1, "--probe-max-failures -1: want 0 or more"},
	}
	for _, tt := range tests {
		p := &TrafficProof{URL: "http://127.0.0.1:1/", Rate: tt.rate, MaxFailures: tt.max}
		err := p.Validate()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("rate %v max %d: %v", tt.rate, tt.max, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("rate %v max %d: err %v, want %q", tt.rate, tt.max, err, tt.want)
		case err != nil:
			if _, ok := err.(*InputError); !ok {
				t.Errorf("rate %v: %T is not an InputError (exit 2)", tt.rate, err)
			}
		}
	}
}
