package host

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sysroll/sysroll/internal/systemd/systemdtest"
)

func TestApplyFirstInstallNeedsAnArtifactAndLeavesNothing(t *testing.T) {
	w := newWorld(t)
	_, err := w.h.Apply(t.Context(), ApplyOptions{File: w.serviceFile("shop", []string{"8081", "8082"})})
	wantInput(t, err, "--artifact")
	for _, d := range []string{w.h.StateRoot, w.h.UnitDir} {
		if _, err := os.Stat(filepath.Join(d, "shop")); !os.IsNotExist(err) {
			t.Errorf("a refused first apply left %s/shop: %v", d, err)
		}
	}
	if calls := w.fake.Calls(); len(calls) != 0 {
		t.Errorf("a refused apply called systemd: %+v", calls)
	}
}

func TestApplyBadArtifactLeavesNoStateDir(t *testing.T) {
	w := newWorld(t)
	_, err := w.h.Apply(t.Context(), ApplyOptions{File: w.serviceFile("shop", []string{"8081"}), Artifact: filepath.Join(w.dir, "nope")})
	wantInput(t, err, "artifact rejected, nothing changed")
	if _, err := os.Stat(filepath.Join(w.h.StateRoot, "shop")); !os.IsNotExist(err) {
		t.Errorf("state dir left behind: %v", err)
	}
}

func TestApplyStartsInstancesOnTheStagedReleaseAndMarksItGood(t *testing.T) {
	w := newWorld(t)
	w.install("shop", []string{"8081", "8082"})
	if got := w.current("shop"); got["8081"] != "v1" || got["8082"] != "v1" {
		t.Errorf("instances point at %v, want v1", got)
	}
	if good, _ := w.store("shop").KnownGood(); good != "v1" {
		t.Errorf("known good = %q, want v1 (the first release that started)", good)
	}
	for _, u := range []string{"shop@8081.service", "shop@8082.service"} {
		if st, ok := w.fake.State(u); !ok || !st.Running() {
			t.Errorf("%s not running after apply: %+v", u, st)
		}
	}
	if _, err := os.Stat(filepath.Join(w.h.UnitDir, "shop@.service")); err != nil {
		t.Errorf("template unit not installed: %v", err)
	}
}

func TestApplyAgainChangesNothing(t *testing.T) {
	w := newWorld(t)
	w.install("shop", []string{"8081"})
	before := len(w.fake.Calls())
	rep, err := w.h.Apply(t.Context(), ApplyOptions{File: filepath.Join(w.dir, "shop.yaml")})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Changed {
		t.Errorf("second apply reports changes: %+v", rep.Plan)
	}
	if calls := w.fake.Calls()[before:]; len(calls) != 0 {
		t.Errorf("second apply called systemd: %+v", calls)
	}
}

// A new instance starts on the release proven good, not on whatever the
// others happen to point at and not without a release.
func TestApplyAddedInstanceStartsOnKnownGood(t *testing.T) {
	w := newWorld(t)
	w.install("shop", []string{"8081", "8082"})
	rep, err := w.h.Apply(t.Context(), ApplyOptions{File: w.serviceFile("shop", []string{"8081", "8082", "8083"})})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Plan.Start, []string{"shop@8083.service"}) {
		t.Errorf("start = %v, want only the new instance", rep.Plan.Start)
	}
	if v := w.current("shop")["8083"]; v != "v1" {
		t.Errorf("new instance on %q, want v1", v)
	}
	for _, c := range w.fake.Calls() {
		if c.Op == systemdtest.OpRestart {
			t.Errorf("apply restarted %s: running instances are never restarted by apply", c.Unit)
		}
	}
}

func TestApplyDryRunChangesNothing(t *testing.T) {
	w := newWorld(t)
	rep, err := w.h.Apply(t.Context(), ApplyOptions{File: w.serviceFile("shop", []string{"8081"}), DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Changed || !rep.DryRun || len(rep.Plan.Start) != 1 {
		t.Errorf("dry run report: %+v", rep)
	}
	if _, err := os.Stat(w.h.UnitDir); !os.IsNotExist(err) {
		t.Errorf("dry run created the unit dir: %v", err)
	}
}

func TestUninstallKeepsHistoryUnlessPurged(t *testing.T) {
	w := newWorld(t)
	w.install("shop", []string{"8081"})
	ctx := t.Context()
	if err := w.h.Uninstall(ctx, UninstallOptions{Service: "shop"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(w.h.UnitDir, "shop@.service")); !os.IsNotExist(err) {
		t.Errorf("unit file left: %v", err)
	}
	if _, err := w.store("shop").Get("v1"); err != nil {
		t.Errorf("release v1 gone without --purge: %v", err)
	}
	// Not installed any more: only a purge still takes it.
	wantInput(t, w.h.Uninstall(ctx, UninstallOptions{Service: "shop"}), "not installed")
	if err := w.h.Uninstall(ctx, UninstallOptions{Service: "shop", Purge: true}); err != nil {
		t.Fatalf("purge after uninstall: %v", err)
	}
	if _, err := os.Stat(filepath.Join(w.h.StateRoot, "shop")); !os.IsNotExist(err) {
		t.Errorf("purge left the state dir: %v", err)
	}
	wantInput(t, w.h.Uninstall(ctx, UninstallOptions{Service: "../etc", Purge: true}), "not a valid service name")
}
