package diagnose

import (
	"slices"
	"testing"
)

// The hint's proving line may be older than the lines shown: it is found
// in all the lines read, and only the last few are shown.
func TestFailure(t *testing.T) {
	lines := append(append([]string{}, gunicornSetuid...), "a", "b", "c")
	shown, hints := Failure(lines, 2)
	if !slices.Equal(shown, []string{"b", "c"}) {
		t.Errorf("shown %q, want the last 2 lines", shown)
	}
	if len(hints) != 1 || hints[0].Key != "hardening.system_call_allow" {
		t.Errorf("hints %+v, want the setuid hint from a line not shown", hints)
	}
	if shown, _ := Failure([]string{"x"}, 10); !slices.Equal(shown, []string{"x"}) {
		t.Errorf("fewer lines than shown: %q", shown)
	}
}
