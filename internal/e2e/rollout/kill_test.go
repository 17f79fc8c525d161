//go:build integration

package rollout_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/schema"
)

// kill -9 of sysroll at each phase boundary of an instance's step, then
// recovery. sysroll is killed when the --json stream shows the second
// instance entering the phase (the first is done, the third not reached):
// `sysroll status` must then report the interrupted rollout and the truth
// about every instance, and `sysroll deploy --resume` must complete the
// rollout (or `sysroll rollback` undo it).
//
// Phases that take no time of their own are stretched so the kill lands
// inside them: a slow pre_stop hook for drain, a slow post_start hook for
// undrain, a slow start-up of v2 for restart. The switch is a symlink swap
// taking microseconds: a kill "at switch" lands at the latest while the
// restart job that follows runs; the test logs which phase the record held.
func TestKillAtEachPhase(t *testing.T) {
	slowDrain := svcOpts{extra: []string{`hooks: {pre_stop: "sleep 2"}`}}
	slowUndrain := svcOpts{extra: []string{`hooks: {post_start: "sleep 2"}`}}
	cases := []struct {
		phase    string // the phase event to kill at; "done" is instance-done
		opts     svcOpts
		flags    []string // v2's hello flags
		rollback bool     // recover with rollback instead of resume
	}{
		{phase: "drain", opts: slowDrain},
		{phase: "switch", flags: []string{"--startup-delay=1s"}},
		{phase: "restart", flags: []string{"--startup-delay=1s"}},
		{phase: "gate"},
		{phase: "undrain", opts: slowUndrain},
		{phase: "done"},
		{phase: "drain", opts: slowDrain, rollback: true},
		{phase: "gate", rollback: true},
	}
	for i, tc := range cases {
		how := "resume"
		if tc.rollback {
			how = "rollback"
		}
		name := fmt.Sprintf("e2e-kill-%s-%s", tc.phase, how)
		t.Run(tc.phase+"/"+how, func(t *testing.T) {
			s := newService(t, name, 19520+3*i, 3, tc.opts)
			before := s.invocations()
			first, second, third := instanceName(s.ports[0]), instanceName(s.ports[1]), instanceName(s.ports[2])

			b := e2etest.StartSysroll(t, "deploy", s.name, "--artifact", s.release("v2", tc.flags...), "--version", "v2", "--json")
			b.WaitEvent(30*time.Second, func(e schema.Event) bool {
				if e.Instance != second {
					return false
				}
				if tc.phase == "done" {
					return e.Type == "instance-done"
				}
				return e.Type == "phase" && e.Phase == tc.phase
			})
			b.Signal("KILL")
			if r := b.Wait(10 * time.Second); r.Code == 0 {
				t.Fatalf("sysroll exited 0 after kill -9: %s", r)
			}

			// Right after the kill: status reports the interrupted rollout,
			// whatever systemd is still doing.
			st := s.status()
			rec := st.Interrupted
			if rec == nil {
				t.Fatalf("status after kill -9 does not report an interrupted rollout: %+v", st)
			}
			if rec.Result != release.ResultInterrupted || !strings.Contains(rec.Reason, "pid "+b.PID()) {
				t.Errorf("interrupted rollout: result %s, reason %q; want interrupted, naming pid %s", rec.Result, rec.Reason, b.PID())
			}
			phases := map[string]release.Phase{}
			for _, in := range rec.Instances {
				phases[in.Name] = in.Phase
			}
			t.Logf("killed at %s of %s: the record holds %s=%s %s=%s %s=%s", tc.phase, second,
				first, phases[first], second, phases[second], third, phases[third])
			// Killed at "done", sysroll may have gone on to the third
			// instance before the signal landed (the next preflight takes
			// milliseconds); at any other phase it had not reached it.
			reached := phases[third] != release.PhasePending
			if phases[first] != release.PhaseDone || (reached && tc.phase != "done") {
				t.Errorf("record: %s %s (want done), %s %s (want pending)", first, phases[first], third, phases[third])
			}
			order := []release.Phase{release.PhaseDrain, release.PhaseSwitch, release.PhaseRestart, release.PhaseGate, release.PhaseUndrain, release.PhaseDone}
			killedAt := release.Phase(tc.phase)
			if i := slices.Index(order, phases[second]); i < 0 || i < slices.Index(order, killedAt) {
				t.Errorf("record: %s in phase %s, want %s or a later one", second, phases[second], killedAt)
			}

			// Once systemd has finished what it was doing, status tells the
			// truth about each instance, and still the interrupted rollout.
			s.waitRunning(15 * time.Second)
			st = s.status()
			if st.Interrupted == nil || st.Interrupted.ID != rec.ID {
				t.Errorf("status lost the interrupted rollout: %+v", st.Interrupted)
			}
			s.assertStatusTruth(st)
			if v, _ := e2etest.VersionOf(s.ports[2]); !reached && (v != "v1" || s.invocations()[s.ports[2]] != before[s.ports[2]]) {
				t.Errorf("instance %s, not reached, was touched: answers %s", third, v)
			}
			if testing.Verbose() {
				t.Logf("sysroll status:\n%s", s.sysroll("status", s.name).Stdout)
			}
			killed := s.invocations()

			if tc.rollback {
				r := s.sysroll("rollback", s.name)
				t.Logf("sysroll rollback:\n%s", r.Stdout)
				if r.Code != 0 {
					t.Fatalf("rollback after kill -9: %s", r)
				}
				s.assertVersions(s.allOn("v1"))
				s.assertAllRunning()
				after := s.invocations()
				if !reached && after[s.ports[2]] != before[s.ports[2]] {
					t.Errorf("rollback touched %s, which the rollout never reached", third)
				}
				last := s.lastRecord()
				if last.ID != rec.ID || last.Result != release.ResultRolledBack {
					t.Errorf("after the rollback the newest record is %s %s, want %s rolled-back", last.ID, last.Result, rec.ID)
				}
			} else {
				r := s.sysroll("deploy", s.name, "--resume")
				t.Logf("sysroll deploy --resume:\n%s", r.Stdout)
				if r.Code != 0 {
					t.Fatalf("deploy --resume after kill -9: %s", r)
				}
				s.assertVersions(s.allOn("v2"))
				s.assertAllRunning()
				after := s.invocations()
				if after[s.ports[0]] != killed[s.ports[0]] {
					t.Errorf("resume restarted %s again, which was done", first)
				}
				// An instance that got past its restart is gated again,
				// not restarted again.
				if slices.Contains([]string{"gate", "undrain", "done"}, tc.phase) && after[s.ports[1]] != killed[s.ports[1]] {
					t.Errorf("resume restarted %s again, killed at %s after its restart", second, tc.phase)
				}
				last := s.lastRecord()
				if last.ID != rec.ID {
					t.Errorf("resume wrote record %s, want the interrupted %s", last.ID, rec.ID)
				}
				checkRecord(t, last, release.KindDeploy, "v1", "v2", release.ResultSucceeded)
			}
			st = s.status()
			if st.Interrupted != nil || st.Mixed || st.Healthy != len(s.ports) {
				t.Errorf("status after recovery: %+v", st)
			}
		})
	}
}

// waitRunning waits until every instance unit is active/running.
func (s *service) waitRunning(within time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(within)
	for {
		var bad []string
		for p, kv := range s.unitProps("ActiveState", "SubState") {
			if kv["ActiveState"] != "active" || kv["SubState"] != "running" {
				bad = append(bad, fmt.Sprintf("%d %s/%s", p, kv["ActiveState"], kv["SubState"]))
			}
		}
		if len(bad) == 0 {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("instances not running after %s: %s", within, strings.Join(bad, ", "))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// assertStatusTruth checks that status names, for each instance, the
// release it really answers with, its real state, and flags mixed releases.
func (s *service) assertStatusTruth(st schema.Status) {
	s.t.Helper()
	versions := map[string]bool{}
	for _, in := range st.Instances {
		port := portOf(s.t, in.Instance)
		v, err := e2etest.VersionOf(port)
		if err != nil {
			s.t.Errorf("instance %s does not answer: %v", in.Instance, err)
			continue
		}
		versions[v] = true
		if in.Release != v {
			s.t.Errorf("status says %s is on %q, it answers %q", in.Instance, in.Release, v)
		}
		if in.ActiveState != "active" || in.Health != "healthy" {
			s.t.Errorf("status says %s is %s, %s; it answers", in.Instance, in.ActiveState, in.Health)
		}
	}
	if mixed := len(versions) > 1; st.Mixed != mixed {
		s.t.Errorf("status mixed_releases %v, the instances answer %v", st.Mixed, versions)
	}
}

// kill -9 while a failed instance is being put back: status reports the
// interrupted rollout, and `deploy --resume` finishes the revert (it does
// not go on with the rollout): the failed instance back on v1 and healthy,
// the one not reached untouched, exit 1 as the failed deploy would have.
func TestKillDuringRevert(t *testing.T) {
	s := newService(t, "e2e-kill-revert", 19590, 3, svcOpts{deadline: 4 * time.Second})
	before := s.invocations()
	second := instanceName(s.ports[1])
	dir := badOnRelease(t, s, "v2", s.ports[1])

	b := e2etest.StartSysroll(t, "deploy", s.name, "--artifact", dir, "--version", "v2", "--json")
	b.WaitEvent(30*time.Second, func(e schema.Event) bool { return e.Type == "revert" && e.Instance == second })
	b.Signal("KILL")
	b.Wait(10 * time.Second)

	st := s.status()
	if st.Interrupted == nil {
		t.Fatalf("status after kill -9 during a revert: no interrupted rollout: %+v", st)
	}
	for _, in := range st.Interrupted.Instances {
		t.Logf("killed during the revert of %s: %s is %s", second, in.Name, in.Phase)
	}
	r := s.sysroll("deploy", s.name, "--resume")
	t.Logf("sysroll deploy --resume:\n%s%s", r.Stdout, r.Stderr)
	if r.Code != 1 {
		t.Errorf("resume of a failing rollout: exit %d, want 1 (the deploy failed)", r.Code)
	}
	s.assertAllRunning()
	s.assertVersions(map[int]string{s.ports[0]: "v2", s.ports[1]: "v1", s.ports[2]: "v1"})
	if s.invocations()[s.ports[2]] != before[s.ports[2]] {
		t.Errorf("instance %d, never reached, was touched", s.ports[2])
	}
	rec := s.lastRecord()
	if rec.ID != st.Interrupted.ID || rec.Result != release.ResultRolledBack {
		t.Errorf("after the resume the newest record is %s %s, want %s rolled-back", rec.ID, rec.Result, st.Interrupted.ID)
	}
	if st := s.status(); st.Interrupted != nil || !st.Mixed || st.Healthy != 3 {
		t.Errorf("status after the resume: %+v", st)
	}
}

// badOnRelease writes release version whose /healthz answers 503 on the
// instance on port bad only, and returns its directory.
func badOnRelease(t *testing.T, s *service, version string, bad int) string {
	t.Helper()
	dir := "/srv/e2e/" + s.name + "/" + version
	e2etest.WriteFile(t, dir+"/hello", fmt.Sprintf(`#!/bin/sh
flags=""
[ "$SYSROLL_INSTANCE" = %d ] && flags=--unhealthy-after=1ms
exec %s/hello --version %s $flags "$@"
`, bad, e2etest.BinDir, version), 0o755)
	return dir
}
