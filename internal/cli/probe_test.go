package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/fleet/journal"
	"github.com/sysroll/sysroll/internal/fleet/plan"
	"github.com/sysroll/sysroll/internal/schema"
)

// writeClaim writes a valid claim of fleet rollout id into dir.
func writeClaim(t *testing.T, dir, id string, finished bool) {
	t.Helper()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	c := &journal.Claim{Schema: journal.ClaimSchema, FleetID: id, Service: "hello", Kind: journal.KindDeploy, Target: "v2",
		Controller: "ops@laptop", Created: t0, Strategy: journal.Strategy{MaxParallel: 1, FailureAction: "rollback"},
		Batches: [][]string{{"web1"}}, Host: "web1", Part: journal.Part{Phase: plan.PhaseRolling, Updated: t0}, Finished: finished}
	data, err := journal.EncodeClaim(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, id+".json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestProbeCLI(t *testing.T) {
	state, bin, sum := installedState(t)
	// No systemd here: status must fail, and say so in the answer.
	sd := []string{"--state-dir", state, "--systemd-address", "unix:path=" + filepath.Join(t.TempDir(), "none")}
	if _, stderr, code := run(t, append([]string{"stage", "hello", "--artifact", bin, "--version", "v2", "--expect-sha256", sum}, sd...)...); code != 0 {
		t.Fatalf("stage: exit %d: %s", code, stderr)
	}
	claims := filepath.Join(t.TempDir(), "fleet")
	if err := os.Mkdir(claims, 0o700); err != nil {
		t.Fatal(err)
	}
	writeClaim(t, claims, "f-open", false)
	writeClaim(t, claims, "f-done", true)
	// A claim being replaced: never read.
	if err := os.WriteFile(filepath.Join(claims, "f-new.json.tmp"), []byte("{half"), 0o600); err != nil {
		t.Fatal(err)
	}
	probe := func(t *testing.T, args ...string) schema.Probe {
		t.Helper()
		out, stderr, code := run(t, append(append([]string{"probe", "hello"}, args...), sd...)...)
		var p schema.Probe
		if code != 0 || json.Unmarshal([]byte(out), &p) != nil || p.Schema != schema.ProbeV1 || p.Service != "hello" {
			t.Fatalf("probe %v: exit %d, out %q, stderr %q", args, code, out, stderr)
		}
		if p.Version.Protocol != schema.FleetProtocol || p.Version.Schema != schema.VersionV1 {
			t.Errorf("version %+v", p.Version)
		}
		return p
	}

	p := probe(t, "--claims-dir", claims, "--has", "v2", "--expect-sha256", sum)
	if p.Has == nil || !p.Has.Has || p.Has.SHA256 != sum || p.HasError != "" {
		t.Errorf("has %+v (%s), want v2 staged", p.Has, p.HasError)
	}
	if len(p.Claims) != 1 || p.Claims[0].FleetID != "f-open" || p.ClaimsError != "" {
		t.Errorf("claims %+v (%s), want f-open only", p.Claims, p.ClaimsError)
	}
	if p.Status != nil || p.StatusError == "" {
		t.Errorf("status %+v, error %q: want the missing systemd said", p.Status, p.StatusError)
	}

	other := strings.Repeat("0", 64)
	if p := probe(t, "--claims-dir", claims, "--has", "v2", "--expect-sha256", other); p.Has == nil || p.Has.Has || p.Has.Reason == "" {
		t.Errorf("has of another sha256: %+v", p.Has)
	}
	if p := probe(t, "--claims-dir", claims); p.Has != nil || p.HasError != "" || p.Version.SHA256 == "" {
		t.Errorf("without --has: has %+v %q, version %+v", p.Has, p.HasError, p.Version)
	}
	if p := probe(t, "--claims-dir", claims, "--no-sha256"); p.Version.SHA256 != "" || len(p.Claims) != 1 {
		t.Errorf("--no-sha256: version %+v, claims %+v", p.Version, p.Claims)
	}
	if p := probe(t, "--claims-dir", filepath.Join(claims, "none")); p.Claims == nil || len(p.Claims) != 0 || p.ClaimsError != "" {
		t.Errorf("a missing claims dir: %+v %q, want no claim", p.Claims, p.ClaimsError)
	}

	// An unreadable claim is said, never dropped; the others still read.
	if err := os.WriteFile(filepath.Join(claims, "f-bad.json"), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if p := probe(t, "--claims-dir", claims); !strings.Contains(p.ClaimsError, "f-bad.json") || len(p.Claims) != 1 {
		t.Errorf("a bad claim: %+v %q", p.Claims, p.ClaimsError)
	}

	// A service never applied here: said, not failed.
	out, stderr, code := run(t, "probe", "hello", "--claims-dir", claims, "--state-dir", t.TempDir(), "--has", "v2", "--expect-sha256", sum)
	var na schema.Probe
	if code != 0 || json.Unmarshal([]byte(out), &na) != nil || na.Status != nil || !strings.Contains(na.StatusError, "hello") || na.HasError == "" {
		t.Errorf("not applied: exit %d, %+v, stderr %q", code, na, stderr)
	}

	for _, args := range [][]string{
		{"probe", "hello"},
		{"probe", "hello", "--claims-dir", claims, "--has", "v2"},
		{"probe", "hello", "--claims-dir", claims, "--expect-sha256", sum},
	} {
		if out, _, code := run(t, args...); code != ExitUsage || out != "" {
			t.Errorf("%v: exit %d, out %q, want usage", args, code, out)
		}
	}
}
