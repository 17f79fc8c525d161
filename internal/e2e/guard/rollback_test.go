//go:build integration

package guard_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/release"
)

// kill -9 during a rollback (v2 → v1) after its first instance, then
// `rollback` again: every instance ends on v1, the rollback's own target,
// not back on v2, the release it was rolling away from.
func TestRollbackAfterAKilledRollbackCompletesIt(t *testing.T) {
	s := newService(t, "e2e-guard-rollback", 23050, 3, time.Second)
	if r := s.sysroll("deploy", s.name, "--artifact", s.release("v2"), "--version", "v2"); r.Code != 0 {
		t.Fatalf("deploy v2: %s", r)
	}
	s.waitVersion(s.ports, "v2", 15*time.Second)

	b := e2etest.StartSysroll(t, "rollback", s.name, "--json")
	killAt(t, b, phaseOf(strconv.Itoa(s.ports[1]), "gate"))
	st := s.status()
	if st.Interrupted == nil || st.Interrupted.Kind != release.KindRollback || st.Interrupted.To != "v1" {
		t.Fatalf("status after kill -9 of the rollback: %+v", st.Interrupted)
	}
	id := st.Interrupted.ID

	r := s.sysroll("rollback", s.name)
	t.Logf("second rollback:\n%s%s", r.Stdout, r.Stderr)
	if r.Code != 0 {
		t.Fatalf("second rollback: %s", r)
	}
	s.waitVersion(s.ports, "v1", 15*time.Second)
	rec := s.lastRecord()
	if rec.ID != id || rec.Kind != release.KindRollback || rec.To != "v1" || rec.Result != release.ResultSucceeded {
		t.Errorf("newest record %s: %s to %s %s, want %s completed to v1", rec.ID, rec.Kind, rec.To, rec.Result, id)
	}
}
