// Command sysroll-demo tells sysroll's story end to end on a throwaway
// systemd (a volatile systemd-nspawn container of this machine's OS):
// install hello with three instances behind one shared socket, put steady
// traffic on it, deploy v2 with zero failed requests shown live, deploy a
// broken v3 that is rolled back automatically while traffic keeps flowing,
// then a canary caught by analysis (canary.go: a second service behind
// HAProxy, a release healthy by every probe but serving 5 % errors, judged
// against the untouched instances with a real Prometheus and rolled back),
// then show the history. Run it as root: `bash scripts/demo.sh`.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/testbed"
	"github.com/sysroll/sysroll/internal/traffic"
)

const (
	addr    = "127.0.0.1:18800"
	binDir  = e2etest.BinDir
	service = `name: hello
description: My Go Application (the guide's service)
command: "{release}/hello --instance {instance}"
instances: {count: 3}
listen: ` + addr + `        # one socket, owned by systemd, shared by every instance
health:
  interval: 250ms
  timeout: 250ms
  healthy_for: 2s              # ready (READY=1) and no restart for 2s
  deadline: 15s
rollout:
  batch: 1
  failure_action: rollback
`
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Stdout)
	interrupted := ctx.Err() != nil
	stop()
	if err != nil && interrupted {
		fmt.Fprintln(os.Stderr, "\ndemo interrupted: everything it started is stopped")
		os.Exit(130)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "\ndemo failed: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer) error {
	if os.Geteuid() != 0 {
		return errors.New("the demo boots a systemd-nspawn container: run it as root")
	}
	step(w, "Building sysroll and the example service (examples/hello)")
	bin, err := os.MkdirTemp("", "sysroll-demo-bin-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(bin)
	if err := os.Chmod(bin, 0o755); err != nil {
		return err
	}
	if err := e2etest.Build(bin); err != nil {
		return err
	}

	step(w, "Booting a throwaway systemd (volatile systemd-nspawn container of this machine's OS)")
	c, err := testbed.Boot(ctx, testbed.Options{
		Name:  fmt.Sprintf("sysroll-demo-%d", os.Getpid()),
		Binds: []testbed.Bind{{Host: bin, Container: binDir, ReadOnly: true}},
	})
	if err != nil {
		return err
	}
	defer func() {
		step(w, "Tearing the container down")
		if err := c.Close(); err != nil {
			fmt.Fprintln(w, "teardown:", err)
		}
	}()
	fmt.Fprintf(w, "booted in %s; PID 1 inside is systemd\n", c.BootTime().Round(time.Millisecond))

	d := &demo{c: c, w: w}
	d.write("/srv/hello.yaml", service, 0o644)
	d.release("/srv/releases/v1", "v1")
	d.release("/srv/releases/v2", "v2")
	d.release("/srv/releases/v3", "v3", "--fail-at-start")
	if d.err != nil {
		return d.err
	}

	step(w, "The service file: one file instead of the guide's three hand-written units")
	fmt.Fprint(w, service)
	step(w, "sysroll apply: render hardened units, install, start 3 instances on release v1")
	if err := d.sysroll(ctx, 0, "apply", "/srv/hello.yaml", "--artifact", "/srv/releases/v1", "--version", "v1"); err != nil {
		return err
	}
	if err := d.sysroll(ctx, 0, "status", "hello"); err != nil {
		return err
	}

	step(w, "Steady traffic: 8 clients in a closed loop, a new connection per request, each request ~10 ms of work")
	lctx, stopLoad := context.WithCancel(ctx)
	gen := &traffic.Generator{URL: "http://" + addr + "/work?ms=10", Concurrency: 8}
	stats, wait := gen.Start(lctx)
	defer func() { stopLoad(); wait() }()
	time.Sleep(time.Second)
	fmt.Fprintf(w, "traffic running: %s\n", line(stats.Snapshot()))

	step(w, "sysroll deploy hello v2: one instance at a time, each gated on READY=1 + 2s without a restart")
	before := stats.Snapshot()
	if err := d.sysroll(ctx, 0, "deploy", "hello", "--artifact", "/srv/releases/v2", "--version", "v2", "--probe", "http://"+addr+"/"); err != nil {
		return err
	}
	v2 := stats.Snapshot()
	fmt.Fprintf(w, "\nclient traffic during the v2 rollout: %s\n", delta(before, v2))

	step(w, "sysroll deploy hello v3: a broken release (exits before it is ready)")
	if err := d.sysroll(ctx, 1, "deploy", "hello", "--artifact", "/srv/releases/v3", "--version", "v3", "--probe", "http://"+addr+"/"); err != nil {
		return err
	}
	v3 := stats.Snapshot()
	fmt.Fprintf(w, "\nclient traffic during the failed v3 rollout and its rollback: %s\n", delta(v2, v3))
	fmt.Fprintln(w, "sysroll exited 1: the failed instance went back to v2; the two instances not yet reached were never touched.")

	if err := d.canary(ctx); err != nil {
		return err
	}

	step(w, "sysroll history hello")
	if err := d.sysroll(ctx, 0, "history", "hello"); err != nil {
		return err
	}
	step(w, "sysroll status hello")
	if err := d.sysroll(ctx, 0, "status", "hello"); err != nil {
		return err
	}
	stopLoad()
	wait()
	total := stats.Snapshot()
	step(w, "Summary")
	fmt.Fprintf(w, "all client traffic: %s\n", line(total))
	if total.Failed != 0 {
		return fmt.Errorf("%d requests failed: the deploys were not zero-downtime", total.Failed)
	}
	fmt.Fprintln(w, "zero failed requests to hello across a successful deploy and an automatic rollback.")
	return nil
}

type demo struct {
	c   *testbed.Container
	w   io.Writer
	err error
}

func (d *demo) write(path, content string, mode os.FileMode) {
	if d.err == nil {
		d.err = d.c.WriteFile(path, []byte(content), mode)
	}
}

// release writes a release directory whose hello runs as version.
func (d *demo) release(dir, version string, flags ...string) {
	script := fmt.Sprintf("#!/bin/sh\nexec %s/hello --version %s %s \"$@\"\n", binDir, version, strings.Join(flags, " "))
	d.write(filepath.Join(dir, "hello"), script, 0o755)
}

// sysroll runs sysroll inside the container with its output on the
// screen; an exit code other than want is an error.
func (d *demo) sysroll(ctx context.Context, want int, args ...string) error {
	fmt.Fprintf(d.w, "\n$ sysroll %s\n", strings.Join(args, " "))
	cmd := d.c.Command(ctx, append([]string{binDir + "/sysroll"}, args...)...)
	cmd.Stdout, cmd.Stderr = d.w, d.w
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		return err
	}
	if code != want {
		return fmt.Errorf("sysroll %s exited %d, expected %d", args[0], code, want)
	}
	return nil
}

func step(w io.Writer, title string) {
	fmt.Fprintf(w, "\n\033[1m== %s\033[0m\n", title)
}

func line(s traffic.Snapshot) string {
	return fmt.Sprintf("%d requests, %d failed (%s), p99 %s, max %s", s.Requests, s.Failed, s.KindsString(),
		s.P99.Round(time.Millisecond), s.Max.Round(time.Millisecond))
}

func delta(a, b traffic.Snapshot) string {
	return fmt.Sprintf("%d requests, %d failed", b.Requests-a.Requests, b.Failed-a.Failed)
}
