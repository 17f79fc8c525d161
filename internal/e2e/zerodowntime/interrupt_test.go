//go:build integration

package zerodowntime

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/schema"
	"github.com/sysroll/sysroll/internal/traffic"
)

// An interrupted rollout leaves no server in drain: SIGINT while an
// instance is drained (waiting for a request in flight, or in its health
// gate after the restart) ends with every server UP; after SIGKILL, which
// leaves the server drained, `deploy --resume` or `rollback` puts every
// server back UP. Traffic through HAProxy loses nothing throughout.
func TestInterruptedRolloutLeavesNoServerDrained(t *testing.T) {
	cases := []struct {
		name    string
		service string
		first   int    // first port; the frontend is first+3
		phase   string // phase of the first instance in which to signal
		signal  string
		recover []string // after SIGKILL: the command that finishes the job
		// releases is where the instances end: after SIGINT the step in
		// progress was undone (drain) or finished (gate); after recovery
		// all are on one release.
		releases map[string]int
	}{
		{name: "SIGINT_in_drain", service: "zd-int-a", first: 18430, phase: "drain", signal: "INT",
			releases: map[string]int{"v1": 3}},
		{name: "SIGINT_in_gate", service: "zd-int-b", first: 18435, phase: "gate", signal: "INT",
			releases: map[string]int{"v1": 2, "v2": 1}},
		{name: "SIGKILL_in_drain_then_resume", service: "zd-int-c", first: 18440, phase: "drain", signal: "KILL",
			recover: []string{"deploy", "--resume"}, releases: map[string]int{"v2": 3}},
		{name: "SIGKILL_in_gate_then_rollback", service: "zd-int-d", first: 18445, phase: "gate", signal: "KILL",
			recover: []string{"rollback"}, releases: map[string]int{"v1": 3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &service{t: t, name: tc.service, ports: []int{tc.first, tc.first + 1, tc.first + 2}, healthyFor: 3 * time.Second}
			s.install()
			h := startHAProxy(t, s, tc.first+3, "first", 0)
			s.rollout = []string{h.RolloutLine()}
			if r := s.reapply(); r.Code != 0 {
				t.Fatalf("apply with haproxy: %s", r)
			}
			first := s.instances()[0]
			server := "s" + first

			ctx, stop := context.WithCancel(context.Background())
			gen := &traffic.Generator{URL: h.URL("/work?ms=10"), Concurrency: 4}
			stats, wait := gen.Start(ctx)
			defer func() { stop(); wait() }()

			var slow <-chan slowResult
			if tc.phase == "drain" {
				// Keeps the first instance in its drain for 8s.
				slow = startSlow(t, h, server, "8000")
			}
			b := e2etest.StartSysroll(t, "deploy", s.name, "--artifact", s.release("v2"), "--version", "v2", "--json")
			b.WaitEvent(30*time.Second, func(e schema.Event) bool {
				return e.Type == "phase" && e.Instance == first && e.Phase == tc.phase
			})
			if tc.phase == "drain" {
				h.WaitStatus(server, "DRAIN", 5*time.Second)
			}
			if !h.Drained(server) {
				t.Fatalf("%s is not in drain in the %s phase: %v", server, tc.phase, h.States())
			}
			b.Signal(tc.signal)
			r := b.Wait(60 * time.Second)
			t.Logf("sysroll deploy after SIG%s:\n%s", tc.signal, r)
			if r.Code == 0 {
				t.Errorf("the interrupted deploy exited 0")
			}

			if tc.signal == "INT" {
				if !strings.Contains(r.Stdout+r.Stderr, "interrupted") {
					t.Errorf("the output does not say the rollout was interrupted")
				}
				h.AssertAllUp("right after SIGINT")
			} else {
				// kill -9 gives sysroll no chance to clean up: the server
				// stays drained until a later sysroll takes the rollout up.
				if !h.Drained(server) {
					t.Errorf("after SIGKILL %s is not in drain: the test did not interrupt a drained instance", server)
				}
				args := append([]string{tc.recover[0], s.name}, tc.recover[1:]...)
				rr := s.sysroll(args...)
				t.Logf("sysroll %s:\n%s", strings.Join(args, " "), rr)
				if rr.Code != 0 {
					t.Fatalf("sysroll %s: exit %d", strings.Join(args, " "), rr.Code)
				}
				h.AssertAllUp("after sysroll " + strings.Join(tc.recover, " "))
			}
			st := s.status()
			if !maps.Equal(st.Releases, tc.releases) || st.Healthy != 3 {
				t.Errorf("status: releases %v, %d healthy; want %v, 3 healthy", st.Releases, st.Healthy, tc.releases)
			}
			if tc.recover != nil && st.Interrupted != nil {
				t.Errorf("status still shows an interrupted rollout after sysroll %s", strings.Join(tc.recover, " "))
			}
			if slow != nil {
				if res := <-slow; res.err != nil || res.code != 200 || !strings.HasPrefix(res.body, "worked 8000ms") {
					t.Errorf("the request in flight during the interrupted drain: %d %q %v; want 200", res.code, res.body, res.err)
				}
			}
			stop()
			wait()
			snap := stats.Snapshot()
			t.Logf("traffic through haproxy: %d requests, %d failed (%s)", snap.Requests, snap.Failed, snap.KindsString())
			if snap.Failed != 0 {
				t.Errorf("%d requests through haproxy failed (%s)", snap.Failed, snap.KindsString())
			}
		})
	}
}
