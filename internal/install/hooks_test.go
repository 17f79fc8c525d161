package install

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/sysroll/sysroll/internal/systemd"
	"github.com/sysroll/sysroll/internal/systemd/systemdtest"
)

func testDesired(instances ...string) Desired {
	return Desired{
		Service:      "web",
		Files:        []File{{Name: "web@.service", Data: []byte("[Service]\nExecStart=/bin/true\n")}, {Name: "web.target", Data: []byte("[Unit]\n")}},
		Instances:    instances,
		Template:     "web@.service",
		Target:       "web.target",
		InstanceUnit: func(i string) string { return "web@" + i + ".service" },
	}
}

// TestPlanStartsDownInstances: an instance that is stopped, failed or in a
// crash loop (waiting to auto-restart) is started by apply; a running or
// starting one is left alone.
func TestPlanStartsDownInstances(t *testing.T) {
	f := systemdtest.New("web@1.service", "web@2.service", "web@3.service", "web@4.service", "web@5.service")
	f.Set("web@2.service", func(u *systemd.UnitState) { u.ActiveState, u.SubState = systemd.Failed, "failed" })
	f.Set("web@3.service", func(u *systemd.UnitState) { u.ActiveState, u.SubState = systemd.Activating, "auto-restart" })
	f.Set("web@4.service", func(u *systemd.UnitState) { u.ActiveState, u.SubState = systemd.Activating, "start" })
	f.Set("web@5.service", func(u *systemd.UnitState) { u.ActiveState, u.SubState = systemd.Inactive, "dead" })
	in := &Installer{Manager: f, UnitDir: t.TempDir(), StateDir: t.TempDir()}
	p, err := in.Plan(context.Background(), testDesired("1", "2", "3", "4", "5", "6"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"web@2.service", "web@3.service", "web@5.service", "web@6.service"}
	if !slices.Equal(p.Start, want) {
		t.Errorf("Start = %v, want %v", p.Start, want)
	}
}

// TestApplyInstalledBeforeStart: Installed runs once the files are in
// place and before any start, so a failing start still leaves a record;
// Prepare runs for every instance started, also one that was known before.
func TestApplyInstalledBeforeStart(t *testing.T) {
	f := systemdtest.New()
	f.OnStart("web@2.service", func(u *systemd.UnitState) systemd.JobResult {
		u.ActiveState, u.SubState = systemd.Failed, "failed"
		return systemd.JobFailed
	})
	var events []string
	in := &Installer{
		Manager: f, UnitDir: t.TempDir(), StateDir: t.TempDir(),
		Installed: func(context.Context) error { events = append(events, "installed"); return nil },
		Prepare:   func(_ context.Context, i string) error { events = append(events, "prepare "+i); return nil },
	}
	ctx := context.Background()
	p, err := in.Plan(ctx, testDesired("1", "2"))
	if err != nil {
		t.Fatal(err)
	}
	err = in.Apply(ctx, p)
	var je *systemd.JobError
	if !errors.As(err, &je) || je.Unit != "web@2.service" {
		t.Fatalf("Apply = %v, want the failed start of web@2.service", err)
	}
	if want := []string{"installed", "prepare 1", "prepare 2"}; !slices.Equal(events, want) {
		t.Errorf("events %v, want %v", events, want)
	}

	// Retried: files unchanged, 1 runs, 2 failed: only 2 is prepared and started.
	events = nil
	f.OnStart("web@2.service", nil)
	if p, err = in.Plan(ctx, testDesired("1", "2")); err != nil {
		t.Fatal(err)
	}
	if len(p.Changes) != 0 || !slices.Equal(p.Start, []string{"web@2.service"}) {
		t.Fatalf("retry plan: changes %v, start %v", p.Changes, p.Start)
	}
	if err := in.Apply(ctx, p); err != nil {
		t.Fatal(err)
	}
	if want := []string{"installed", "prepare 2"}; !slices.Equal(events, want) {
		t.Errorf("retry events %v, want %v", events, want)
	}
}
