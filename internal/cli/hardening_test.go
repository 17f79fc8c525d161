package cli

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestInternalError: a panic in a command is a bug in sysroll: one line
// saying so and where, no stack trace, and its own exit code.
func TestInternalError(t *testing.T) {
	tests := []struct {
		name  string
		panic func()
		want  string
	}{
		{"runtime error", func() {
			var s []int
			_ = s[len(s)+5]
		}, "runtime error: index out of range"},
		{"multi-line value", func() { panic("first\ngoroutine 1 [running]:\nmain.main()") }, "first goroutine 1"},
		{"error value", func() { panic(errors.New("boom")) }, "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			g := &globals{stdout: &stdout, stderr: &stderr}
			root := newRoot(g)
			root.AddCommand(&cobra.Command{Use: "boom", RunE: func(*cobra.Command, []string) error { tt.panic(); return nil }})
			code := execute(context.Background(), root, []string{"boom"}, &stdout, &stderr)
			if code != ExitInternal {
				t.Errorf("exit %d, want %d", code, ExitInternal)
			}
			msg := stderr.String()
			if strings.Count(msg, "\n") != 1 || !strings.HasSuffix(msg, "\n") {
				t.Errorf("want one line, got %q", msg)
			}
			for _, w := range []string{"sysroll: internal error: ", tt.want, "hardening_test.go:", "please report"} {
				if !strings.Contains(msg, w) {
					t.Errorf("stderr %q lacks %q", msg, w)
				}
			}
			if regexp.MustCompile(`\.go:\d+ \+0x|goroutine \d+ \[`).MatchString(msg) && tt.name != "multi-line value" {
				t.Errorf("stack trace on stderr: %q", msg)
			}
		})
	}
	if ExitInternal == ExitOK || ExitInternal == ExitFailed || ExitInternal == ExitUsage {
		t.Error("the internal-error exit code is not distinct")
	}
}

// TestCompletionShells: a shell cobra can write a script for gets it; any
// other (or none) is bad usage naming the ones it can.
func TestCompletionShells(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		stdout, stderr, code := run(t, "completion", sh)
		if code != 0 || !strings.Contains(stdout, "sysroll") {
			t.Errorf("completion %s: exit %d, %d bytes; %s", sh, code, len(stdout), stderr)
		}
	}
	for _, args := range [][]string{{"completion", "tcsh"}, {"completion"}, {"completion", "csh", "x"}} {
		stdout, stderr, code := run(t, args...)
		if code != ExitUsage || stdout != "" || !strings.Contains(stderr, "bash, fish, powershell, zsh") {
			t.Errorf("%v: exit %d, stdout %d bytes, stderr %q", args, code, len(stdout), stderr)
		}
	}
}

// TestHelpUnknownTopic: help for a command that does not exist is bad
// usage, not the root help with exit 0.
func TestHelpUnknownTopic(t *testing.T) {
	if _, stderr, code := run(t, "help", "tcsh"); code != ExitUsage || !strings.Contains(stderr, `"tcsh": no such command`) {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if stdout, _, code := run(t, "help", "deploy"); code != 0 || !strings.Contains(stdout, "--artifact") {
		t.Errorf("help deploy: exit %d\n%s", code, stdout)
	}
}

// TestFlagValueNames: pflag takes the first back-quoted word of a flag's
// usage as its value placeholder; it must be a placeholder (VERSION, a
// type name), never prose such as "sysroll history".
func TestFlagValueNames(t *testing.T) {
	placeholder := regexp.MustCompile(`^[A-Za-z0-9_-]*$`)
	n := 0
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		visit := func(f *pflag.Flag) {
			n++
			if name, _ := pflag.UnquoteUsage(f); !placeholder.MatchString(name) {
				t.Errorf("%s --%s: value shown as %q in --help", c.CommandPath(), f.Name, name)
			}
		}
		c.LocalFlags().VisitAll(visit)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(Command())
	if n < 20 {
		t.Errorf("only %d flags seen", n)
	}
	if stdout, _, _ := run(t, "rollback", "--help"); !strings.Contains(stdout, "--to VERSION") {
		t.Errorf("rollback --help:\n%s", stdout)
	}
}

// TestProbeFlagsValidatedFirst: a bad --probe-rate is refused before
// anything else is looked at (here: a service that is not installed), and
// the message says the range.
func TestProbeFlagsValidatedFirst(t *testing.T) {
	dir := t.TempDir()
	for _, v := range []string{"NaN", "1e-10", "0", "-5", "+Inf", "2000"} {
		_, stderr, code := run(t, "restart", "ghost", "--state-dir", dir, "--probe", "http://127.0.0.1:23600/", "--probe-rate", v)
		if code != ExitUsage || !strings.Contains(stderr, "--probe-rate") || !strings.Contains(stderr, "from 0.1 to 1000") {
			t.Errorf("--probe-rate %s: exit %d, stderr %q", v, code, stderr)
		}
	}
	_, stderr, code := run(t, "restart", "ghost", "--state-dir", dir, "--probe-max-failures", "3")
	if code != ExitUsage || !strings.Contains(stderr, "give --probe URL too") {
		t.Errorf("--probe-max-failures without --probe: exit %d, stderr %q", code, stderr)
	}
}
