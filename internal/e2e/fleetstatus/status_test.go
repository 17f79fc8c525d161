//go:build integration

package fleetstatus

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/fleet/controller"
)

// The package's allocation (see planFleet in internal/e2etest/fleetplan.go).
const (
	prefix = "fstat"
	subnet = 14
)

func TestMain(m *testing.M) {
	e2etest.FleetMain(m, prefix, 3, e2etest.FleetOptions{Subnet: subnet})
}

// TestApplyThenStatus: a newcomer's path. fleet apply installs the service
// on the 3 bare hosts; fleet status shows 3 hosts x 2 instances, healthy,
// exit 0; after v2 is deployed to h1 only, mixed releases are flagged;
// with h3's network cut, h3 is shown unreachable and the status exits 1
// within the connect timeout.
func TestApplyThenStatus(t *testing.T) {
	f := e2etest.SharedFleet(t)
	name := "fs-hello"
	ports := []int{25401, 25402}
	local := t.TempDir()
	var hosts strings.Builder
	for _, h := range f.Hosts() {
		fmt.Fprintf(&hosts, "  - {name: %s, address: %s}\n", h.Name(), h.Addr())
	}
	file := filepath.Join(local, "service.yaml")
	yaml := e2etest.HelloYAML(name, ports, time.Second, "") + "hosts:\n" + hosts.String() + "fleet:\n  hosts: {batch: 1}\n"
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, h := range f.Hosts() {
		h.UninstallAtEnd(t, name)
	}
	ssh := []string{"--ssh-config", f.SSHConfigPath()}

	// 1. fleet apply: installed everywhere, every instance healthy on v1.
	r := f.RunController(t, append([]string{"fleet", "apply", file, "--artifact", e2etest.WriteHelloRelease(t, local, "v1", ""), "--version", "v1"}, ssh...)...)
	if r.Code != 0 {
		t.Fatalf("fleet apply: %s", r)
	}
	t.Logf("fleet apply on 3 hosts: %s", r.Took.Round(time.Millisecond))
	for _, h := range f.Hosts() {
		if !strings.Contains(r.Stdout, h.Name()+"| ") {
			t.Errorf("no output prefixed %s| in:\n%s", h.Name(), r.Stdout)
		}
		st := h.Status(t, name)
		if len(st.Instances) != 2 || st.Healthy != 2 {
			t.Errorf("%s after fleet apply: %d instances, %d healthy: %+v", h.Name(), len(st.Instances), st.Healthy, st.Instances)
		}
		for _, in := range st.Instances {
			if in.Release != "v1" {
				t.Errorf("%s %s: release %q, want v1", h.Name(), in.Instance, in.Release)
			}
		}
	}

	// 2. fleet status: one table, 3 hosts x 2 instances, exit 0; timed.
	r = f.RunController(t, append([]string{"fleet", "status", file}, ssh...)...)
	if r.Code != 0 {
		t.Fatalf("fleet status: %s", r)
	}
	t.Logf("fleet status, 3 hosts: %s\n%s", r.Took.Round(time.Millisecond), r.Stdout)
	rows := 0
	for l := range strings.Lines(r.Stdout) {
		fs := strings.Fields(l)
		if len(fs) == 6 && strings.HasPrefix(fs[0], "h") && fs[2] == "v1" && fs[3] == "healthy" {
			rows++
		}
	}
	if rows != 6 {
		t.Errorf("%d healthy v1 rows, want 6 (3 hosts x 2):\n%s", rows, r.Stdout)
	}
	doc := statusJSON(t, f, file, ssh, 0)
	if !doc.OK || doc.MixedReleases || doc.UnitDrift || len(doc.UnitHashes) != 1 || len(doc.Hosts) != 3 {
		t.Errorf("status document: ok %v mixed %v drift %v hashes %v hosts %d", doc.OK, doc.MixedReleases, doc.UnitDrift, doc.UnitHashes, len(doc.Hosts))
	}
	for _, h := range doc.Hosts {
		if h.ClockSkewSec == nil || *h.ClockSkewSec > 1 || *h.ClockSkewSec < -1 {
			t.Errorf("%s: clock skew %v (one machine: want |skew| < 1 s)", h.Host, h.ClockSkewSec)
		}
	}

	// 3. v2 to h1 only: mixed releases across the fleet, still exit 0.
	r = f.RunController(t, append([]string{"fleet", "deploy", file, "--artifact", e2etest.WriteHelloRelease(t, local, "v2", ""), "--version", "v2", "--limit", "h1", "--state-dir", t.TempDir()}, ssh...)...)
	if r.Code != 0 {
		t.Fatalf("fleet deploy --limit h1: %s", r)
	}
	doc = statusJSON(t, f, file, ssh, 0)
	if !doc.MixedReleases || doc.Releases["v2"] != 2 || doc.Releases["v1"] != 4 {
		t.Errorf("after v2 on h1: mixed %v, releases %v; want mixed, v2 on 2, v1 on 4", doc.MixedReleases, doc.Releases)
	}
	r = f.RunController(t, append([]string{"fleet", "status", file}, ssh...)...)
	if r.Code != 0 || !strings.Contains(r.Stdout, "WARNING: mixed releases across the fleet: v1 on 4, v2 on 2") {
		t.Errorf("mixed releases not flagged in the table: %s", r)
	}

	// 4. h2's unit file edited by hand: drift flagged (a warning, exit 0);
	// a fleet apply (its dry run first, which changes nothing) puts it back.
	h2 := f.Host("h2")
	unit := "/etc/systemd/system/" + name + "@.service"
	ectx, ecancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer ecancel()
	if out, err := h2.Exec(ectx, "sh", "-c", "echo '# edited by hand' >> "+unit); err != nil {
		t.Fatalf("edit %s on h2: %v %s", unit, err, out)
	}
	doc = statusJSON(t, f, file, ssh, 0)
	if !doc.UnitDrift || len(doc.UnitHashes) != 2 {
		t.Errorf("unit edited on h2: drift %v, hashes %v", doc.UnitDrift, doc.UnitHashes)
	}
	for u, hs := range doc.UnitHashes {
		if len(hs) == 1 && hs[0] != "h2" {
			t.Errorf("the odd unit hash %s is on %v, want h2", u, hs)
		}
	}
	r = f.RunController(t, append([]string{"fleet", "apply", file, "--dry-run"}, ssh...)...)
	if r.Code != 0 {
		t.Errorf("fleet apply --dry-run: %s", r)
	}
	if doc = statusJSON(t, f, file, ssh, 0); !doc.UnitDrift {
		t.Errorf("fleet apply --dry-run repaired the drift: it must change nothing")
	}
	r = f.RunController(t, append([]string{"fleet", "apply", file}, ssh...)...)
	if r.Code != 0 {
		t.Fatalf("fleet apply to repair the drift: %s", r)
	}
	if doc = statusJSON(t, f, file, ssh, 0); doc.UnitDrift {
		t.Errorf("drift after fleet apply: %v", doc.UnitHashes)
	}

	// 5. h3 cut off: shown unreachable, exit 1, bounded by the connect
	// timeout (5 s), not by TCP's own.
	h3 := f.Host("h3")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h3.CutNetwork(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h3.RestoreNetwork(context.Background()) })
	r = f.RunController(t, append([]string{"fleet", "status", file}, ssh...)...)
	t.Logf("fleet status with h3 cut: %s", r.Took.Round(time.Millisecond))
	if r.Code != 1 || !strings.Contains(r.Stdout, "h3: UNREACHABLE") || !strings.Contains(r.Stdout, "1 of 3 hosts not well") {
		t.Errorf("h3 cut: %s", r)
	}
	if r.Took > 10*time.Second {
		t.Errorf("fleet status with a host cut took %s, want < 10 s", r.Took)
	}
	if strings.Count(r.Stdout, "healthy ") < 4 {
		t.Errorf("the reachable hosts' rows are missing:\n%s", r.Stdout)
	}
}

// statusJSON is fleet status --json, decoded, with exit code want.
func statusJSON(t *testing.T, f *e2etest.Fleet, file string, ssh []string, want int) controller.FleetStatus {
	t.Helper()
	r := f.RunController(t, append([]string{"fleet", "status", file, "--json"}, ssh...)...)
	if r.Code != want {
		t.Fatalf("fleet status --json: %s", r)
	}
	var doc controller.FleetStatus
	if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil || doc.Schema != controller.FleetStatusV1 {
		t.Fatalf("not one %s document (%v): %s", controller.FleetStatusV1, err, r)
	}
	return doc
}
