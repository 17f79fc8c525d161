package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/portcheck/portchecktest"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/systemd"
	"github.com/sysroll/sysroll/internal/systemd/systemdtest"
)

// world is a host whose systemd is a fake and whose state and unit
// directories are temporary.
type world struct {
	t    testing.TB
	h    *Host
	fake *systemdtest.Fake
	dir  string
	// connections counts Connect calls: every verb opens one.
	connections int
}

// keepOpen lets every verb of a test close "its" connection while the
// fake lives on for the next one.
type keepOpen struct{ *systemdtest.Fake }

func (keepOpen) Close() error { return nil }

func newWorld(t testing.TB) *world {
	t.Helper()
	dir := t.TempDir()
	w := &world{t: t, fake: systemdtest.New(), dir: dir}
	w.h = &Host{
		StateRoot: filepath.Join(dir, "state"),
		UnitDir:   filepath.Join(dir, "units"),
		Connect: func(context.Context) (systemd.Manager, error) {
			w.connections++
			return keepOpen{w.fake}, nil
		},
		Logs: func(context.Context, string, int) []string { return []string{"(test journal)"} },
		// Every port is free: the tests' own probe servers listen on the
		// ports their fake instances are named after.
		Ports:   portchecktest.Table{},
		Who:     "tester",
		Command: "sysroll test",
	}
	return w
}

// serviceFile writes a service file of instances (names) with extra lines
// and returns its path. The gate is systemd's own state held for 1s.
func (w *world) serviceFile(name string, instances []string, extra ...string) string {
	w.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "name: %s\ncommand: \"{release}/app\"\ninstances: [%s]\n", name, strings.Join(instances, ", "))
	fmt.Fprintf(&b, "health:\n  interval: 100ms\n  timeout: 100ms\n  healthy_for: 1s\n  deadline: 10s\n")
	for _, l := range extra {
		b.WriteString(l + "\n")
	}
	p := filepath.Join(w.dir, name+".yaml")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		w.t.Fatal(err)
	}
	return p
}

// artifact writes an executable release directory for version.
func (w *world) artifact(version string) string {
	w.t.Helper()
	d := filepath.Join(w.dir, "artifacts", version)
	if err := os.MkdirAll(d, 0o755); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, "app"), []byte("#!/bin/sh\necho "+version+"\n"), 0o755); err != nil {
		w.t.Fatal(err)
	}
	return d
}

// install applies a service with release v1, without the wait (the tests
// of the wait are in apply_wait_test.go).
func (w *world) install(name string, instances []string, extra ...string) {
	w.t.Helper()
	if _, err := w.h.Apply(w.t.Context(), ApplyOptions{File: w.serviceFile(name, instances, extra...), Artifact: w.artifact("v1"), Version: "v1", NoWait: true}); err != nil {
		w.t.Fatalf("apply: %v", err)
	}
}

func (w *world) store(name string) *release.Store {
	w.t.Helper()
	s, err := release.Open(filepath.Join(w.h.StateRoot, name))
	if err != nil {
		w.t.Fatal(err)
	}
	return s
}

// current maps each instance to the release its link points at.
func (w *world) current(name string) map[string]string {
	w.t.Helper()
	m, err := w.store(name).Instances()
	if err != nil {
		w.t.Fatal(err)
	}
	return m
}

// restarts lists the units restarted since the call log began.
func (w *world) restarts() []string {
	var out []string
	for _, c := range w.fake.Calls() {
		if c.Op == systemdtest.OpRestart {
			out = append(out, c.Unit)
		}
	}
	return out
}

// events collects progress events.
type events struct{ list []rollout.Event }

func (e *events) Event(ev rollout.Event) { e.list = append(e.list, ev) }

// wantInput requires err to be bad input mentioning substr.
func wantInput(t testing.TB, err error, substr string) {
	t.Helper()
	if _, ok := errors.AsType[*InputError](err); !ok {
		t.Fatalf("error %v is not an *InputError", err)
	}
	if !strings.Contains(err.Error(), substr) {
		t.Fatalf("error %q lacks %q", err, substr)
	}
}
