package install

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/systemd/systemdtest"
)

func desiredFor(instances []string, template string) Desired {
	return Desired{
		Service:   "hello",
		Instances: instances,
		Template:  "hello@.service",
		Target:    "hello.target",
		Files: []File{
			{Name: "hello@.service", Data: []byte(template)},
			{Name: "hello.target", Data: []byte("[Unit]\nWants=" + strings.Join(instances, " ") + "\n")},
		},
		InstanceUnit: func(i string) string { return "hello@" + i + ".service" },
	}
}

type env struct {
	fake *systemdtest.Fake
	in   *Installer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	f := systemdtest.New()
	return &env{fake: f, in: &Installer{Manager: f, UnitDir: filepath.Join(dir, "units"), StateDir: filepath.Join(dir, "state")}}
}

func (e *env) apply(t *testing.T, d Desired) *Plan {
	t.Helper()
	ctx := context.Background()
	p, err := e.in.Plan(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.in.Apply(ctx, p); err != nil {
		t.Fatal(err)
	}
	return p
}

// ops returns the recorded calls as "op unit" strings, then forgets them.
func (e *env) ops() []string {
	var out []string
	for _, c := range e.fake.Calls() {
		out = append(out, strings.TrimSpace(string(c.Op)+" "+c.Unit))
	}
	return out
}

func TestFirstApplyStartsEverything(t *testing.T) {
	e := newEnv(t)
	p := e.apply(t, desiredFor([]string{"8081", "8082"}, "v1\n"))
	if len(p.Changes) != 2 || p.Changes[0].Action != Create {
		t.Fatalf("changes = %+v, want two creates", p.Changes)
	}
	if want := []string{"hello@8081.service", "hello@8082.service"}; !slices.Equal(p.Start, want) {
		t.Errorf("start = %v, want %v", p.Start, want)
	}
	ops := e.ops()
	for _, want := range []string{"reload", "enable hello.target", "start hello@8081.service", "start hello@8082.service", "start hello.target"} {
		if !slices.Contains(ops, want) {
			t.Errorf("calls %v lack %q", ops, want)
		}
	}
	b, err := os.ReadFile(filepath.Join(e.in.UnitDir, "hello@.service"))
	if err != nil || string(b) != "v1\n" {
		t.Errorf("installed template = %q, %v", b, err)
	}
}

func TestReapplyTouchesNothing(t *testing.T) {
	e := newEnv(t)
	d := desiredFor([]string{"8081", "8082"}, "v1\n")
	e.apply(t, d)
	before := len(e.fake.Calls())
	p, err := e.in.Plan(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	if !p.NoChanges() {
		t.Fatalf("second plan not empty: %+v", p)
	}
	calls := e.fake.Calls()[before:]
	if len(calls) != 0 {
		t.Errorf("planning called systemd: %+v", calls)
	}
}

func TestAddAndRemoveInstance(t *testing.T) {
	e := newEnv(t)
	e.apply(t, desiredFor([]string{"8081", "8082"}, "v1\n"))
	s81, _ := e.fake.State("hello@8081.service")
	n := len(e.fake.Calls())

	p := e.apply(t, desiredFor([]string{"8081", "8082", "8083"}, "v1\n"))
	if !slices.Equal(p.Start, []string{"hello@8083.service"}) || len(p.Stop) != 0 || len(p.NeedsRestart) != 0 {
		t.Fatalf("add: plan %+v", p)
	}
	for _, c := range e.fake.Calls()[n:] {
		if c.Unit == "hello@8081.service" || c.Unit == "hello@8082.service" {
			t.Errorf("adding 8083 touched %s (%s)", c.Unit, c.Op)
		}
	}
	n = len(e.fake.Calls())
	p = e.apply(t, desiredFor([]string{"8081", "8083"}, "v1\n"))
	if !slices.Equal(p.Stop, []string{"hello@8082.service"}) || len(p.Start) != 0 {
		t.Fatalf("remove: plan %+v", p)
	}
	for _, c := range e.fake.Calls()[n:] {
		if c.Unit == "hello@8081.service" || c.Unit == "hello@8083.service" {
			t.Errorf("removing 8082 touched %s (%s)", c.Unit, c.Op)
		}
	}
	if s, _ := e.fake.State("hello@8081.service"); s.InvocationID != s81.InvocationID {
		t.Errorf("8081 was restarted: %s -> %s", s81.InvocationID, s.InvocationID)
	}
}

func TestTemplateChangeNeedsRollingRestart(t *testing.T) {
	e := newEnv(t)
	e.apply(t, desiredFor([]string{"8081", "8082"}, "v1\n"))
	n := len(e.fake.Calls())
	p := e.apply(t, desiredFor([]string{"8081", "8082"}, "v2\n"))
	if want := []string{"hello@8081.service", "hello@8082.service"}; !slices.Equal(p.NeedsRestart, want) {
		t.Errorf("needs restart = %v, want %v", p.NeedsRestart, want)
	}
	if !strings.Contains(p.Changes[0].Diff, "- v1\n+ v2\n") {
		t.Errorf("diff = %q", p.Changes[0].Diff)
	}
	for _, c := range e.fake.Calls()[n:] {
		if c.Op == systemdtest.OpRestart || c.Op == systemdtest.OpStop {
			t.Errorf("template change did %s %s; it must leave the restart to a rolling restart", c.Op, c.Unit)
		}
	}
}

func TestUninstall(t *testing.T) {
	e := newEnv(t)
	e.apply(t, desiredFor([]string{"8081"}, "v1\n"))
	if err := e.in.Uninstall(context.Background(), "hello", true); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(e.in.UnitDir)
	if len(entries) != 0 {
		t.Errorf("unit files left: %v", entries)
	}
	if _, err := os.Stat(e.in.StateDir); !os.IsNotExist(err) {
		t.Errorf("state dir not purged: %v", err)
	}
	if s, _ := e.fake.State("hello@8081.service"); s.Running() {
		t.Error("instance still running")
	}
}
