//go:build integration

package apply

import (
	"path"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/schema"
)

// Issue 10 item 1 on real systemd: a service whose every instance
// crash-loops (a bad first release) was refused by deploy, restart and
// rollback --to ("preflight refused ... too little capacity"); only
// uninstall --purge got out. There is no capacity left to protect, so the
// rollout proceeds, batch by batch through the same gates, and says so.
// Ports 24760-24769.

// crashLooping applies s with a first release that crashes 300ms after
// start (apply fails: none passes its gate) and waits until systemd has
// restarted each instance at least once, so they are down by any measure.
func crashLooping(t *testing.T, s service) {
	t.Helper()
	t.Cleanup(func() { s.uninstall(t) })
	bad := e2etest.HelloRelease(t, path.Join(workRoot, s.name, "release-crash"), "crash", "--crash-after=300ms")
	if r := e2etest.Sysroll(t, "apply", s.write(t), "--artifact", bad, "--version", "crash"); r.Code != 1 {
		t.Fatalf("apply of a crash-looping first release: want exit 1, got %s", r)
	}
	st := e2etest.Status(t, s.name)
	for _, in := range st.Instances {
		if in.Health == schema.Healthy {
			t.Fatalf("instance %s is healthy on a release that crashes: %+v", in.Instance, in)
		}
	}
}

func TestDeployRepairsAnEntirelyDownService(t *testing.T) {
	s := service{name: "e2e-repair-deploy", ports: []int{24760, 24761, 24762}}
	crashLooping(t, s)
	good := s.release(t, "v2")
	r := e2etest.Sysroll(t, "deploy", s.name, "--artifact", good, "--version", "v2")
	t.Logf("deploy onto an entirely down service:\n%s%s", r.Stdout, r.Stderr)
	if r.Code != 0 {
		t.Fatalf("deploy of a good release onto an entirely down service: want exit 0, got %s", r)
	}
	// Instances in auto-restart are up but unhealthy (the batches go on
	// below the floor); ones systemd gave up on are down (stepped first).
	if !strings.Contains(r.Stdout, "below the floor") && !strings.Contains(r.Stdout, "down, so stepped first") {
		t.Errorf("the output does not say why the batches go on with no capacity to protect:\n%s", r.Stdout)
	}
	e2etest.WaitVersion(t, s.name, s.ports, "v2", 10*time.Second)
	if st := e2etest.Sysroll(t, "status", s.name); st.Code != 0 {
		t.Errorf("status after the repair: want exit 0 (all healthy), got %s", st)
	}
}

func TestRollbackToRepairsAnEntirelyDownService(t *testing.T) {
	s := service{name: "e2e-repair-rollback", ports: []int{24765, 24766}}
	crashLooping(t, s)
	// A good release staged (a dry run stages and checks it, touching no
	// instance), to roll back to.
	good := s.release(t, "v1")
	if r := e2etest.Sysroll(t, "deploy", s.name, "--artifact", good, "--version", "v1", "--dry-run"); r.Code != 0 {
		t.Fatalf("deploy --dry-run (to stage v1): %s", r)
	}
	r := e2etest.Sysroll(t, "rollback", s.name, "--to", "v1")
	t.Logf("rollback --to onto an entirely down service:\n%s%s", r.Stdout, r.Stderr)
	if r.Code != 0 {
		t.Fatalf("rollback --to v1 of an entirely down service: want exit 0, got %s", r)
	}
	e2etest.WaitVersion(t, s.name, s.ports, "v1", 10*time.Second)
	if st := e2etest.Sysroll(t, "status", s.name); st.Code != 0 {
		t.Errorf("status after the repair: want exit 0 (all healthy), got %s", st)
	}
}
