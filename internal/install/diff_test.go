package install

import "testing"

func TestDiff(t *testing.T) {
	tests := []struct {
		name, a, b, want string
	}{
		{"equal", "x\ny\n", "x\ny\n", ""},
		{"create", "", "a\n", "--- /dev/null\n+++ b/f\n+ a\n"},
		{"delete", "a\n", "", "--- a/f\n+++ /dev/null\n- a\n"},
		{"change middle", "a\nb\nc\n", "a\nB\nc\n", "--- a/f\n+++ b/f\n  a\n- b\n+ B\n  c\n"},
		{"append", "a\n", "a\nb\n", "--- a/f\n+++ b/f\n  a\n+ b\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Diff("f", tt.a, tt.b); got != tt.want {
				t.Errorf("Diff = %q, want %q", got, tt.want)
			}
		})
	}
}
