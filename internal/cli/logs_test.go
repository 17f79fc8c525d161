package cli

import (
	"strings"
	"testing"
)

func TestLogsHelpAndBadUsage(t *testing.T) {
	out, _, code := run(t, "logs", "--help")
	for _, want := range []string{"sysroll logs hello 8081 -n 200", "-f, --follow", "-n, --lines int", "Exit status"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("logs --help (exit %d) lacks %q:\n%s", code, want, out)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"logs"}, "accepts between 1 and 2 arg(s)"},
		{[]string{"logs", "a", "b", "c"}, "accepts between 1 and 2 arg(s)"},
		{[]string{"logs", "Bad/Name"}, "not a valid service name"},
		{[]string{"logs", "hello", "-n", "-1"}, "-n -1: want 0 to 100000 lines"},
		{[]string{"logs", "hello", "-n", "010"}, "not a whole number in plain decimal"},
		{[]string{"logs", "hello", ""}, "INSTANCE is empty"},
	} {
		_, stderr, code := run(t, tc.args...)
		if code != ExitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}
