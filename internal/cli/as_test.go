package cli

import (
	"strings"
	"testing"
)

// --as is checked as a file name before anything is staged or touched:
// bad usage, exit 2, with the rule and an example.
func TestDeployAsValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"path", []string{"--artifact", "x", "--as", "bin/hello"}, `--as "bin/hello": want a plain file name, without '/', e.g. --as hello`},
		{"empty", []string{"--artifact", "x", "--as", ""}, `--as "": must not be empty`},
		{"dotdot", []string{"--artifact", "x", "--as", ".."}, "want a plain file name"},
		{"hidden", []string{"--artifact", "x", "--as", ".hello"}, "not starting with '.' or '-'"},
		{"option-like", []string{"--artifact", "x", "--as=-v"}, "not starting with '.' or '-'"},
		{"control byte", []string{"--artifact", "x", "--as", "he\nllo"}, "byte 2 is 0x0a"},
		{"with --resume", []string{"--resume", "--as", "hello"}, "takes no --artifact, --version or --as"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"deploy", "hello", "--state-dir", dir + "/s", "--unit-dir", dir + "/u"}, tc.args...)
			_, stderr, code := run(t, args...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tc.want)
			}
		})
	}
}

func TestApplyAsNeedsAnArtifact(t *testing.T) {
	_, stderr, code := run(t, "apply", "x.yaml", "--as", "hello")
	if code != ExitUsage || !strings.Contains(stderr, "--as names the binary given with --artifact") {
		t.Errorf("exit %d, stderr %q; want 2 asking for --artifact", code, stderr)
	}
}
