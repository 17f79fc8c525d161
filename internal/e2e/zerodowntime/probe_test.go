//go:build integration

package zerodowntime

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/release"
)

// --probe: a release that starts and becomes ready (so systemd's view and
// the gate's window alone would pass it) but fails requests. The traffic
// probe, sent to /healthz of the shared socket, counts the 503s of the new
// instance; past --probe-max-failures 0 the batch fails and is rolled back,
// and the output shows the failed count.
func TestProbeBreachRollsBack(t *testing.T) {
	const addr = "127.0.0.1:18460"
	s := &service{t: t, name: "zd-probe", listen: addr, count: 3, healthyFor: 3 * time.Second}
	s.install()
	before := s.invocations()

	// Ready, then /healthz answers 503 from the first millisecond on.
	bad := s.release("v2", "--unhealthy-after=1ms")
	r := s.sysroll("deploy", s.name, "--artifact", bad, "--version", "v2",
		"--probe", "http://"+addr+"/healthz", "--probe-rate", "50", "--probe-max-failures", "0")
	t.Logf("sysroll deploy:\n%s", r)
	if r.Code != 1 {
		t.Fatalf("deploy of a release failing requests: exit %d, want 1", r.Code)
	}
	out := r.Stdout + r.Stderr
	m := regexp.MustCompile(`traffic probe \S+: (\d+) requests, (\d+) failed \(([^)]*)\)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("the summary does not show the traffic probe's counts")
	}
	failed, _ := strconv.Atoi(m[2])
	if failed == 0 || !strings.Contains(m[3], "http-503") {
		t.Errorf("summary: %d failed (%s), want > 0 failed, of kind http-503", failed, m[3])
	}
	if !strings.Contains(out, "more than 0 tolerated") {
		t.Errorf("the output does not say the probe's threshold was breached")
	}

	rec := s.lastRecord()
	if rec.Result != release.ResultRolledBack {
		t.Errorf("record %s: result %s, want %s (reason %q)", rec.ID, rec.Result, release.ResultRolledBack, rec.Reason)
	}
	first := s.instances()[0]
	for _, in := range rec.Instances {
		want := release.PhasePending
		if in.Name == first {
			want = release.PhaseReverted
		}
		if in.Phase != want {
			t.Errorf("instance %s: phase %s, want %s (error %q)", in.Name, in.Phase, want, in.Error)
		}
		if in.Name == first && !strings.Contains(in.Error, "traffic probe") {
			t.Errorf("instance %s failed for %q, want the traffic probe as the reason", in.Name, in.Error)
		}
	}
	after := s.invocations()
	for _, in := range s.instances()[1:] {
		if after[in] != before[in] {
			t.Errorf("instance %s (never reached) was restarted", in)
		}
	}
	s.assertAllOn("v1")
}

// --probe naming an entry point that does not answer: the proof has nothing
// to count against, so the deploy is refused before any instance is
// touched, once, naming the URL — not a preflight refusal blaming an
// instance (the traffic probe's failures used to count as every
// instance's, and the message was printed four times).
func TestProbeURLDownIsRefusedBeforeTouching(t *testing.T) {
	const addr = "127.0.0.1:18465"
	s := &service{t: t, name: "zd-probe-down", listen: addr, count: 2, healthyFor: time.Second}
	s.install()
	before := s.invocations()

	const dead = "http://127.0.0.1:18466/healthz" // nothing listens there
	r := s.sysroll("deploy", s.name, "--artifact", s.release("v2"), "--version", "v2", "--probe", dead)
	t.Logf("sysroll deploy:\n%s", r)
	if r.Code != 1 {
		t.Errorf("deploy with a dead --probe URL: exit %d, want 1", r.Code)
	}
	out := r.Stdout + r.Stderr
	if n := strings.Count(out, dead); n != 1 {
		t.Errorf("the URL appears %d times in the output, want once", n)
	}
	if !strings.Contains(out, "nothing was touched") {
		t.Errorf("the output does not say nothing was touched")
	}
	for _, in := range s.instances() {
		if strings.Contains(out, "instance "+in) {
			t.Errorf("the output blames instance %s for the probe URL", in)
		}
	}
	s.assertUntouched(before)
	s.assertAllOn("v1")
}
