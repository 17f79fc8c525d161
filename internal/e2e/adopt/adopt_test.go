//go:build integration

package adopt

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/traffic"
)

// Behind a real HAProxy, under load: --dry-run changes nothing, then the
// cutover loses no request, disables and backs up the old units, leaves
// the group unit alone, and ends with the sysroll instances healthy on the
// same ports.
func TestAdoptBehindHAProxy(t *testing.T) {
	const name, p1, p2, fe = "ad-ha", 24501, 24502, 24510
	w := newOldWorld(t, name, p1, p2, true)
	h := e2etest.StartHAProxy(t, e2etest.HAProxyOptions{Backend: name, Ports: []int{p1, p2}, Frontend: fe, Balance: "roundrobin"})
	file := w.serviceFile("rollout:\n  " + h.RolloutLine() + "\n")

	before := w.snapshot()
	r := e2etest.Sysroll(t, append(append([]string{"adopt"}, w.units()...), "--file", file, "--dry-run")...)
	if r.Code != 0 || !strings.Contains(r.Stdout, "(dry run: nothing changed)") || !strings.Contains(r.Stdout, "balancer: haproxy") {
		t.Fatalf("adopt --dry-run: %s", r)
	}
	t.Logf("dry run:\n%s", r.Stdout)
	if after := w.snapshot(); after != before {
		t.Fatalf("--dry-run changed something:\nbefore:\n%s\nafter:\n%s", before, after)
	}

	ctx, stop := context.WithCancel(context.Background())
	gen := &traffic.Generator{URL: h.URL("/"), Concurrency: 4}
	stats, wait := gen.Start(ctx)
	time.Sleep(300 * time.Millisecond) // traffic flows before the cutover starts
	r = e2etest.Sysroll(t, append(append([]string{"adopt"}, w.units()...), "--file", file)...)
	time.Sleep(300 * time.Millisecond)
	stop()
	wait()
	snap := stats.Snapshot()
	t.Logf("adopt:\n%s", r)
	t.Logf("load through HAProxy during the cutover: %d requests, %d failed (%s)", snap.Requests, snap.Failed, snap.KindsString())
	if r.Code != 0 {
		t.Fatalf("adopt: %s", r)
	}
	if snap.Failed != 0 || snap.Requests < 50 {
		t.Errorf("%d of %d requests failed through the cutover, want 0 (of at least 50)", snap.Failed, snap.Requests)
	}
	for i := 1; i <= 2; i++ {
		if e2etest.Run(t, "test", "-e", unitDir+"/"+w.unit(i)).Code == 0 {
			t.Errorf("%s is still in %s", w.unit(i), unitDir)
		}
		if e2etest.Run(t, "test", "-f", "/var/lib/sysroll/"+name+"/adopted/"+w.unit(i)).Code != 0 {
			t.Errorf("%s not backed up in /var/lib/sysroll/%s/adopted/", w.unit(i), name)
		}
		if st := strings.TrimSpace(e2etest.Run(t, "systemctl", "show", "-p", "LoadState", "--value", w.unit(i)).Stdout); st != "not-found" {
			t.Errorf("%s LoadState=%s, want not-found (gone from systemd)", w.unit(i), st)
		}
		if e2etest.Run(t, "test", "-e", unitDir+"/multi-user.target.wants/"+w.unit(i)).Code == 0 {
			t.Errorf("%s is still enabled (multi-user.target.wants)", w.unit(i))
		}
	}
	if e2etest.Run(t, "test", "-f", unitDir+"/"+name+"-group.service").Code != 0 {
		t.Errorf("the group unit was touched; adopt leaves it")
	}
	e2etest.WaitHealthy(t, name, 2, 10*time.Second)
	w.waitServing(p1, p2)
	h.AssertAllUp("after adopt")
	// The service is installed as apply would: applying the same file
	// again changes nothing.
	if r := e2etest.MustSysroll(t, "apply", file); !strings.Contains(r.Stdout, "no changes") {
		t.Errorf("apply after adopt: %s, want no changes", r)
	}
}

// Without a balancer each port's refused window is measured and printed;
// and the guide's Requires= chain (2 Requires 1) must not take instance 2
// down while instance 1's old unit stops: instance 2 serves throughout.
func TestAdoptNoBalancerRequiresChain(t *testing.T) {
	const name, p1, p2 = "ad-rq", 24521, 24522
	w := newOldWorld(t, name, p1, p2, false)
	// What adopt has to get around: stopping the old unit 1 stops 2 too.
	w.systemctl("stop", w.unit(1))
	if st := strings.TrimSpace(w.systemctl("show", "-p", "ActiveState", "--value", w.unit(2))); st != "inactive" {
		t.Fatalf("precondition: stopping %s left %s %s; systemd should propagate the stop through Requires=", w.unit(1), w.unit(2), st)
	}
	w.systemctl("start", w.unit(1), w.unit(2))
	w.waitServing(p1, p2)
	file := w.serviceFile("")

	// Load on instance 2's port throughout; what counts is the span of
	// instance 1's cutover (old unit 1 stopped until the new instance 1 is
	// healthy), when systemd's stop propagation would take old unit 2 down.
	ctx, stop := context.WithCancel(context.Background())
	gen := &traffic.Generator{URL: "http://127.0.0.1:24522/", Concurrency: 2}
	stats, wait := gen.Start(ctx)
	b := e2etest.StartSysroll(t, append(append([]string{"adopt"}, w.units()...), "--file", file)...)
	b.WaitLine(30*time.Second, "24521: stopped")
	from := stats.Snapshot()
	b.WaitLine(30*time.Second, "24521: healthy")
	to := stats.Snapshot()
	res := b.Wait(60 * time.Second)
	stop()
	wait()
	all := stats.Snapshot()
	t.Logf("adopt:\n%s", b.Output())
	t.Logf("instance 2 (24522) during instance 1's cutover: %d requests, %d failed; over the whole adopt: %d requests, %d failed (%s; its own cutover refuses while it starts)",
		to.Requests-from.Requests, to.Failed-from.Failed, all.Requests, all.Failed, all.KindsString())
	if res.Code != 0 {
		t.Fatalf("adopt: %s", res)
	}
	if to.Failed != from.Failed || to.Requests == from.Requests {
		t.Errorf("instance 2 failed %d of %d requests while instance 1 was cut over, want 0", to.Failed-from.Failed, to.Requests-from.Requests)
	}
	out := b.Output()
	order2, order1 := strings.Index(out, "24522: stopped"), strings.Index(out, "24521: stopped")
	if order2 < 0 || order1 < 0 || order2 > order1 {
		t.Errorf("instance 2 (which Requires= 1) must be cut over first:\n%s", out)
	}
	for _, p := range []string{"24521: not accepting for ", "24522: not accepting for "} {
		if !strings.Contains(out, p) {
			t.Errorf("no refused window %q in the output", p)
		}
	}
	e2etest.WaitHealthy(t, name, 2, 10*time.Second)
}

// A first release that crashes fails the gate: the new instance is stopped,
// the old unit is put back and serves, adopt exits 1 naming the instance;
// running adopt again with a good release continues and succeeds.
func TestAdoptFailedGatePutsOldUnitBack(t *testing.T) {
	const name, p1, p2 = "ad-fail", 24541, 24542
	w := newOldWorld(t, name, p1, p2, true)
	file := w.serviceFile("")
	e2etest.WriteFile(t, w.dir+"/bad/my-binary", "#!/bin/sh\necho crashing on purpose >&2\nexit 3\n", 0o755)

	r := e2etest.Sysroll(t, append(append([]string{"adopt"}, w.units()...), "--file", file, "--artifact", w.dir+"/bad", "--version", "bad")...)
	t.Logf("adopt with a crashing release:\n%s", r)
	if r.Code != 1 || !strings.Contains(r.Stderr, "instance 24542 failed") || !strings.Contains(r.Stderr, "is back") {
		t.Fatalf("adopt with a crashing release: %s; want exit 1 naming instance 24542 and the old unit back", r)
	}
	w.assertOldBack(1)
	w.assertOldBack(2)
	if st := w.enabledState(2); st != "enabled" {
		t.Errorf("%s is-enabled = %q after being put back, want enabled (as it was)", w.unit(2), st)
	}
	if st := strings.TrimSpace(e2etest.Run(t, "systemctl", "show", "-p", "ActiveState", "--value", name+"@24542.service").Stdout); st == "active" || st == "activating" {
		t.Errorf("%s@24542.service is %s after the failed gate, want stopped", name, st)
	}

	r = e2etest.Sysroll(t, append(append([]string{"adopt"}, w.units()...), "--file", file)...)
	t.Logf("adopt again with the units' own binary:\n%s", r)
	if r.Code != 0 {
		t.Fatalf("adopt again: %s", r)
	}
	e2etest.WaitHealthy(t, name, 2, 10*time.Second)
}

// adopt killed with SIGKILL in the middle of an instance's cutover: the
// rerun puts that instance's old unit back (or finds it done) and
// completes; the instance cut over before stays on sysroll.
func TestAdoptKilledThenRerun(t *testing.T) {
	const name, p1, p2 = "ad-kill", 24561, 24562
	w := newOldWorld(t, name, p1, p2, false)
	file := w.serviceFile("")
	args := append(append([]string{"adopt"}, w.units()...), "--file", file)

	b := e2etest.StartSysroll(t, args...)
	// Killed in the gate: the new instance 24561 runs, the old unit is gone.
	b.WaitLine(30*time.Second, "24561: not accepting for")
	// adopt holds the deploy lock: nothing else rolls the service meanwhile.
	if r := e2etest.Sysroll(t, "apply", file); r.Code == 0 || !strings.Contains(r.Stderr, "already running") {
		t.Errorf("apply during adopt: %s, want refused by the deploy lock", r)
	}
	b.Signal("KILL")
	b.Wait(10 * time.Second)
	t.Logf("first adopt, killed:\n%s", b.Output())
	state := e2etest.Run(t, "cat", "/var/lib/sysroll/"+name+"/adopted/adopt.json")
	t.Logf("adopt.json after the kill:\n%s", state.Stdout)
	if !strings.Contains(state.Stdout, `"phase": "stopped"`) {
		t.Fatalf("after a kill mid-step, adopt.json should record that instance as stopped: %s", state)
	}

	r := e2etest.Sysroll(t, args...)
	t.Logf("adopt again:\n%s", r)
	if r.Code != 0 {
		t.Fatalf("adopt after the kill: %s", r)
	}
	if !strings.Contains(r.Stdout, "24562: already on sysroll") {
		t.Errorf("the rerun should leave 24562 (cut over before the kill) as it is:\n%s", r.Stdout)
	}
	// 24561's new instance was started before the kill: it passes the
	// gate, so its step is finished rather than undone and redone.
	if !strings.Contains(r.Stdout, "24561: "+name+"@24561.service was started by an earlier adopt and is healthy") {
		t.Errorf("the rerun should finish 24561's step:\n%s", r.Stdout)
	}
	if e2etest.Run(t, "test", "-e", unitDir+"/"+w.unit(1)).Code == 0 {
		t.Errorf("%s is back in %s after the rerun", w.unit(1), unitDir)
	}
	e2etest.WaitHealthy(t, name, 2, 10*time.Second)
	w.waitServing(p1, p2)
}
