//go:build integration

package state_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// The running release's binary replaced behind sysroll's back: restart is
// refused before any instance stops; the repair the refusal suggests,
// deploying the original artifact as the same version, puts the staged
// content back; then restart works and every instance runs v1 again.
func TestRestageRepairsABrokenRelease(t *testing.T) {
	s := newService(t, "e2e-state-repair", 23460, 2)
	hello := s.stateDir() + "/releases/v1/hello"
	s.sh("printf '#!/bin/sh\\nexit 3\\n' > " + hello)
	pids := s.mainPIDs()

	r := s.sysroll("restart", s.name)
	if r.Code == 0 || !strings.Contains(r.Stderr, "no instance touched") || !strings.Contains(r.Stderr, "changed since it was staged") ||
		!strings.Contains(r.Stderr, "sysroll deploy "+s.name+" --artifact") {
		t.Fatalf("restart onto a replaced binary: %s", r)
	}
	if now := s.mainPIDs(); now != pids {
		t.Fatalf("a refused restart restarted an instance: %s -> %s", pids, now)
	}

	if r := s.sysroll("deploy", s.name, "--artifact", s.release("v1"), "--version", "v1"); r.Code != 0 {
		t.Fatalf("deploy of the original artifact as v1: %s", r)
	}
	if got := s.sh("cat " + hello); !strings.Contains(got, "--version v1") {
		t.Fatalf("v1's binary is not repaired: %q", got)
	}
	for _, in := range e2etest.Status(t, s.name).Instances {
		if strings.Contains(in.HealthNote, "next start would fail") {
			t.Errorf("status after the repair: %s %q", in.Instance, in.HealthNote)
		}
	}

	pids = s.mainPIDs()
	if r := s.sysroll("restart", s.name); r.Code != 0 {
		t.Fatalf("restart after the repair: %s", r)
	}
	s.waitVersion("v1")
	if now := s.mainPIDs(); now == pids {
		t.Errorf("restart did not restart the instances: %s", now)
	}
}

// mainPIDs lists the instances' main PIDs, to see whether they restarted.
func (s *service) mainPIDs() string {
	s.t.Helper()
	var out []string
	for _, p := range s.ports {
		out = append(out, strings.TrimSpace(s.sh("systemctl show -p MainPID --value "+s.name+"@"+strconv.Itoa(p)+".service")))
	}
	return strings.Join(out, " ")
}
