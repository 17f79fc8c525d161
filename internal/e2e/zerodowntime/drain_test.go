//go:build integration

package zerodowntime

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/traffic"
)

// slowMS is how long the in-flight request of the drain tests works.
const slowMS = "3000"

// slowResult is a slow request through HAProxy, once it ended.
type slowResult struct {
	code int
	body string
	err  error
	done time.Time
}

// startSlow sends GET /work?ms=MS through HAProxy in the background and
// waits until HAProxy counts it as a session on server.
func startSlow(t *testing.T, h *haproxy, server, ms string) <-chan slowResult {
	t.Helper()
	ch := make(chan slowResult, 1)
	go func() {
		code, body, err := get(h.URL("/work?ms="+ms), time.Minute)
		ch <- slowResult{code, body, err, time.Now()}
	}()
	deadline := time.Now().Add(5 * time.Second)
	for h.Stat(server).Sessions == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the slow request never showed as a session on %s", server)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return ch
}

// HAProxy drain: a slow request in flight on the first instance when the
// deploy starts completes in full, and that instance is restarted only
// after it ended. Meanwhile steady traffic through HAProxy loses nothing.
func TestHAProxyDrainWaitsForInFlight(t *testing.T) {
	s := &service{t: t, name: "zd-drain", ports: []int{18410, 18411, 18412}}
	s.install()
	// balance first: every request goes to the first server that is up,
	// s18410, the first instance the rollout takes.
	h := startHAProxy(t, s, 18413, "first", 0)
	s.rollout = []string{h.RolloutLine()}
	if r := s.reapply(); r.Code != 0 {
		t.Fatalf("apply with haproxy: %s", r)
	}
	first, server := "18410", "s18410"
	before := s.invocations()

	ctx, stop := context.WithCancel(context.Background())
	gen := &traffic.Generator{URL: h.URL("/work?ms=10"), Concurrency: 4}
	stats, wait := gen.Start(ctx)
	defer func() { stop(); wait() }()

	slow := startSlow(t, h, server, slowMS)
	sent := time.Now()
	r := s.sysroll("deploy", s.name, "--artifact", s.release("v2"), "--version", "v2", "--json")
	stop()
	wait()
	if r.Code != 0 {
		t.Fatalf("deploy v2: %s", r)
	}
	res := <-slow
	if res.err != nil || res.code != 200 {
		t.Fatalf("slow request: %d %q %v; want 200", res.code, res.body, res.err)
	}
	if want := "worked " + slowMS + "ms: v1 (instance " + first + ","; !strings.HasPrefix(res.body, want) {
		t.Errorf("slow request answered %q, want the full answer of v1 on instance %s (%q...)", res.body, first, want)
	}

	evs := e2etest.ParseEvents(t, r.Stdout)
	drainAt := phaseAt(t, evs, first, "drain")
	restartAt := phaseAt(t, evs, first, "restart")
	t.Logf("slow request sent %s, drain began %s, slow request done %s, restart began %s",
		sent.Format("15:04:05.000"), drainAt.Format("15:04:05.000"), res.done.Format("15:04:05.000"), restartAt.Format("15:04:05.000"))
	if !drainAt.Before(res.done) {
		t.Errorf("the drain began at %s, after the slow request ended at %s: nothing was in flight", drainAt.Format("15:04:05.000"), res.done.Format("15:04:05.000"))
	}
	if !restartAt.After(res.done) {
		t.Errorf("instance %s's restart began at %s, before the slow request ended at %s: the drain did not wait",
			first, restartAt.Format("15:04:05.000"), res.done.Format("15:04:05.000"))
	}
	// systemd's own clock agrees: the new process started after the request.
	started := e2etest.UnitProps(t, []string{s.unit(first)}, "ExecMainStartTimestamp")[s.unit(first)]["ExecMainStartTimestamp"]
	if at, err := stamp(started); err != nil {
		t.Errorf("ExecMainStartTimestamp %q: %v", started, err)
	} else if !at.After(res.done) {
		t.Errorf("%s's new process started at %s, before the slow request ended at %s", s.unit(first), at.Format("15:04:05.000"), res.done.Format("15:04:05.000"))
	}

	snap := stats.Snapshot()
	t.Logf("traffic through haproxy during the deploy: %d requests, %d failed (%s), max %s", snap.Requests, snap.Failed, snap.KindsString(), snap.Max.Round(time.Millisecond))
	if snap.Failed != 0 {
		t.Errorf("%d requests through haproxy failed during the deploy (%s)", snap.Failed, snap.KindsString())
	}
	after := s.invocations()
	for in, id := range before {
		if after[in] == id {
			t.Errorf("instance %s not restarted", in)
		}
	}
	s.assertAllOn("v2")
	h.AssertAllUp("after the deploy")
}
