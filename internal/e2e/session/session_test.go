//go:build integration

package session

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/schema"
	"github.com/sysroll/sysroll/internal/traffic"
)

// A lost terminal or SSH session (SIGHUP) while an instance is in its
// health gate: sysroll ends like Ctrl-C, not killed (exit 129) with the
// server left drained.
func TestSIGHUPMidGate(t *testing.T) {
	endSessionMidGate(t, "sess-hup", 22100, func(b *e2etest.Background) {
		b.Signal("HUP")
	})
}

// The viewer goes away (`ssh host sysroll deploy …` whose connection
// drops: standard output is a pipe whose reader is gone) while an instance
// is in its health gate: sysroll's next line fails with EPIPE, and sysroll
// ends like Ctrl-C, not killed by SIGPIPE with the server left drained.
func TestStdoutClosedMidGate(t *testing.T) {
	endSessionMidGate(t, "sess-pipe", 22110, func(b *e2etest.Background) {
		b.CloseStdout()
	})
}

// endSessionMidGate deploys v2 to a service of three instances behind a
// strict HAProxy under load, ends the session with end once the second
// instance is in its gate (and still drained), and checks that the rollout
// stopped the way an interrupt stops it: exit 1, every server UP, every
// instance running, the second instance's step finished, the third never
// touched, the record interrupted; then that --resume completes it, and
// that no request failed throughout.
func endSessionMidGate(t *testing.T, name string, first int, end func(*e2etest.Background)) {
	s := newService(t, name, first)
	before := e2etest.Invocations(t, s.units())

	ctx, stop := context.WithCancel(context.Background())
	gen := &traffic.Generator{URL: s.h.URL("/work?ms=10"), Concurrency: 8}
	stats, wait := gen.Start(ctx)
	defer func() { stop(); wait() }()

	start := time.Now()
	b := e2etest.StartSysroll(t, "deploy", s.name, "--artifact", s.release("v2"), "--version", "v2", "--json")
	second := s.instance(1)
	b.WaitEvent(60*time.Second, func(e schema.Event) bool {
		return e.Type == "phase" && e.Instance == second && e.Phase == string(release.PhaseGate)
	})
	// Killed now, sysroll would leave this server out of the balancer.
	if !s.h.Drained(s.server(1)) {
		t.Fatalf("%s is not drained during its gate: %v", s.server(1), s.h.States())
	}
	ended := time.Now()
	end(b)
	r := b.Wait(60 * time.Second)
	t.Logf("session ended %s into the deploy; sysroll ended %s later: %s",
		ended.Sub(start).Round(time.Millisecond), time.Since(ended).Round(time.Millisecond), r)
	if r.Code != 1 {
		t.Errorf("sysroll: exit %d (signal %v), want exit 1, what an interrupt gives", r.Code, r.Signal)
	}
	for _, want := range []string{"interrupted", "--resume"} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("sysroll's last word does not say %q", want)
		}
	}

	s.h.AssertAllUp("right after the session ended")
	assertAllActive(t, s)
	now := e2etest.Invocations(t, s.units())
	for i, u := range s.units() {
		if touched := now[u] != before[u]; touched != (i < 2) {
			t.Errorf("%s restarted: %v, want %v (the first two restarted, the third never reached)", u, touched, i < 2)
		}
	}
	rec := e2etest.LastRecord(t, s.name)
	if rec.Result != release.ResultInterrupted {
		t.Errorf("record %s: result %s (%s), want interrupted", rec.ID, rec.Result, rec.Reason)
	}
	want := []release.Phase{release.PhaseDone, release.PhaseDone, release.PhasePending}
	for i, in := range rec.Instances {
		if i < len(want) && in.Phase != want[i] {
			t.Errorf("record: instance %s in phase %s, want %s (the gate finished, the next one untouched)", in.Name, in.Phase, want[i])
		}
	}
	if st := e2etest.Status(t, s.name); st.Interrupted == nil || st.Interrupted.ID != rec.ID {
		t.Errorf("status does not report the interrupted rollout %s: %+v", rec.ID, st.Interrupted)
	}

	res := e2etest.Sysroll(t, "deploy", s.name, "--resume")
	if res.Code != 0 {
		t.Fatalf("deploy --resume: %s", res)
	}
	st := e2etest.Status(t, s.name)
	if st.Releases["v2"] != 3 || st.Healthy != 3 || st.Mixed || st.Interrupted != nil {
		t.Errorf("status after --resume: releases %v, %d healthy, mixed %v, interrupted %v; want all 3 on v2 and healthy",
			st.Releases, st.Healthy, st.Mixed, st.Interrupted != nil)
	}
	if rec := e2etest.LastRecord(t, s.name); rec.Result != release.ResultSucceeded {
		t.Errorf("record %s after --resume: %s (%s), want succeeded", rec.ID, rec.Result, rec.Reason)
	}
	s.h.AssertAllUp("after --resume")

	stop()
	wait()
	snap := stats.Snapshot()
	t.Logf("traffic through haproxy, deploy to resume: %d requests, %d failed (%s), max %s",
		snap.Requests, snap.Failed, snap.KindsString(), snap.Max.Round(time.Millisecond))
	if snap.Failed != 0 {
		t.Errorf("%d requests through haproxy failed (%s)", snap.Failed, snap.KindsString())
	}
}

// assertAllActive checks that no instance was left stopped.
func assertAllActive(t *testing.T, s *service) {
	t.Helper()
	st := e2etest.Status(t, s.name)
	if len(st.Instances) != len(s.ports) {
		t.Errorf("status lists %d instances, want %d", len(st.Instances), len(s.ports))
	}
	for _, in := range st.Instances {
		if in.ActiveState != "active" {
			t.Errorf("instance %s is %s/%s, want active", in.Instance, in.ActiveState, in.SubState)
		}
	}
}
