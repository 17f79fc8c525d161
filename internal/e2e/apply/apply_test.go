//go:build integration

package apply

import (
	"maps"
	"path"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// TestApplyStartsInstances: the first apply installs the units and starts
// every instance, which then serves the release from the host's side.
func TestApplyStartsInstances(t *testing.T) {
	s := service{name: "e2e-basic", ports: []int{19000, 19001, 19002}}
	r := s.install(t)
	for _, want := range []string{"create e2e-basic@.service", "create e2e-basic.target", "staged release v1", "start e2e-basic@19000.service", "start e2e-basic@19002.service"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("apply output lacks %q:\n%s", want, r.Stdout)
		}
	}
	wantRunning(t, s, "v1")
	for _, p := range s.ports {
		wantServes(t, p, "v1")
	}
	for _, u := range s.units() {
		p := show(t, u, "ActiveState", "SubState", "InvocationID", "NeedDaemonReload", "UnitFileState")
		if p["ActiveState"] != "active" || p["InvocationID"] == "" || p["NeedDaemonReload"] != "no" {
			t.Errorf("%s: %v", u, p)
		}
	}
	// The group: Wants= (never Requires=) every instance, enabled at boot.
	tp := show(t, "e2e-basic.target", "ActiveState", "UnitFileState", "Wants", "Requires")
	if tp["ActiveState"] != "active" || tp["UnitFileState"] != "enabled" || tp["Requires"] != "" {
		t.Errorf("e2e-basic.target: %v", tp)
	}
	for _, u := range s.units() {
		if !strings.Contains(tp["Wants"], u) {
			t.Errorf("e2e-basic.target Wants=%q lacks %s", tp["Wants"], u)
		}
	}
	if !exists(t, path.Join(unitDir, "multi-user.target.wants", "e2e-basic.target")) {
		t.Error("e2e-basic.target is not enabled in multi-user.target.wants")
	}
	// Unit files: root-owned, 0644, as rendered.
	for _, f := range []string{"e2e-basic@.service", "e2e-basic.target"} {
		got := strings.TrimSpace(must(t, "stat", "-c", "%U:%G %a", path.Join(unitDir, f)))
		if got != "root:root 644" {
			t.Errorf("%s: owner and mode %q, want root:root 644", f, got)
		}
	}
}

// TestReapplyNoChanges: applying the same file again writes nothing, does
// no daemon-reload and restarts nothing.
func TestReapplyNoChanges(t *testing.T) {
	s := service{name: "e2e-idem", ports: []int{19010, 19011}}
	s.install(t)
	files := []string{
		path.Join(unitDir, "e2e-idem@.service"),
		path.Join(unitDir, "e2e-idem.target"),
		path.Join(unitDir, "multi-user.target.wants", "e2e-idem.target"),
		path.Join(stateRoot, "e2e-idem", "service.yaml"),
		path.Join(stateRoot, "e2e-idem", "applied.json"),
	}
	before, ids := stamps(t, files...), invocations(t, s.units()...)
	armReloadProbe(t)
	for _, args := range [][]string{nil, {"--json"}} {
		r := s.apply(t, args...)
		if args == nil && strings.TrimSpace(r.Stdout) != "e2e-idem: no changes" {
			t.Errorf("second apply says %q, want \"e2e-idem: no changes\"", r.Stdout)
		}
		if args != nil && !strings.Contains(r.Stdout, `"changed":false`) {
			t.Errorf("second apply --json: %s", r.Stdout)
		}
	}
	if after := stamps(t, files...); !maps.Equal(before, after) {
		t.Errorf("re-apply touched files:\nbefore %v\nafter  %v", before, after)
	}
	if got := invocations(t, s.units()...); !maps.Equal(ids, got) {
		t.Errorf("re-apply restarted instances: InvocationID before %v, after %v", ids, got)
	}
	if reloaded(t) {
		t.Error("re-apply did a daemon-reload")
	}
	wantRunning(t, s, "v1")

	// A change that touches no unit (rollout settings) is recorded, with
	// its diff, and still reloads and restarts nothing.
	armReloadProbe(t)
	s.extra = "rollout: {batch: 2}\n"
	r := s.apply(t)
	if !strings.Contains(r.Stdout, "service file settings changed (no unit change)") || !strings.Contains(r.Stdout, "+ rollout: {batch: 2}") || strings.Contains(r.Stdout, "sysroll restart") {
		t.Errorf("apply of a rollout-only change:\n%s", r.Stdout)
	}
	if reloaded(t) {
		t.Error("a rollout-only change did a daemon-reload")
	}
	if got := invocations(t, s.units()...); !maps.Equal(ids, got) {
		t.Errorf("a rollout-only change restarted instances: %v -> %v", ids, got)
	}
	if got := must(t, "cat", path.Join(stateRoot, "e2e-idem", "service.yaml")); got != s.yaml() {
		t.Errorf("installed service file is not the applied one:\n%s", got)
	}
	if r := s.apply(t); strings.TrimSpace(r.Stdout) != "e2e-idem: no changes" {
		t.Errorf("apply after the rollout change: %q", r.Stdout)
	}
}

// TestAddRemoveInstance: an added instance starts alone; a removed one stops
// and disappears alone; the others keep running untouched.
func TestAddRemoveInstance(t *testing.T) {
	s := service{name: "e2e-scale", ports: []int{19020, 19021}}
	s.install(t)
	ids := invocations(t, s.units()...)

	// Add 19022: no --artifact, it starts on the known-good release.
	s.ports = []int{19020, 19021, 19022}
	r := s.apply(t)
	if !strings.Contains(r.Stdout, "start e2e-scale@19022.service") || strings.Contains(r.Stdout, "start e2e-scale@19020") || strings.Contains(r.Stdout, "start e2e-scale@19021") {
		t.Errorf("adding 19022 should start only it:\n%s", r.Stdout)
	}
	if !strings.Contains(r.Stdout, "+ Wants=e2e-scale@19022.service") {
		t.Errorf("apply shows no diff of the target:\n%s", r.Stdout)
	}
	if strings.Contains(r.Stdout, "sysroll restart") {
		t.Errorf("adding an instance needs no rolling restart:\n%s", r.Stdout)
	}
	now := invocations(t, s.units()...)
	for u, id := range ids {
		if now[u] != id {
			t.Errorf("%s was restarted by adding an instance (InvocationID %s -> %s)", u, id, now[u])
		}
	}
	if now["e2e-scale@19022.service"] == "" {
		t.Error("e2e-scale@19022.service did not start")
	}
	wantRunning(t, s, "v1")
	wantServes(t, 19022, "v1")

	// Remove 19021.
	ids = now
	s.ports = []int{19020, 19022}
	r = s.apply(t)
	if !strings.Contains(r.Stdout, "stop and remove e2e-scale@19021.service") || strings.Contains(r.Stdout, "\nstart ") {
		t.Errorf("removing 19021 should stop only it:\n%s", r.Stdout)
	}
	if got := listUnits(t, "e2e-scale@19021.service"); len(got) != 0 {
		t.Errorf("removed instance still loaded: %v", got)
	}
	if exists(t, path.Join(stateRoot, "e2e-scale", "instances", "19021")) {
		t.Error("removed instance keeps its state under instances/19021")
	}
	if w := show(t, "e2e-scale.target", "Wants")["Wants"]; strings.Contains(w, "19021") {
		t.Errorf("e2e-scale.target still Wants= the removed instance: %s", w)
	}
	wantRefused(t, 19021)
	now = invocations(t, s.units()...)
	for _, u := range s.units() {
		if now[u] != ids[u] {
			t.Errorf("%s was restarted by removing another instance (InvocationID %s -> %s)", u, ids[u], now[u])
		}
	}
	wantRunning(t, s, "v1")
}

// TestTemplateChangeNeedsRollingRestart: a change to the template is
// installed but not carried out by restarting every instance: apply says to
// run `sysroll restart`, and the instances keep running as they were.
func TestTemplateChangeNeedsRollingRestart(t *testing.T) {
	s := service{name: "e2e-tmpl", ports: []int{19030, 19031}}
	s.install(t)
	ids := invocations(t, s.units()...)
	armReloadProbe(t)

	s.extra = "environment:\n  GREETING: changed\n"
	r := s.apply(t)
	for _, want := range []string{"update e2e-tmpl@.service", `+ Environment="GREETING=changed"`, "2 running instance(s) still run the old unit definition", "sysroll restart e2e-tmpl"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("apply output lacks %q:\n%s", want, r.Stdout)
		}
	}
	if strings.Contains(r.Stdout, "\nstart ") {
		t.Errorf("a template change started instances:\n%s", r.Stdout)
	}
	if got := invocations(t, s.units()...); !maps.Equal(ids, got) {
		t.Errorf("a template change restarted instances: %v -> %v", ids, got)
	}
	if !reloaded(t) {
		t.Error("the changed template was installed without a daemon-reload")
	}
	for _, u := range s.units() {
		p := show(t, u, "NeedDaemonReload", "Environment")
		if p["NeedDaemonReload"] != "no" || !strings.Contains(p["Environment"], "GREETING=changed") {
			t.Errorf("%s after the change: %v", u, p)
		}
	}
	// The running processes still have the old environment: nothing restarted.
	for _, u := range s.units() {
		pid := show(t, u, "MainPID")["MainPID"]
		env := must(t, "cat", "/proc/"+pid+"/environ")
		if strings.Contains(env, "GREETING=") {
			t.Errorf("%s (pid %s) already runs the new environment", u, pid)
		}
	}
	// Applying the same file again: nothing to do, and it does not nag.
	if r := s.apply(t); strings.TrimSpace(r.Stdout) != "e2e-tmpl: no changes" {
		t.Errorf("third apply: %q", r.Stdout)
	}
	wantRunning(t, s, "v1")
}

// TestDryRun: --dry-run shows the diff and changes nothing, on a first
// install and on a change.
func TestDryRun(t *testing.T) {
	s := service{name: "e2e-dry", ports: []int{19040}}

	// First install, dry: nothing at all appears.
	r := e2etest.MustSysroll(t, "apply", s.write(t), "--dry-run")
	t.Cleanup(func() { s.uninstall(t) })
	for _, want := range []string{"create e2e-dry@.service", "--- /dev/null", "+ Wants=e2e-dry@19040.service", "would start e2e-dry@19040.service", "(dry run: nothing changed)"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("dry-run output lacks %q:\n%s", want, r.Stdout)
		}
	}
	for _, p := range []string{path.Join(unitDir, "e2e-dry@.service"), path.Join(unitDir, "e2e-dry.target"), path.Join(stateRoot, "e2e-dry")} {
		if exists(t, p) {
			t.Errorf("dry run created %s", p)
		}
	}
	if got := listUnits(t, "e2e-dry*"); len(got) != 0 {
		t.Errorf("dry run loaded units: %v", got)
	}

	// Installed; then a dry run of a change (one more instance, new env).
	s.install(t)
	files := []string{path.Join(unitDir, "e2e-dry@.service"), path.Join(unitDir, "e2e-dry.target"), path.Join(stateRoot, "e2e-dry", "service.yaml"), path.Join(stateRoot, "e2e-dry", "applied.json")}
	before, ids := stamps(t, files...), invocations(t, s.units()...)
	armReloadProbe(t)
	s.ports = []int{19040, 19041}
	s.extra = "environment:\n  GREETING: dry\n"
	r = s.apply(t, "--dry-run")
	for _, want := range []string{"update e2e-dry@.service", `+ Environment="GREETING=dry"`, "update e2e-dry.target", "+ Wants=e2e-dry@19041.service", "would start e2e-dry@19041.service", "sysroll restart e2e-dry", "(dry run: nothing changed)"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("dry-run output lacks %q:\n%s", want, r.Stdout)
		}
	}
	if after := stamps(t, files...); !maps.Equal(before, after) {
		t.Errorf("dry run touched files:\nbefore %v\nafter  %v", before, after)
	}
	if got := invocations(t, "e2e-dry@19040.service"); !maps.Equal(ids, got) {
		t.Errorf("dry run restarted: %v -> %v", ids, got)
	}
	if reloaded(t) {
		t.Error("dry run did a daemon-reload")
	}
	if got := listUnits(t, "e2e-dry@19041.service"); len(got) != 0 {
		t.Errorf("dry run started the new instance: %v", got)
	}
	wantRefused(t, 19041)
}

// TestApplyFailingRelease: a first release that cannot start makes apply
// fail (exit 1) naming the instance; what was installed can still be seen
// with status and fixed with a good release or removed with uninstall.
func TestApplyFailingRelease(t *testing.T) {
	s := service{name: "e2e-fail", ports: []int{19045, 19046}}
	file := s.write(t)
	bad := e2etest.HelloRelease(t, path.Join(workRoot, s.name, "release-bad"), "bad", "--fail-at-start")
	t.Cleanup(func() { s.uninstall(t) })

	r := e2etest.Sysroll(t, "apply", file, "--artifact", bad, "--version", "bad")
	if r.Code != 1 || !strings.Contains(r.Stderr, "e2e-fail@19045.service") {
		t.Fatalf("apply of a release that fails at start: want exit 1 naming the instance, got %s", r)
	}
	t.Logf("apply of a release that fails at start: %s", strings.TrimSpace(r.Stderr))
	// The units are installed: status shows the failed instance.
	st := status(t, s.name)
	if st.Running != 0 || st.Instances[0].Health != "down" {
		t.Errorf("status after the failed apply: %+v", st)
	}
	// A good release: apply brings every instance up on it.
	s.apply(t, "--artifact", s.release(t, "v1"), "--version", "v1")
	wantRunning(t, s, "v1")

	// And uninstall removes it all.
	e2etest.MustSysroll(t, "uninstall", s.name, "--purge")
	wantGone(t, s.name, s.ports)
}
