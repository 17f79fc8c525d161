package release

import (
	"strings"
	"testing"
)

func TestValidFleetID(t *testing.T) {
	for _, tc := range []struct {
		id string
		ok bool
	}{
		{"a", true},
		{"f-20261201-1a2b", true},
		{strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), false},
		{"", false},
		{"Fleet", false},
		{"a_b", false},
		{"a.b", false},
		{"a/b", false},
		{"a b", false},
		{"a\nb", false},
		{"ä", false},
	} {
		err := ValidFleetID(tc.id)
		if (err == nil) != tc.ok {
			t.Errorf("ValidFleetID(%q) = %v, want ok=%v", tc.id, err, tc.ok)
		}
	}
}
