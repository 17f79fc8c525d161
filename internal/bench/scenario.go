package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/testbed"
)

const binDir = e2etest.BinDir

// Timing of one scenario.
const (
	warmup       = 2 * time.Second // load before the upgrade starts
	cooldown     = 2 * time.Second // load after it ended, at least
	maxLoad      = 3 * time.Minute // stop the load by then even short of --requests
	readyTimeout = 20 * time.Second
)

// bench is the running benchmark: one container, one HAProxy.
type bench struct {
	c    *testbed.Container
	hp   *haproxy
	opts options
	out  io.Writer // progress
}

// Result is one scenario: one method, one upgrade, under load.
type Result struct {
	Run     int    `json:"run"`
	Method  string `json:"method"`
	Title   string `json:"title"`
	Release string `json:"release"`
	Bad     bool   `json:"failing_release"`
	loadStats
	Rollout time.Duration `json:"rollout_ns"`
	Exit    int           `json:"exit_code"`
	// Serving is what each instance answers after the rollout: a version,
	// or "down".
	Serving map[string]string `json:"serving"`
	AllNew  bool              `json:"all_on_new"`
	// Errors is the first error message of each failure kind.
	Errors map[string]string `json:"errors,omitempty"`
	// Notes: anything odd seen after the rollout (a server left in drain).
	Notes []string `json:"notes,omitempty"`
	// Output is the tail of the upgrade command's output.
	Output string `json:"output,omitempty"`
}

// scenario installs m on startRelease, puts load on it, upgrades it to
// version while measuring, checks what serves afterwards, and uninstalls.
func (b *bench) scenario(ctx context.Context, run int, m method, bad bool) (Result, error) {
	version := goodRelease
	if bad {
		version = badRelease
	}
	r := Result{Run: run, Method: m.Key, Title: m.Title, Release: version, Bad: bad}
	if err := b.install(ctx, m); err != nil {
		return r, fmt.Errorf("(%s) install: %w", m.Key, err)
	}
	defer func() {
		if ctx.Err() != nil {
			return // interrupted: the container goes with everything in it
		}
		if err := b.uninstall(ctx, m); err != nil {
			fmt.Fprintf(b.out, "  (%s) uninstall: %v\n", m.Key, err)
		}
	}()
	if m.driver == driverTarget || m.driver == driverLoop {
		// These switch symlinks by hand: stage the release first, outside
		// the measured window (--dry-run stages and touches no instance).
		if _, err := b.sysroll(ctx, "deploy", m.Service, "--artifact", filepath.Join(releasesDir, version), "--version", version, "--dry-run"); err != nil {
			return r, fmt.Errorf("(%s) stage %s: %w", m.Key, version, err)
		}
	}
	if err := b.waitServing(ctx, m); err != nil {
		return r, fmt.Errorf("(%s) before the upgrade: %w", m.Key, err)
	}

	var logAt int64
	if m.behindHAProxy() {
		logAt = b.hp.logSize()
	}
	lctx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	l := startLoad(lctx, m.URL("/work?ms=10"), b.opts.concurrency)
	if err := sleep(ctx, warmup); err != nil {
		return r, err
	}
	from := l.Now()
	out, code, err := b.shell(ctx, m.upgradeScript(version))
	to := l.Now()
	if err != nil {
		return r, fmt.Errorf("(%s) upgrade: %w", m.Key, err)
	}
	r.Rollout, r.Exit, r.Output = to-from, code, lastLines(out, 12)
	for l.Requests() < int64(b.opts.requests) || l.Now() < to+cooldown {
		if l.Now() > maxLoad {
			r.Notes = append(r.Notes, fmt.Sprintf("load stopped after %s short of %d requests", maxLoad, b.opts.requests))
			break
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return r, err
		}
	}
	stopLoad()
	samples, errs := l.stop()
	r.loadStats, r.Errors = summarize(samples, from, to), errs

	r.Serving, r.Notes = b.serving(ctx, m, r.Notes)
	r.AllNew = len(r.Serving) == instanceCount
	for _, v := range r.Serving {
		r.AllNew = r.AllNew && v == version
	}
	if m.behindHAProxy() {
		r.Notes = append(r.Notes, b.leftOutOfTraffic(ctx, m)...)
		if r.Failed > 0 {
			r.Notes = append(r.Notes, haproxyEvidence(b.hp.logSince(logAt, m.Service))...)
		}
	}
	return r, ctx.Err()
}

// install puts m's service on startRelease and starts it.
func (b *bench) install(ctx context.Context, m method) error {
	if m.driver == driverGuide {
		for name, text := range guideUnits(m) {
			if err := b.c.WriteFile("/etc/systemd/system/"+name, []byte(text), 0o644); err != nil {
				return err
			}
		}
		script := fmt.Sprintf("set -eu\nmkdir -p %s\nln -sfn %s/%s/hello %s\nsystemctl daemon-reload\nsystemctl start %s\n",
			filepath.Dir(guideBinary), releasesDir, startRelease, guideBinary, strings.Join(guideUnitNames(m), " "))
		return b.mustShell(ctx, script)
	}
	file := filepath.Join(filesDir, m.Service+".yaml")
	if err := b.c.WriteFile(file, []byte(m.serviceFile(b.opts.health)), 0o644); err != nil {
		return err
	}
	_, err := b.sysroll(ctx, "apply", file, "--artifact", filepath.Join(releasesDir, startRelease), "--version", startRelease)
	return err
}

func (b *bench) uninstall(ctx context.Context, m method) error {
	if m.driver == driverGuide {
		names := strings.Join(guideUnitNames(m), " ")
		return b.mustShell(ctx, fmt.Sprintf("systemctl stop %s\nrm -f /etc/systemd/system/%s-*.service\nsystemctl daemon-reload\nsystemctl reset-failed %s 2>/dev/null || true\n",
			names, m.Service, names))
	}
	_, err := b.sysroll(ctx, "uninstall", m.Service, "--purge")
	return err
}

// waitServing waits until every instance of m serves startRelease (and,
// behind HAProxy, HAProxy has every server UP).
func (b *bench) waitServing(ctx context.Context, m method) error {
	deadline := time.Now().Add(readyTimeout)
	for {
		serving, _ := b.serving(ctx, m, nil)
		ok := len(serving) == instanceCount
		for _, v := range serving {
			ok = ok && v == startRelease
		}
		if ok && m.behindHAProxy() {
			ok = b.hp.waitUp(ctx, m.Service, time.Until(deadline)) == nil
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not every instance serving %s after %s: %v", startRelease, readyTimeout, serving)
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
}

// shell runs a script inside the container; a non-zero exit is a result
// (code), not an error.
func (b *bench) shell(ctx context.Context, script string) (string, int, error) {
	cmd := b.c.Command(ctx, "/bin/sh", "-c", script)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		return out.String(), -1, ctx.Err()
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out.String(), ee.ExitCode(), nil
	}
	if err != nil {
		return out.String(), -1, fmt.Errorf("%w\n%s", err, out.String())
	}
	return out.String(), 0, nil
}

// mustShell runs a script that must succeed.
func (b *bench) mustShell(ctx context.Context, script string) error {
	out, code, err := b.shell(ctx, script)
	if err == nil && code != 0 {
		err = fmt.Errorf("exit %d: %s", code, strings.TrimSpace(out))
	}
	return err
}

// sysroll runs sysroll inside the container; it must exit 0.
func (b *bench) sysroll(ctx context.Context, args ...string) (string, error) {
	cmd := b.c.Command(ctx, append([]string{binDir + "/sysroll"}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return out.String(), ctx.Err()
		}
		return out.String(), fmt.Errorf("sysroll %s: %w\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String(), nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
