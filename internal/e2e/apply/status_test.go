//go:build integration

package apply

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/schema"
)

// TestStatus: a row per instance with its release and health, --json, the
// list of services without a name, and clear errors for bad names.
func TestStatus(t *testing.T) {
	s := service{name: "e2e-status", ports: []int{19070, 19071}}
	s.install(t)

	r := e2etest.MustSysroll(t, "status", s.name)
	lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
	if len(lines) < 4 || !regexp.MustCompile(`^INSTANCE\s+UNIT\s+STATE\s+PID\s+RELEASE\s+HEALTH\s+UPTIME\s+RESTARTS$`).MatchString(lines[0]) {
		t.Fatalf("status table:\n%s", r.Stdout)
	}
	for i, p := range []string{"19070", "19071"} {
		row := regexp.MustCompile(`^` + p + `\s+e2e-status@` + p + `\.service\s+active/running\s+[0-9]+\s+v1\s+healthy\s+\S+\s+0$`)
		if !row.MatchString(lines[1+i]) {
			t.Errorf("status row for %s: %q", p, lines[1+i])
		}
	}
	if !strings.Contains(r.Stdout, "e2e-status: 2/2 running, 2 healthy; group active/active") {
		t.Errorf("status summary:\n%s", r.Stdout)
	}

	st := wantRunning(t, s, "v1")
	if st.Service != s.name || st.Target != "active/active" || st.Releases["v1"] != 2 || st.Mixed {
		t.Errorf("status --json: %+v", st)
	}
	if nr := status(t, s.name, "--no-probe"); nr.Healthy != 2 {
		t.Errorf("status --no-probe: %d healthy", nr.Healthy)
	}

	// A stopped instance shows down, and the summary says so.
	must(t, "systemctl", "stop", "e2e-status@19071.service")
	st = status(t, s.name)
	if in := st.Instances[1]; in.ActiveState != "inactive" || in.Health != "down" || in.PID != 0 || st.Running != 1 {
		t.Errorf("stopped instance: %+v (running %d)", in, st.Running)
	}
	// apply brings it back (and only it).
	if r := s.apply(t); !strings.Contains(r.Stdout, "start e2e-status@19071.service") || strings.Contains(r.Stdout, "19070.service") {
		t.Errorf("apply with one instance stopped:\n%s", r.Stdout)
	}
	wantRunning(t, s, "v1")

	// Without a name: the list of services.
	r = e2etest.MustSysroll(t, "status")
	if !regexp.MustCompile(`(?m)^e2e-status\s+2/2\s+v1\s+active/active`).MatchString(r.Stdout) {
		t.Errorf("status without a name does not list e2e-status:\n%s", r.Stdout)
	}
	r = e2etest.MustSysroll(t, "status", "--json")
	var all schema.Services
	if err := json.Unmarshal([]byte(r.Stdout), &all); err != nil {
		t.Fatalf("status --json without a name: %v\n%s", err, r.Stdout)
	}
	if all.Schema != schema.ServicesV1 {
		t.Errorf("status --json without a name: schema %q, want %q", all.Schema, schema.ServicesV1)
	}
	found := false
	for _, a := range all.Services {
		found = found || a.Service == s.name && a.Running == 2
	}
	if !found {
		t.Errorf("status --json without a name lacks e2e-status: %s", r.Stdout)
	}
}

// TestStatusBadInput: unknown or invalid names exit 2 with a clear message.
func TestStatusBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"status", "e2e-nosuch"}, `service "e2e-nosuch" is not installed here`},
		{[]string{"status", "e2e-nosuch", "--json"}, `service "e2e-nosuch" is not installed here`},
		{[]string{"status", "../etc"}, "not a valid service name"},
		{[]string{"status", "Hello"}, "not a valid service name"},
		{[]string{"status", "a", "b"}, "accepts at most 1 arg"},
		{[]string{"status", "--bogus"}, "unknown flag"},
		{[]string{"uninstall", "e2e-nosuch"}, `service "e2e-nosuch" is not installed here`},
		{[]string{"uninstall", "../../etc"}, "not a valid service name"},
	} {
		r := e2etest.Sysroll(t, tc.args...)
		if r.Code != 2 || !strings.Contains(r.Stderr, tc.want) || strings.Contains(r.Stderr, "goroutine") {
			t.Errorf("sysroll %s: want exit 2 and %q, got %s", strings.Join(tc.args, " "), tc.want, r)
		}
	}
}

// An instance whose link was switched but whose process was not restarted
// (a rollout killed between the two) is reported on the release it runs,
// with the one its next start will run; status does not trust the link.
func TestStatusSwitchedNotRestarted(t *testing.T) {
	s := service{name: "e2e-switched", ports: []int{19075, 19076}}
	s.install(t)
	// Stage v2 without touching an instance, then swap one link by hand.
	e2etest.MustSysroll(t, "deploy", s.name, "--artifact", s.release(t, "v2"), "--version", "v2", "--dry-run")
	must(t, "ln", "-sfn", "../../releases/v2", "/var/lib/sysroll/e2e-switched/instances/19076/current")
	wantServes(t, 19076, "v1")

	st := status(t, s.name)
	in := st.Instances[1]
	if in.Release != "v1" || in.SwitchedTo != "v2" || !st.Mixed {
		t.Errorf("status of a switched, not restarted instance: release %q, switched_to %q, mixed %v; want v1, v2, true",
			in.Release, in.SwitchedTo, st.Mixed)
	}
	if r := e2etest.MustSysroll(t, "status", s.name); !strings.Contains(r.Stdout, "v1 (next start: v2)") {
		t.Errorf("status table does not show the pending release:\n%s", r.Stdout)
	}
}
