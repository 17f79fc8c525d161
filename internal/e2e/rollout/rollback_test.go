//go:build integration

package rollout_test

import (
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/release"
)

// v1 -> v2 -> v3, then `rollback` walks back to the previous known-good
// release (v2), `rollback --to v1` goes to the named one, and a rollback
// with nothing proven good before the current release is refused instead
// of bouncing. Each rollback is a gated rollout: one instance at a time.
func TestRollbackTo(t *testing.T) {
	s := newService(t, "e2e-rollback", 19570, 3, svcOpts{})
	for _, v := range []string{"v2", "v3"} {
		if r := s.deploy(v); r.Code != 0 {
			t.Fatalf("deploy %s: %s", v, r)
		}
	}
	s.assertVersions(s.allOn("v3"))

	steps := []struct {
		args     []string
		from, to string
	}{
		{[]string{"rollback", s.name}, "v3", "v2"},
		{[]string{"rollback", s.name, "--to", "v1"}, "v2", "v1"},
	}
	for _, st := range steps {
		before := s.invocations()
		p := startPoller(s.ports...)
		r := s.sysroll(st.args...)
		stats := p.Stop()
		if r.Code != 0 {
			t.Fatalf("sysroll %s: %s", strings.Join(st.args, " "), r)
		}
		t.Logf("sysroll %s: %s -> %s; client: %s", strings.Join(st.args, " "), st.from, st.to, stats)
		s.assertVersions(s.allOn(st.to))
		after := s.invocations()
		for _, port := range s.ports {
			if after[port] == before[port] {
				t.Errorf("instance %d not restarted by the rollback", port)
			}
		}
		if stats.maxDown > 1 {
			t.Errorf("rollback took %d instances down at once: %s", stats.maxDown, stats)
		}
		rec := s.lastRecord()
		checkRecord(t, rec, release.KindRollback, st.from, st.to, release.ResultSucceeded)
		assertSequential(t, rec)
	}

	// On v1 now, with nothing proven good before it: refused, exit 2.
	r := s.sysroll("rollback", s.name)
	if r.Code != 2 || !strings.Contains(r.Stderr, "no known-good release before v1") {
		t.Errorf("rollback from the oldest good release: want exit 2 naming it, got %s", r)
	}
	// An unknown release is refused before anything is touched.
	if r := s.sysroll("rollback", s.name, "--to", "v9"); r.Code != 2 {
		t.Errorf("rollback --to v9 (unknown): want exit 2, got %s", r)
	}
	s.assertVersions(s.allOn("v1"))
}

// `sysroll history` lists every rollout, newest first: when, from -> to,
// who, result, duration and each instance's outcome; JSON and text.
func TestHistory(t *testing.T) {
	s := newService(t, "e2e-history", 19573, 3, svcOpts{})
	if r := s.deploy("v2"); r.Code != 0 {
		t.Fatalf("deploy v2: %s", r)
	}
	if r := s.deploy("v3", "--fail-at-start"); r.Code != 1 {
		t.Fatalf("deploy of a bad v3: want exit 1, got %s", r)
	}
	if r := s.sysroll("restart", s.name); r.Code != 0 {
		t.Fatalf("restart: %s", r)
	}

	recs := s.history()
	if len(recs) != 3 {
		t.Fatalf("history has %d rollouts, want 3: %+v", len(recs), recs)
	}
	restart, bad, good := recs[0], recs[1], recs[2]
	checkRecord(t, restart, release.KindRestart, "v2", "v2", release.ResultSucceeded)
	checkRecord(t, bad, release.KindDeploy, "v2", "v3", release.ResultRolledBack)
	checkRecord(t, good, release.KindDeploy, "v1", "v2", release.ResultSucceeded)
	for _, r := range recs {
		if r.User != "root" || r.Host == "" || r.PID == 0 {
			t.Errorf("record %s: user %q host %q pid %d", r.ID, r.User, r.Host, r.PID)
		}
		if len(r.Instances) != len(s.ports) {
			t.Errorf("record %s: %d instances, want %d", r.ID, len(r.Instances), len(s.ports))
		}
	}
	if !restart.Started.After(bad.Started) || !bad.Started.After(good.Started) {
		t.Errorf("history not newest first: %s, %s, %s", restart.Started, bad.Started, good.Started)
	}
	for _, in := range good.Instances {
		if in.Phase != release.PhaseDone || in.From != "v1" || in.To != "v2" || in.Error != "" ||
			in.InvocationBefore == "" || in.InvocationAfter == "" || in.InvocationAfter == in.InvocationBefore {
			t.Errorf("deploy v2, instance %s: %+v", in.Name, in)
		}
	}
	for i, in := range bad.Instances {
		want := release.PhasePending
		if i == 0 {
			want = release.PhaseReverted
			if !strings.Contains(in.Error, "job failed") {
				t.Errorf("deploy v3, instance %s: error %q does not say why", in.Name, in.Error)
			}
		}
		if in.Phase != want {
			t.Errorf("deploy v3, instance %s: phase %s, want %s", in.Name, in.Phase, want)
		}
	}
	if bad.Reason == "" {
		t.Errorf("deploy v3: no reason recorded")
	}
	for _, in := range restart.Instances {
		if in.Phase != release.PhaseDone || in.From != "v2" || in.To != "v2" {
			t.Errorf("restart, instance %s: %+v", in.Name, in)
		}
	}

	r := s.sysroll("history", s.name)
	if r.Code != 0 {
		t.Fatalf("history: %s", r)
	}
	t.Logf("sysroll history:\n%s", r.Stdout)
	lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
	for _, want := range []string{"ID", "STARTED", "KIND", "FROM -> TO", "BY", "RESULT", "TOOK", "INSTANCES"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("history header lacks %q: %s", want, lines[0])
		}
	}
	rows := []struct {
		rec   release.Record
		words []string
	}{
		{restart, []string{"restart", "v2 -> v2", "root", "succeeded", "19573:done"}},
		{bad, []string{"deploy", "v2 -> v3", "root", "rolled-back", "19573:reverted", "19574:pending"}},
		{good, []string{"deploy", "v1 -> v2", "root", "succeeded", "19575:done"}},
	}
	for i, row := range rows {
		if len(lines) <= i+1 {
			t.Fatalf("history text has %d lines", len(lines))
		}
		l := lines[i+1]
		for _, w := range append(row.words, row.rec.ID) {
			if !strings.Contains(l, w) {
				t.Errorf("history row %d lacks %q: %s", i+1, w, l)
			}
		}
	}
	if !strings.Contains(r.Stdout, bad.ID+": "+bad.Reason) {
		t.Errorf("history text does not give the failed rollout's reason")
	}
	if !strings.Contains(r.Stdout, "  19573: instance 19573 failed at restart") || !strings.Contains(r.Stdout, "job failed") {
		t.Errorf("history text does not say why 19573 failed")
	}
	if r := s.sysroll("history", s.name, "-n", "1", "--json"); !strings.Contains(r.Stdout, restart.ID) || strings.Contains(r.Stdout, bad.ID) {
		t.Errorf("history -n 1: %s", r)
	}
}

// `sysroll restart` restarts every instance, one at a time, on the
// release it runs.
func TestRollingRestart(t *testing.T) {
	s := newService(t, "e2e-restart", 19576, 3, svcOpts{})
	before := s.invocations()
	p := startPoller(s.ports...)
	r := s.sysroll("restart", s.name, "--json")
	st := p.Stop()
	if r.Code != 0 {
		t.Fatalf("restart: %s", r)
	}
	t.Logf("client during the restart: %s", st)
	s.assertVersions(s.allOn("v1"))
	after := s.invocations()
	for _, port := range s.ports {
		if after[port] == "" || after[port] == before[port] {
			t.Errorf("instance %d: InvocationID %q -> %q: not restarted", port, before[port], after[port])
		}
	}
	if st.maxDown > 1 {
		t.Errorf("the client saw %d instances down at once: %s", st.maxDown, st)
	}
	rec := s.lastRecord()
	checkRecord(t, rec, release.KindRestart, "v1", "v1", release.ResultSucceeded)
	assertSequential(t, rec)
	assertEventsSequential(t, e2etest.ParseEvents(t, r.Stdout))
}
