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
	"strings"

	"github.com/spf13/cobra"

	"github.com/sysroll/sysroll/internal/host"
)

// Exit codes, documented in `sysroll --help`.
const (
	ExitOK      = 0 // success
	ExitFailed  = 1 // the operation failed (a rollout rolled back, lint found problems, ...)
	ExitUsage   = 2 // bad usage or bad input: nothing was changed
	exitHelpMsg = `Exit status:
  0  success
  1  the operation failed (e.g. a batch failed and was rolled back, lint findings)
  2  bad usage or bad input (nothing was changed)`
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
}

// Run executes sysroll with args (without the program name) and returns the
// process exit code. It never panics on bad input and never prints a stack.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	g := &globals{stdout: stdout, stderr: stderr}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "sysroll: internal error: %v (please report this)\n", r)
			code = ExitFailed
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
	fmt.Fprintf(stderr, "sysroll: %v\n", err)
	if isUsage(err) {
		if cmd, _, ferr := root.Find(args); ferr == nil && cmd != nil {
			fmt.Fprintf(stderr, "see `%s --help`\n", cmd.CommandPath())
		}
		return ExitUsage
	}
	return ExitFailed
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
  sysroll apply hello.yaml             # install units, start instances
  sysroll deploy hello --artifact ./hello-v2
  sysroll status hello
  sysroll history hello
  sysroll rollback hello`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if v := os.Getenv("SYSROLL_SYSTEMD_ADDRESS"); v != "" && g.address == "" {
				g.address = v
			}
			return nil
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
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
		newLintCmd(g), newUninstallCmd(g), newVersionCmd(g),
	)
	markArgErrors(root)
	return root
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
	return &host.Host{User: g.user, Address: g.address, StateRoot: g.stateDir, UnitDir: g.unitDir}
}
