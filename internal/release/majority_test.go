package release

import "testing"

func TestMajority(t *testing.T) {
	tests := []struct {
		name     string
		versions []string
		want     string
	}{
		{"none", nil, ""},
		{"only empty", []string{"", ""}, ""},
		{"one", []string{"v1"}, "v1"},
		{"most", []string{"v2", "v1", "v1"}, "v1"},
		{"tie goes to the earliest instance", []string{"v1", "v2", "v2", "v1"}, "v1"},
		{"tie, other order", []string{"v2", "v1", "v1", "v2"}, "v2"},
		{"tie does not follow sort order", []string{"a", "b"}, "a"},
		{"empty never counts", []string{"", "", "v3"}, "v3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Map iteration order varies between runs: ask several times.
			for range 20 {
				if got := Majority(tt.versions); got != tt.want {
					t.Fatalf("Majority(%q) = %q, want %q", tt.versions, got, tt.want)
				}
			}
		})
	}
}
