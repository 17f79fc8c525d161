//go:build integration

package guard_test

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/schema"
)

// haltingService is a service whose rollouts halt on a failure.
func haltingService(t *testing.T, name string, first int) *service {
	s := newService(t, name, first, 3, time.Second)
	e2etest.WriteFile(t, s.file(), s.yaml(s.ports)+"  failure_action: halt\n", 0o644)
	if r := s.sysroll("apply", s.file()); r.Code != 0 {
		t.Fatalf("apply failure_action: halt: %s", r)
	}
	return s
}

// failingOn writes release version of s, which exits at once on port and
// runs hello elsewhere.
func (s *service) failingOn(version string, port int) string {
	s.t.Helper()
	dir := path.Join("/srv/e2e", s.name, version+"-fails-on-"+strconv.Itoa(port))
	script := fmt.Sprintf("#!/bin/sh\ncase \" $* \" in *\" --port %d \"*) echo broken on %d >&2; exit 1;; esac\nexec %s/hello --version %s \"$@\"\n",
		port, port, e2etest.BinDir, version)
	e2etest.WriteFile(s.t, path.Join(dir, "hello"), script, 0o755)
	return dir
}

// A deploy that halted with 1 of 3 instances on v2 (which fails there):
// `rollback` undoes that rollout, every instance back on v1, instead of
// looking for a good release before v1 (the majority) and refusing.
func TestRollbackUndoesAHaltedDeploy(t *testing.T) {
	s := haltingService(t, "e2e-guard-halted", 23100)
	r := s.sysroll("deploy", s.name, "--artifact", s.failingOn("v2", s.ports[0]), "--version", "v2")
	if r.Code == 0 {
		t.Fatalf("deploy of a v2 failing on %d exited 0: %s", s.ports[0], r)
	}
	halted := s.lastRecord()
	if halted.Result != release.ResultHalted {
		t.Fatalf("deploy record: %s (%s), want halted", halted.Result, halted.Reason)
	}
	s.assertOn(s.ports[1:], "v1")

	r = s.sysroll("rollback", s.name)
	t.Logf("rollback:\n%s%s", r.Stdout, r.Stderr)
	if r.Code != 0 {
		t.Fatalf("rollback after the halted deploy: %s", r)
	}
	s.waitVersion(s.ports, "v1", 15*time.Second)
	if rec := s.lastRecord(); rec.ID != halted.ID || rec.Result != release.ResultRolledBack {
		t.Errorf("newest record %s %s, want %s rolled back", rec.ID, rec.Result, halted.ID)
	}
}

// kill -9 during that rollback (of a deploy that halted with 2 of 3 on
// v2), then `deploy --resume`: the rollback is completed, every instance on
// v1, not taken up as the failing deploy that failure_action halt would
// leave as it is.
func TestResumeCompletesAKilledRollbackOfAHaltedDeploy(t *testing.T) {
	s := haltingService(t, "e2e-guard-undo", 23110)
	second := strconv.Itoa(s.ports[1])
	if r := s.sysroll("deploy", s.name, "--artifact", s.failingOn("v2", s.ports[1]), "--version", "v2"); r.Code == 0 {
		t.Fatalf("deploy of a v2 failing on %s exited 0: %s", second, r)
	}
	id := s.lastRecord().ID

	// The rollback reverts the newest batch (the failed instance) first.
	b := e2etest.StartSysroll(t, "rollback", s.name, "--json")
	killAt(t, b, func(e schema.Event) bool { return e.Type == "revert" && e.Instance == second })
	if st := s.status(); st.Interrupted == nil || st.Interrupted.ID != id {
		t.Fatalf("status after kill -9 of the rollback: %+v, want %s interrupted", st.Interrupted, id)
	}

	r := s.sysroll("deploy", s.name, "--resume")
	t.Logf("deploy --resume:\n%s%s", r.Stdout, r.Stderr)
	if r.Code != 0 {
		t.Fatalf("deploy --resume after the killed rollback: %s", r)
	}
	s.waitVersion(s.ports, "v1", 15*time.Second)
	rec := s.lastRecord()
	if rec.ID != id || rec.Result != release.ResultRolledBack || !rec.Undo {
		t.Errorf("newest record %s %s (undo %v), want %s rolled back", rec.ID, rec.Result, rec.Undo, id)
	}
	for _, in := range rec.Instances {
		if in.Phase != release.PhaseReverted && in.Phase != release.PhasePending {
			t.Errorf("%s in the record: %s", in.Name, in.Phase)
		}
	}
	if !strings.Contains(r.Stdout+r.Stderr, "back to v1") {
		t.Errorf("the resume does not say it completes the rollback")
	}
}
