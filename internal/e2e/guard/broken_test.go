//go:build integration

package guard_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/schema"
)

// The running release changed behind sysroll's back: restart is refused
// before any instance stops, naming the release and what differs, and
// status flags every instance whose next start would fail.
func TestRestartRefusesAChangedRelease(t *testing.T) {
	cases := []struct {
		name   string
		port   int
		change func(s *service)
		saying string
	}{
		{"directory deleted", 23020, func(s *service) { s.run("rm", "-rf", s.stateDir()+"/releases/v1") }, "releases/v1 is missing"},
		{"binary replaced", 23030, func(s *service) {
			s.run("sh", "-c", "printf '#!/bin/sh\\nexit 3\\n' > "+s.stateDir()+"/releases/v1/hello")
		}, "changed since it was staged"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newService(t, "e2e-guard-"+strings.ReplaceAll(tc.name, " ", "-"), tc.port, 2, time.Second)
			tc.change(s)
			before := s.invocations()
			r := s.sysroll("restart", s.name)
			if r.Code == 0 || !strings.Contains(r.Stderr, "no instance touched") || !strings.Contains(r.Stderr, tc.saying) {
				t.Fatalf("restart onto a release whose %s: %s", tc.name, r)
			}
			if !strings.Contains(r.Stderr, "sysroll rollback "+s.name+" --to") {
				t.Errorf("the refusal does not say how to repair it: %s", r.Stderr)
			}
			if after := s.invocations(); after[s.unit(s.ports[0])] != before[s.unit(s.ports[0])] || after[s.unit(s.ports[1])] != before[s.unit(s.ports[1])] {
				t.Errorf("an instance was restarted: %v -> %v", before, after)
			}
			s.assertOn(s.ports, "v1")
			assertFlagged(t, s, s.ports, tc.saying)
		})
	}
}

// assertFlagged checks that `status` (plain and --json) exits 0 and flags
// exactly ports as unable to start again, saying why.
func assertFlagged(t *testing.T, s *service, ports []int, saying string) {
	t.Helper()
	r := s.sysroll("status", s.name, "--json")
	if r.Code != 1 { // a flagged instance is not healthy: exit 1
		t.Fatalf("status --json: %s", r)
	}
	var st schema.Status
	if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil {
		t.Fatal(err)
	}
	flagged := map[string]bool{}
	for _, in := range st.Instances {
		if strings.Contains(in.HealthNote, "next start would fail") && strings.Contains(in.HealthNote, saying) && in.Health != schema.Healthy {
			flagged[in.Instance] = true
		}
	}
	for _, p := range ports {
		if !flagged[strconv.Itoa(p)] {
			t.Errorf("status --json does not flag %d (saying %q): %s", p, saying, r.Stdout)
		}
	}
	if len(flagged) != len(ports) {
		t.Errorf("status flags %v, want only %v", flagged, ports)
	}
	plain := s.sysroll("status", s.name)
	if plain.Code != 1 || !strings.Contains(plain.Stdout, "next start would fail") {
		t.Errorf("plain status: %s", plain)
	}
}

// A current link pointed at / is flagged by status (which exits 1), and
// deploy and rollback repair it: the instance ends on what they install.
func TestDeployAndRollbackRepairALinkPointedAway(t *testing.T) {
	s := newService(t, "e2e-guard-link", 23040, 2, time.Second)
	link := s.stateDir() + "/instances/23041/current"
	s.run("ln", "-sfn", "/", link)
	assertFlagged(t, s, s.ports[1:], `points at "/"`)

	r := s.sysroll("deploy", s.name, "--artifact", s.release("v2"), "--version", "v2")
	t.Logf("deploy:\n%s%s", r.Stdout, r.Stderr)
	if r.Code != 0 {
		t.Fatalf("deploy with a link at /: %s", r)
	}
	s.assertOn(s.ports, "v2")
	if target := s.run("readlink", link); strings.TrimSpace(target) != "../../releases/v2" {
		t.Errorf("link after deploy: %s", target)
	}

	s.run("ln", "-sfn", "/", link)
	r = s.sysroll("rollback", s.name)
	t.Logf("rollback:\n%s%s", r.Stdout, r.Stderr)
	if r.Code != 0 {
		t.Fatalf("rollback with a link at /: %s", r)
	}
	s.assertOn(s.ports, "v1")
	if st := s.status(); st.Healthy != 2 {
		t.Errorf("status after the repairs: %d healthy: %+v", st.Healthy, st.Instances)
	}
}
