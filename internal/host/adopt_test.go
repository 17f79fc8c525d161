package host

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sysroll/sysroll/internal/systemd"
	"github.com/sysroll/sysroll/internal/systemd/systemdtest"
)

// adoptWorld is the guide's layout on a fake systemd: app-1 and app-2
// (app-2 Requires= app-1) running /opt/app/app on 9001 and 9002.
func adoptWorld(t *testing.T) (*world, []string, string) {
	t.Helper()
	acceptedAt = func(_ context.Context, _ int, _ time.Time) (time.Time, bool) { return time.Now(), true }
	t.Cleanup(func() { acceptedAt = firstAccept })
	w := newWorld(t)
	w.fake = systemdtest.New("app-1.service", "app-2.service")
	if err := os.MkdirAll(w.h.UnitDir, 0o755); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for i, dep := range []string{"", "After=app-1.service\nRequires=app-1.service\n"} {
		p := filepath.Join(w.h.UnitDir, "app-"+string(rune('1'+i))+".service")
		body := "[Unit]\nDescription=App " + string(rune('1'+i)) + "\n" + dep + "[Service]\nExecStart=/opt/app/app --port=900" + string(rune('1'+i)) + "\nRestartSec=2  # wait\n"
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	// The gate is systemd's state alone: nothing listens in a fake.
	file := filepath.Join(w.dir, "app.yaml")
	if err := os.WriteFile(file, []byte("name: app\ncommand: \"{release}/app --port={port}\"\ninstances: [9001, 9002]\ntype: exec\nhealth:\n  interval: 100ms\n  timeout: 100ms\n  healthy_for: 1s\n  deadline: 10s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return w, paths, file
}

func (w *world) ops(op systemdtest.Op) []string {
	var out []string
	for _, c := range w.fake.Calls() {
		if c.Op == op {
			out = append(out, c.Unit)
		}
	}
	return out
}

// The dependent (app-2, which Requires= app-1) is stopped first, so that
// stopping app-1 takes no old unit down; each old file is backed up and
// removed; the service ends installed with every instance on the first
// release.
func TestAdoptDependentFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, paths, file := adoptWorld(t)
		var lines []string
		rep, err := w.h.Adopt(t.Context(), AdoptOptions{Units: paths, File: file, Artifact: w.artifact("v1"), Version: "v1",
			Progress: func(l string) { lines = append(lines, l) }})
		if err != nil {
			t.Fatalf("adopt: %v\n%s", err, strings.Join(lines, "\n"))
		}
		if stops := w.ops(systemdtest.OpStop); !slices.Equal(stops, []string{"app-2.service", "app-1.service"}) {
			t.Errorf("stops %v: app-2 (which Requires= app-1) must go first", stops)
		}
		starts := w.ops(systemdtest.OpStart)
		if i, j := slices.Index(starts, "app@9002.service"), slices.Index(starts, "app@9001.service"); i < 0 || j < 0 || i > j {
			t.Errorf("starts %v", starts)
		}
		for _, p := range paths {
			if _, err := os.Stat(p); err == nil {
				t.Errorf("%s still in the unit dir", p)
			}
			if _, err := os.Stat(filepath.Join(rep.Backup, filepath.Base(p))); err != nil {
				t.Errorf("no backup of %s: %v", p, err)
			}
		}
		if _, err := os.Stat(filepath.Join(w.h.StateRoot, "app", appliedServiceFile)); err != nil {
			t.Errorf("the service is not recorded installed: %v", err)
		}
		if got := w.current("app"); got["9001"] != "v1" || got["9002"] != "v1" {
			t.Errorf("instances on %v, want v1", got)
		}
		if !slices.ContainsFunc(rep.Proposal.Notes, func(n string) bool { return strings.Contains(n, "taken as 2s") }) {
			t.Errorf("notes %q", rep.Proposal.Notes)
		}
		// adopting again is refused: the service is sysroll's now
		if _, err := w.h.Adopt(t.Context(), AdoptOptions{Units: paths, File: file}); err == nil || !strings.Contains(err.Error(), "already installed") {
			t.Errorf("second adopt: %v, want refused as already installed", err)
		}
	})
}

// A new instance that crashes fails the gate: it is stopped and dropped,
// the old unit's file is restored and the unit started again; the
// instance cut over before it stays on sysroll.
func TestAdoptFailedGatePutsBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, paths, file := adoptWorld(t)
		w.fake.OnStart("app@9001.service", func(u *systemd.UnitState) systemd.JobResult {
			w.fake.SetAfter(200*time.Millisecond, u.Name, func(u *systemd.UnitState) {
				u.ActiveState, u.SubState, u.MainPID, u.Result = systemd.Failed, "failed", 0, "exit-code"
			})
			return systemd.JobDone
		})
		_, err := w.h.Adopt(t.Context(), AdoptOptions{Units: paths, File: file, Artifact: w.artifact("v1"), Version: "v1"})
		if err == nil || !strings.Contains(err.Error(), "instance 9001 failed") || !strings.Contains(err.Error(), "already cut over: 9002") {
			t.Fatalf("adopt: %v, want instance 9001 failed with 9002 already cut over", err)
		}
		if _, err := os.Stat(paths[0]); err != nil {
			t.Errorf("app-1.service not restored: %v", err)
		}
		if u, _ := w.fake.State("app-1.service"); !u.Running() {
			t.Errorf("app-1.service is %s/%s, want running again", u.ActiveState, u.SubState)
		}
		if u, _ := w.fake.State("app@9001.service"); u.Running() {
			t.Errorf("app@9001.service still running")
		}
		if u, _ := w.fake.State("app@9002.service"); !u.Running() {
			t.Errorf("app@9002.service (cut over before) is not running")
		}
		if _, err := os.Stat(paths[1]); err == nil {
			t.Errorf("app-2.service came back, but its instance stays on sysroll")
		}
	})
}

// --dry-run reads the units and changes nothing: no systemd connection,
// no state dir, the unit files in place.
func TestAdoptDryRunTouchesNothing(t *testing.T) {
	w, paths, file := adoptWorld(t)
	rep, err := w.h.Adopt(t.Context(), AdoptOptions{Units: paths, File: file, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if w.connections != 0 || len(w.fake.Calls()) != 0 {
		t.Errorf("dry run connected %d times, calls %v", w.connections, w.fake.Calls())
	}
	if _, err := os.Stat(w.h.StateRoot); err == nil {
		t.Errorf("dry run created %s", w.h.StateRoot)
	}
	if len(rep.Order) != 2 || rep.Order[0].Unit != "app-2.service" {
		t.Errorf("order %+v", rep.Order)
	}
}
