package release

import (
	"context"
	"strings"
	"testing"
)

func TestValidName(t *testing.T) {
	for _, tc := range []struct {
		name string
		rule string // "" = accepted
	}{
		{"v1", ""},
		{"1.2.3+build.7", ""},
		{"20261125T165000-3f9a", ""},
		{strings.Repeat("a", 64), ""},
		{"", "must not be empty"},
		{strings.Repeat("a", 65), "65 characters, more than the 64 allowed"},
		{".", "must start with a letter or digit"},
		{"..", "must start with a letter or digit"},
		{".lock", "must start with a letter or digit"},
		{".tmp-123", "must start with a letter or digit"},
		{"-v1", "read as options"},
		{"_v1", "must start with a letter or digit"},
		{"v1.json", `would be the metadata file of "v1"`},
		{"v1.tmp-3", `must not contain ".tmp-"`},
		{"v1.json.corrupt-20261201T111500Z", `must not contain ".corrupt-"`},
		{"v1.corrupt-20261201T111500Z", `must not contain ".corrupt-"`},
		{"a/b", `byte 1 is '/'`},
		{"v1\x00", `byte 2 is 0x00`},
		{"välid", `byte 1 is 0xc3`},
	} {
		err := validName("version", tc.name)
		if tc.rule == "" {
			if err != nil {
				t.Errorf("%q refused: %v", tc.name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%q accepted, want refused: %s", tc.name, tc.rule)
		} else if !strings.Contains(err.Error(), tc.rule) {
			t.Errorf("%q: error %q does not say %q", tc.name, err, tc.rule)
		}
	}
}

// TestStageVersionNamedLikeMetadata: staging --version v1.json used to take
// releases/v1.json, release v1's metadata, for a leftover directory and
// delete it: v1, possibly the known-good release, was gone.
func TestStageVersionNamedLikeMetadata(t *testing.T) {
	s := newStore(t)
	stageVersion(t, s, "v1")
	must(t, s.MarkGood("v1"))
	bin := helloScript(t, t.TempDir(), "x")
	_, err := s.Stage(context.Background(), bin, StageOptions{Version: "v1.json"})
	wantErr(t, err, `metadata file of "v1"`)
	if _, err := s.Get("v1"); err != nil {
		t.Fatalf("v1 after staging v1.json: %v", err)
	}
	if prev, err := s.KnownGood(); err != nil || prev != "v1" {
		t.Fatalf("known good = %q, %v", prev, err)
	}
}
