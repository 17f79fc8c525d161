// Command sysroll-testbed runs a command inside a throwaway systemd (a
// volatile systemd-nspawn container of this machine's OS) with sysroll's
// binaries in it, then halts the container. The demo and manual tries use
// it; it needs root.
//
//	sysroll-testbed run [flags] -- CMD [ARG...]
//
// By default it builds the repository's commands (./cmd/..., ./examples/...)
// from the current directory's module into a temporary directory, binds that
// read-only at /opt/sysroll/bin and puts it first on CMD's PATH. CMD runs as
// root inside the container with this terminal's standard streams; its exit
// status is sysroll-testbed's.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/sysroll/sysroll/internal/testbed"
)

const binDir = "/opt/sysroll/bin"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stderr)
	stop()
	os.Exit(code)
}

// binds is a repeatable HOST[:CONTAINER] flag.
type binds struct {
	list     *[]testbed.Bind
	readOnly bool
}

func (b binds) String() string { return "" }

func (b binds) Set(v string) error {
	host, dst, _ := strings.Cut(v, ":")
	abs, err := filepath.Abs(host)
	if err != nil {
		return err
	}
	*b.list = append(*b.list, testbed.Bind{Host: abs, Container: dst, ReadOnly: b.readOnly})
	return nil
}

func run(ctx context.Context, args []string, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "run" {
		fmt.Fprintln(stderr, "usage: sysroll-testbed run [--bind HOST[:DIR]] [--bind-ro HOST[:DIR]] [--netns NS] [--no-build] -- CMD [ARG...]")
		return 2
	}
	fs := flag.NewFlagSet("sysroll-testbed run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts testbed.Options
	fs.Var(binds{&opts.Binds, false}, "bind", "bind `HOST[:DIR]` into the container, writable (repeatable)")
	fs.Var(binds{&opts.Binds, true}, "bind-ro", "bind `HOST[:DIR]` into the container, read-only (repeatable)")
	fs.StringVar(&opts.NetNS, "netns", "", "run in network namespace `NS` (a name under /run/netns or a path) instead of the host's network")
	noBuild := fs.Bool("no-build", false, "do not build and bind the repository's commands")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	argv := fs.Args()
	if len(argv) == 0 {
		fmt.Fprintln(stderr, "sysroll-testbed run: no command given (put it after --)")
		return 2
	}
	opts.Name = "sysroll-testbed-run"

	path := testbed.DefaultPath
	if !*noBuild {
		dir, err := os.MkdirTemp("", "sysroll-testbed-bin-")
		if err != nil {
			fmt.Fprintln(stderr, "sysroll-testbed:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		if err := build(ctx, dir, stderr); err != nil {
			fmt.Fprintln(stderr, "sysroll-testbed:", err)
			return 1
		}
		opts.Binds = append(opts.Binds, testbed.Bind{Host: dir, Container: binDir, ReadOnly: true})
		path = binDir + ":" + path
	}

	c, err := testbed.Boot(ctx, opts)
	if err != nil {
		fmt.Fprintln(stderr, "sysroll-testbed:", err)
		return 1
	}
	defer func() {
		if err := c.Close(); err != nil {
			fmt.Fprintln(stderr, "sysroll-testbed:", err)
		}
	}()
	if f := c.Failed(); len(f) > 0 {
		fmt.Fprintf(stderr, "sysroll-testbed: %s booted degraded; failed units: %s\n", c.Name(), strings.Join(f, " "))
	}

	cmd := c.Command(ctx, argv...)
	cmd.Env = append(cmd.Env, "PATH="+path)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case ctx.Err() != nil:
		fmt.Fprintln(stderr, "sysroll-testbed: interrupted")
		return 130
	case errors.As(err, &ee) && ee.ExitCode() > 0:
		return ee.ExitCode()
	default:
		fmt.Fprintln(stderr, "sysroll-testbed:", err)
		return 1
	}
}

// build compiles the module's commands into dir.
func build(ctx context.Context, dir string, stderr io.Writer) error {
	out, err := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return fmt.Errorf("find the module (run this inside the sysroll repository, or use --no-build): %w", err)
	}
	root := strings.TrimSpace(string(out))
	var pkgs []string
	for _, p := range []string{"cmd", "examples"} {
		if _, err := os.Stat(filepath.Join(root, p)); err == nil {
			pkgs = append(pkgs, "./"+p+"/...")
		}
	}
	cmd := exec.CommandContext(ctx, "go", append([]string{"build", "-o", dir + "/"}, pkgs...)...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = root, stderr, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %w", strings.Join(pkgs, " "), err)
	}
	return nil
}
