//go:build integration

package fleetverbs

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/fleet/journal"
)

// TestSkipUnreachable: with h2's link to the controller cut (nftables in
// its namespace), fleet deploy --skip-unreachable rolls h1 and h3 to v2,
// leaves h2 on v1, and says so: in the notes, the summary ("skipped:
// unreachable"), and the journal and the claims. Exit 0: the skip was
// asked for.
func TestSkipUnreachable(t *testing.T) {
	s := newService(t, "fv-skip", 25511, 25512)
	h2 := s.f.Host("h2")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h2.CutNetwork(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := h2.RestoreNetwork(ctx); err != nil {
			t.Errorf("restore h2's network: %v", err)
		}
	})
	r := s.controller(s.fastSSHConfig(), "fleet", "deploy", s.file(), "--artifact", s.release("v2"), "--version", "v2",
		"--skip-unreachable", "--json")
	if r.Code != 0 {
		t.Fatalf("fleet deploy --skip-unreachable: %s", r)
	}
	_, sum := parse(t, r.Stdout)
	for l := range strings.Lines(r.Stdout) {
		if strings.Contains(l, "fleet-") { // the controller's own lines, not the hosts' events
			t.Logf("%s", strings.TrimSpace(l))
		}
	}
	if got := results(sum); got != "h1=succeeded h2=skipped: unreachable h3=succeeded" {
		t.Errorf("summary %s", got)
	}
	if !strings.Contains(r.Stdout, `"host":"h2","message":"skipped (--skip-unreachable)`) &&
		!strings.Contains(r.Stdout, "skipped (--skip-unreachable)") {
		t.Errorf("no note says h2 was skipped:\n%s", r.Stdout)
	}
	_, rels := s.snapshot()
	want := map[string]string{"h1": s.want("v2"), "h2": s.want("v1"), "h3": s.want("v2")}
	for n, w := range want {
		if rels[n] != w {
			t.Errorf("%s: %s, want %s", n, rels[n], w)
		}
	}
	data, err := os.ReadFile(sum.Journal)
	if err != nil {
		t.Fatal(err)
	}
	j, err := journal.Decode(sum.Journal, data)
	if err != nil {
		t.Fatal(err)
	}
	if len(j.Skipped) != 1 || j.Skipped[0].Name != "h2" || j.Result != journal.ResultSucceeded {
		t.Errorf("journal: result %s, skipped %+v", j.Result, j.Skipped)
	}
	for _, h := range []string{"h1", "h3"} {
		raw := s.f.Host(h).MustExec(t, "cat", "/var/lib/sysroll/fv-skip/fleet/"+sum.FleetID+".json")
		c, err := journal.DecodeClaim(h, []byte(raw))
		if err != nil || len(c.Skipped) != 1 || c.Skipped[0].Name != "h2" {
			t.Errorf("%s: claim: %v, %+v", h, err, c)
		}
	}
}

// fastSSHConfig is the fleet's ssh_config with a 2 s connect timeout, so
// the cut host is found unreachable in 2 s.
func (s *service) fastSSHConfig() string {
	s.t.Helper()
	data, err := os.ReadFile(s.f.SSHConfigPath())
	if err != nil {
		s.t.Fatal(err)
	}
	p := filepath.Join(s.local, "ssh_config_fast")
	if err := os.WriteFile(p, append([]byte("Host *\n  ConnectTimeout 2\n\n"), data...), 0o600); err != nil {
		s.t.Fatal(err)
	}
	return p
}
