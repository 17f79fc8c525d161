//go:build integration

package fleetctl

import (
	"strings"
	"testing"
)

// TestOneHostFails: v3 fails its health gate on h2 only (a file there
// makes hello fail at start; no --check, so staging passes everywhere).
// h1 is on v3, h2 rolled itself back to v1, h3 was never touched (still
// v1, no fleet record), and the controller exits 1 with the table.
func TestOneHostFails(t *testing.T) {
	s := newService(t, "fc-fail", 25131, 25132)
	marker := "/etc/fc-fail-here"
	h2 := s.f.Host("h2")
	h2.MustExec(t, "touch", marker)
	t.Cleanup(func() { h2.MustExec(t, "rm", "-f", marker) })
	h3 := s.f.Host("h3")
	r := s.controller("fleet", "deploy", s.file(), "--artifact", s.release("v3", marker), "--version", "v3",
		"--ssh-config", s.f.SSHConfigPath(), "--state-dir", t.TempDir())
	if r.Code != 1 {
		t.Fatalf("fleet deploy of a release failing on h2: %s", r)
	}
	t.Logf("controller:\n%s", r.Stdout)
	if got := s.releases(s.f.Host("h1")); got != s.want("v3") {
		t.Errorf("h1: instances %s, want %s", got, s.want("v3"))
	}
	if got := s.releases(h2); got != s.want("v1") {
		t.Errorf("h2: instances %s, want %s (rolled back)", got, s.want("v1"))
	}
	if got := s.releases(h3); got != s.want("v1") {
		t.Errorf("h3: instances %s, want %s (untouched)", got, s.want("v1"))
	}
	if n := strings.TrimSpace(h3.MustExec(t, "sh", "-c", "/opt/sysroll/bin/sysroll history fc-fail --json | grep -c fleet_id || true")); n != "0" {
		t.Errorf("h3 has %s fleet records: it was touched", n)
	}
	table := r.Stdout[strings.LastIndex(r.Stdout, "HOST"):]
	for _, want := range []string{"h1  succeeded", "h2  rolled-back", "h3  untouched"} {
		if !strings.Contains(strings.Join(strings.Fields(table), "  "), strings.Join(strings.Fields(want), "  ")) {
			t.Errorf("summary lacks %q:\n%s", want, table)
		}
	}
}
