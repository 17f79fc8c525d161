package cli

import (
	"strings"
	"testing"
)

// A trailing '/' or a '//' names the same directory: taken, not refused.
func TestDirFlagsTakeATrailingSlash(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"status", "--state-dir", dir + "/"},
		{"status", "--state-dir", dir + "//", "--unit-dir", dir + "/units/"},
	} {
		_, stderr, code := run(t, args...)
		if code != ExitOK {
			t.Errorf("%s: exit %d, want 0: %s", strings.Join(args, " "), code, stderr)
		}
	}
}
