//go:build integration

package hostside

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/schema"
)

// A copy whose sha256 is not the expected one is refused (exit 1) and
// nothing is kept; the right one is staged and checked without touching
// an instance; --has then answers yes for exactly that release; deploy
// --version of a release not staged is refused (exit 2), naming those
// that are.
func TestStageExpectSHA256AndHas(t *testing.T) {
	s := newService(t, "hs-stage", 24900, 24901)
	before := e2etest.Invocations(t, s.units())
	tgz, sum := s.tarball("v2")
	wrong := strings.Repeat("0", 64)

	r := e2etest.Sysroll(t, "stage", s.name, "--artifact", tgz, "--version", "v2", "--expect-sha256", wrong, "--json")
	if r.Code != 1 || !strings.Contains(r.Stderr, "not the expected "+wrong) {
		t.Fatalf("stage with a wrong sha256: %s", r)
	}
	if h, r := s.has("v2", sum); h.Has || r.Code != 1 || !strings.Contains(h.Reason, "not found") {
		t.Errorf("after a refused copy, --has v2: %+v, %s", h, r)
	}
	if r := e2etest.Run(t, "test", "-e", "/var/lib/sysroll/hs-stage/releases/v2"); r.Code == 0 {
		t.Errorf("a refused copy left releases/v2")
	}

	r = e2etest.MustSysroll(t, "stage", s.name, "--artifact", tgz, "--version", "v2", "--expect-sha256", sum,
		"--check", "hello -print-version", "--json", "--fleet", "e2e-stage")
	var st schema.Staged
	if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil || st.Version != "v2" || st.SHA256 != sum || st.Kind != "tarball" || st.FleetID != "e2e-stage" {
		t.Fatalf("stage: %+v (%v): %s", st, err, r)
	}
	// Staging again (the controller retrying) is a no-op that succeeds.
	e2etest.MustSysroll(t, "stage", s.name, "--artifact", tgz, "--version", "v2", "--expect-sha256", sum)

	if h, r := s.has("v2", sum); !h.Has || r.Code != 0 || h.SHA256 != sum {
		t.Errorf("--has v2 with its sha256: %+v, %s", h, r)
	}
	if h, r := s.has("v2", wrong); h.Has || r.Code != 1 || !strings.Contains(h.Reason, sum) {
		t.Errorf("--has v2 with another sha256: %+v, %s", h, r)
	}
	if h, r := s.has("v3", sum); h.Has || r.Code != 1 {
		t.Errorf("--has v3 (never staged): %+v, %s", h, r)
	}

	r = e2etest.Sysroll(t, "deploy", s.name, "--version", "v3")
	if r.Code != 2 || !strings.Contains(r.Stderr, "not staged") || !strings.Contains(r.Stderr, "staged: v1, v2") {
		t.Errorf("deploy --version v3 (not staged): %s", r)
	}

	now := e2etest.Invocations(t, s.units())
	for _, u := range s.units() {
		if now[u] != before[u] {
			t.Errorf("%s was restarted by stage or a refused deploy", u)
		}
	}
	e2etest.WaitVersion(t, s.name, s.ports, "v1", 0)
}
