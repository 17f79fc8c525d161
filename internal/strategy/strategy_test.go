package strategy

import "testing"

func TestStepSize(t *testing.T) {
	for _, tt := range []struct {
		s     Step
		total int
		want  int
		text  string
	}{
		{Step{N: 2}, 10, 2, "2"},
		{Step{N: 20}, 10, 10, "20"},       // at most total
		{Step{N: 0}, 10, 1, "0"},          // at least one
		{Step{Percent: 25}, 10, 3, "25%"}, // rounded up
		{Step{Percent: 1}, 3, 1, "1%"},
		{Step{Percent: 100}, 7, 7, "100%"},
		{Step{Percent: 33}, 0, 1, "33%"}, // no total: at least one
		{Step{N: 5}, 0, 5, "5"},
	} {
		if got := tt.s.Size(tt.total); got != tt.want {
			t.Errorf("%v.Size(%d) = %d, want %d", tt.s, tt.total, got, tt.want)
		}
		if got := tt.s.String(); got != tt.text {
			t.Errorf("String() = %q, want %q", got, tt.text)
		}
	}
	if !(Step{}).IsZero() || (Step{Percent: 5}).IsZero() {
		t.Error("IsZero wrong")
	}
}
