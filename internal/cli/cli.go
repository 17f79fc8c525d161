// Package cli is sysroll's command line: one file per command, flags bound
// into the core packages' options, and every error turned into a message and
// an exit code in one place (Run).
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sysroll/sysroll/internal/host"
	"github.com/sysroll/sysroll/internal/rollout"
)

// Exit codes, documented in `sysroll --help`.
const (
	ExitOK     = 0 // success
	ExitFailed = 1 // the operation failed (a rollout rolled back, lint found problems, ...)
	ExitUsage  = 2 // bad usage or bad input: nothing was changed
	// ExitInternal is sysexits' EX_SOFTWARE: a bug in sysroll (a recovered
	// panic), never the input's fault. Small codes stay free for outcomes a
	// script branches on (3 is a paused rollout, ExitPaused).
	ExitInternal = 70
	exitHelpMsg  = `Exit status:
  0  success
  1  the operation failed (e.g. a batch failed and was rolled back, lint findings)
  2  bad usage or bad input (nothing was changed)
  3  the rollout stopped at a pause (approval gate, sysroll pause), nothing failed
  70 internal error: a bug in sysroll, please report it`
)

// usageError marks errors caused by the command line or the input files:
// they exit 2 and promise that nothing was changed.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef builds a usageError.
func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// asUsage marks err (if any) as bad input.
func asUsage(err error) error {
	if err == nil {
		return nil
	}
	return usageError{err}
}

// silentError carries an exit code for failures already reported on the
// output (e.g. lint findings), so Run prints nothing more.
type silentError struct{ code int }

func (e silentError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// globals are the flags every command shares.
type globals struct {
	user     bool
	json     bool
	address  string
	stdout   io.Writer
	stderr   io.Writer
	stateDir string
	unitDir  string
	// events and fleet are the fleet controller's flags of the rollout
	// verbs (registerFleetFlags).
	events string
	fleet  string
}

// Run executes sysroll with args (without the program name) and returns the
// process exit code. It never panics on bad input and never prints a stack.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	return execute(ctx, newRoot(&globals{stdout: stdout, stderr: stderr}), args, stdout, stderr)
}

// execute runs root (newRoot's tree; tests add to it) and turns its outcome
// into a message and an exit code.
func execute(ctx context.Context, root *cobra.Command, args []string, stdout, stderr io.Writer) (code int) {
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	defer func() {
		if r := recover(); r != nil {
			// One line, no stack: what broke and where, for the report.
			// A distinct exit code, so a script can tell a bug in sysroll
			// from a failed operation.
			fmt.Fprintf(stderr, "sysroll: internal error: %s%s (a bug in sysroll, please report it with the command you ran)\n",
				oneLine(fmt.Sprint(r), 200), panicSite())
			code = ExitInternal
		}
	}()
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var se silentError
	if errors.As(err, &se) {
		return se.code
	}
	if errors.Is(err, rollout.ErrPaused) {
		// Said by the summary and the next commands (pausedNext).
		return ExitPaused
	}
	fmt.Fprintf(stderr, "sysroll: %v\n", err)
	if isUsage(err) {
		// A refused analysis is the service file's or Prometheus' matter,
		// not the command line's: no --help hint.
		_, refused := errors.AsType[*rollout.AnalysisRefusedError](err)
		if cmd, _, ferr := root.Find(args); ferr == nil && cmd != nil && !refused {
			fmt.Fprintf(stderr, "see `%s --help`\n", cmd.CommandPath())
		}
		return ExitUsage
	}
	return ExitFailed
}

// panicSite is " at FILE:LINE" of the code that panicked (the first frame
// outside the Go runtime, below the recovering deferred call), or "".
func panicSite() string {
	pcs := make([]uintptr, 16)
	// Skip runtime.Callers, panicSite and the deferred function.
	frames := runtime.CallersFrames(pcs[:runtime.Callers(3, pcs)])
	for {
		f, more := frames.Next()
		if f.Function != "" && !strings.HasPrefix(f.Function, "runtime.") {
			return fmt.Sprintf(" at %s:%d", filepath.Base(f.File), f.Line)
		}
		if !more {
			return ""
		}
	}
}

// oneLine is s on one line, clipped to n bytes (a panic value may be
// anything, also a multi-line dump).
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "") + "..."
	}
	return s
}

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "sysroll",
		Short: "Zero-downtime rolling deploys of replicated services under systemd",
		Long: `sysroll deploys and restarts the instances of a replicated service under
systemd one health-gated batch at a time. The instances that are not in the
current batch keep serving; a batch that fails is rolled back automatically
and the instances not yet reached are never touched.

A service is described by one file (sysroll init NAME writes a starter).
sysroll renders it into a template unit NAME@.service, a group NAME.target
(and NAME.socket for a shared listening socket) and installs them.

Typical session:
  sysroll init hello > hello.yaml      # describe the service
  sysroll apply hello.yaml --artifact ./hello --version v1   # install, start, wait until healthy
  sysroll deploy hello --artifact ./hello-v2 --as hello      # the binary is {release}/hello
  sysroll status hello                 # exit 0: every instance healthy
  sysroll logs hello 8081 -f
  sysroll history hello
  sysroll rollback hello`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if v := os.Getenv("SYSROLL_SYSTEMD_ADDRESS"); v != "" && g.address == "" {
				g.address = v
			}
			return checkDirFlags(cmd)
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	// sysroll alone shows the help; any argument that is not a command is
	// bad usage. cobra's own check let "" through to the help (exit 0).
	root.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.Name())
		if s := cmd.SuggestionsFor(args[0]); len(s) > 0 && args[0] != "" {
			msg += " (did you mean " + strings.Join(s, " or ") + "?)"
		}
		return usagef("%s", msg)
	}
	root.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	root.SetUsageTemplate(root.UsageTemplate() + "\n" + exitHelpMsg + "\n")
	pf := root.PersistentFlags()
	pf.BoolVar(&g.user, "user", false, "manage the service with your own user manager (systemctl --user), no root needed")
	pf.BoolVar(&g.json, "json", false, "machine-readable output (JSON; one event per line while rolling)")
	pf.StringVar(&g.address, "systemd-address", "", "D-Bus address of the systemd to manage (default: this host's; env SYSROLL_SYSTEMD_ADDRESS)")
	pf.StringVar(&g.stateDir, "state-dir", "", "where releases and rollout records live (default /var/lib/sysroll, or ~/.local/share/sysroll with --user)")
	pf.StringVar(&g.unitDir, "unit-dir", "", "where unit files are installed (default /etc/systemd/system, or ~/.config/systemd/user with --user)")
	_ = pf.MarkHidden("systemd-address")

	root.AddCommand(
		newInitCmd(g), newRenderCmd(g), newApplyCmd(g), newStatusCmd(g),
		newDeployCmd(g), newRestartCmd(g), newRollbackCmd(g), newHistoryCmd(g),
		newLintCmd(g), newUninstallCmd(g), newAdoptCmd(g), newVersionCmd(g),
		newStageCmd(g), newFollowCmd(g), newFleetCmd(g), newAgentCmd(g), newProbeCmd(g),
		newPromoteCmd(g), newPauseCmd(g), newResumeCmd(g), newAbortCmd(g), newCheckPauseCmd(g),
	)
	root.AddCommand(newLogsCmd(g))
	// cobra adds "completion" when a command runs; add it now, so that an
	// unknown shell can be refused (see strictCompletion). Its scripts go
	// to the writer set when it is added.
	root.SetOut(g.stdout)
	root.SetErr(g.stderr)
	root.InitDefaultCompletionCmd()
	strictCompletion(root)
	strictHelp(root)
	markArgErrors(root)
	return root
}

// strictCompletion makes `completion SHELL` with a shell cobra cannot write
// a script for bad usage (exit 2, naming the shells it can); cobra's own
// command prints its help and exits 0, so `completion tcsh > file` seemed to
// work and wrote a help text.
func strictCompletion(root *cobra.Command) {
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		var shells []string
		for _, sh := range c.Commands() {
			if sh.Name() != "help" {
				shells = append(shells, sh.Name())
			}
		}
		supported := strings.Join(shells, ", ")
		c.ValidArgs = shells
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("completion needs a shell: one of %s", supported)
			}
			return usagef("completion %q: not a supported shell; supported: %s", args[0], supported)
		}
	}
}

// strictHelp makes `help TOPIC` for a command that does not exist bad usage
// (exit 2); cobra's help command says "Unknown help topic" and exits 0.
func strictHelp(root *cobra.Command) {
	root.InitDefaultHelpCmd()
	for _, c := range root.Commands() {
		if c.Name() != "help" || c.Run == nil {
			continue
		}
		show := c.Run
		c.Run = nil
		c.RunE = func(cmd *cobra.Command, args []string) error {
			// root.Args refuses what is not a command, but Find does
			// not run it: an unknown topic comes back as root itself.
			if target, _, err := root.Find(args); err != nil || target == nil || target == root && len(args) > 0 {
				return usagef("help %q: no such command; the commands are in `sysroll --help`", strings.Join(args, " "))
			}
			show(cmd, args)
			return nil
		}
	}
}

// isUsage reports whether err is bad usage or bad input (exit 2): ours, the
// core's, or cobra's.
func isUsage(err error) bool {
	if _, ok := errors.AsType[usageError](err); ok {
		return true
	}
	if _, ok := errors.AsType[*host.InputError](err); ok {
		return true
	}
	if _, ok := errors.AsType[*rollout.AnalysisRefusedError](err); ok {
		return true // bad input: the analysis could not see the baseline, nothing touched
	}
	return isCobraUsage(err)
}

// isCobraUsage recognises cobra's unknown-command error, which reaches
// Run without passing through any hook of ours.
func isCobraUsage(err error) bool {
	return strings.HasPrefix(err.Error(), "unknown command ")
}

// markArgErrors makes every command's argument check (cobra.ExactArgs, ...)
// return a usageError: wrong arguments are bad usage (exit 2).
func markArgErrors(c *cobra.Command) {
	if check := c.Args; check != nil {
		c.Args = func(cmd *cobra.Command, args []string) error { return asUsage(check(cmd, args)) }
	}
	for _, sub := range c.Commands() {
		markArgErrors(sub)
	}
}

func (g *globals) println(a ...any) { fmt.Fprintln(g.stdout, a...) }

// host is the engine the global flags select.
func (g *globals) host() *host.Host {
	return &host.Host{User: g.user, Address: g.address, StateRoot: g.stateDir, UnitDir: g.unitDir, Fleet: g.fleet}
}

// checkDirFlags refuses a --state-dir or --unit-dir given as "" (which
// silently meant the default), as a relative path (which meant a directory
// under wherever sysroll was started, and units systemd never reads there)
// or with '..'; a trailing '/' or '//' is cleaned.
func checkDirFlags(cmd *cobra.Command) error {
	for _, name := range []string{"state-dir", "unit-dir"} {
		f := cmd.Flag(name)
		if f == nil || !f.Changed {
			continue
		}
		v := f.Value.String()
		switch {
		case v == "":
			return usagef("--%s is empty: give an absolute directory, or leave the flag out for the default", name)
		case strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }):
			return usagef("--%s %q contains a control character: give an absolute directory", name, v)
		case !filepath.IsAbs(v):
			return usagef("--%s %q is not an absolute path: give one (a relative path would depend on where sysroll is started)", name, v)
		case slices.Contains(strings.Split(v, "/"), ".."):
			// Lexically /a/b/.. is /a, but through a link it is not: say
			// which directory is meant rather than guess.
			return usagef("--%s %q contains '..': give the directory itself, e.g. %s", name, v, filepath.Clean(v))
		case filepath.Clean(v) != v:
			// A trailing '/' or a '//' means the same directory: take it.
			if err := f.Value.Set(filepath.Clean(v)); err != nil {
				return usagef("--%s %q: %v", name, v, err)
			}
		}
	}
	return nil
}
