//go:build integration

package fleetverbs

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/fleet/controller"
)

// TestVerbs walks one service through the fleet verbs on 3 real hosts:
//
//  1. fleet restart: every instance's InvocationID changes, each stays on
//     v1, and no two instance batches were in flight fleet-wide (host
//     batch 1, each host restarting one instance at a time);
//  2. after a fleet deploy of v2, fleet rollback --to v0, a release h3
//     lacks (h1 and h2 had it staged): refused naming h3, nothing touched
//     on any host (releases, InvocationIDs, fleet claims);
//  3. fleet rollback: every instance back on v1;
//  4. fleet history: every host's part of the three fleet rollouts,
//     grouped by fleet ID, with the host;
//  5. fleet uninstall: refused without --yes, then the units are gone on
//     every host.
func TestVerbs(t *testing.T) {
	s := newService(t, "fv-verbs", 25501, 25502)
	before, rels := s.snapshot()
	for n, r := range rels {
		if r != s.want("v1") {
			t.Fatalf("%s after apply: %s", n, r)
		}
	}

	// 1. restart.
	r := s.controller("", "fleet", "restart", s.file(), "--json")
	if r.Code != 0 {
		t.Fatalf("fleet restart: %s", r)
	}
	lines, sum := parse(t, r.Stdout)
	if got := results(sum); got != "h1=succeeded h2=succeeded h3=succeeded" {
		t.Errorf("restart summary %s", got)
	}
	if most, n := mostInFlight(lines); most != 1 || n != 3*len(s.ports) {
		t.Errorf("restart: %d instance batches, at most %d in flight fleet-wide; want %d, 1", n, most, 3*len(s.ports))
	}
	restarted, rels := s.snapshot()
	for _, h := range s.f.Hosts() {
		n := h.Name()
		if rels[n] != s.want("v1") {
			t.Errorf("%s after the restart: %s, want %s", n, rels[n], s.want("v1"))
		}
		for i, id := range restarted[n] {
			if id == "" || id == before[n][i] {
				t.Errorf("%s instance %d: InvocationID %q before and %q after the restart", n, s.ports[i], before[n][i], id)
			}
		}
	}
	if strings.Contains(r.Stdout, "push-artifact") || strings.Contains(r.Stdout, ".incoming") {
		t.Errorf("the restart copied a release:\n%s", r.Stdout)
	}

	// 2. deploy v2, then rollback --to a release h3 lacks.
	if d := s.controller("", "fleet", "deploy", s.file(), "--artifact", s.release("v2"), "--version", "v2", "--json"); d.Code != 0 {
		t.Fatalf("fleet deploy v2: %s", d)
	}
	for _, h := range s.f.Hosts()[:2] {
		s.writeRelease(h, "/srv/fverb/fv-verbs/v0", "v0")
		h.MustExec(t, e2etest.BinDir+"/sysroll", "stage", s.name, "--artifact", "/srv/fverb/fv-verbs/v0", "--version", "v0")
	}
	onV2, rels := s.snapshot()
	claims := s.claims()
	refused := s.controller("", "fleet", "rollback", s.file(), "--to", "v0")
	if refused.Code != 1 || !strings.Contains(refused.Stderr, "h3") || !strings.Contains(refused.Stderr, "v0") ||
		!strings.Contains(refused.Stderr, "refused at preflight (rollback target) (nothing was touched on any host)") {
		t.Errorf("rollback --to v0 (h3 lacks it): want exit 1 naming h3 and v0, nothing touched; %s", refused)
	}
	t.Logf("rollback --to v0: %s", refused)
	if strings.Contains(refused.Stderr, "h1:") || strings.Contains(refused.Stderr, "h2:") {
		t.Errorf("the refusal blames h1 or h2, which hold v0:\n%s", refused.Stderr)
	}
	after, relsAfter := s.snapshot()
	for n := range onV2 {
		if relsAfter[n] != s.want("v2") || !slices.Equal(after[n], onV2[n]) {
			t.Errorf("%s touched by the refused rollback: %s %v, before %s %v", n, relsAfter[n], after[n], rels[n], onV2[n])
		}
	}
	if got := s.claims(); got != claims {
		t.Errorf("the refused rollback wrote claims: before\n%s\nafter\n%s", claims, got)
	}

	// 3. rollback: back on v1.
	rb := s.controller("", "fleet", "rollback", s.file(), "--json")
	if rb.Code != 0 {
		t.Fatalf("fleet rollback: %s", rb)
	}
	if _, sum := parse(t, rb.Stdout); results(sum) != "h1=succeeded h2=succeeded h3=succeeded" {
		t.Errorf("rollback summary %s", results(sum))
	}
	if !strings.Contains(rb.Stdout, "rollback target: v1 on every host") {
		t.Errorf("the rollback did not say its target:\n%s", rb.Stdout)
	}
	_, rels = s.snapshot()
	for n, r := range rels {
		if r != s.want("v1") {
			t.Errorf("%s after the fleet rollback: %s, want %s", n, r, s.want("v1"))
		}
	}

	// 4. history.
	hist := s.controller("", "fleet", "history", s.file(), "--json")
	if hist.Code != 0 {
		t.Fatalf("fleet history: %s", hist)
	}
	var fh controller.FleetHistory
	if err := json.Unmarshal([]byte(hist.Stdout), &fh); err != nil {
		t.Fatalf("fleet history --json: %v\n%s", err, hist.Stdout)
	}
	byFleet := map[string][]string{} // fleet ID: "host:kind"
	var order []string
	for _, rec := range fh.Rollouts {
		if rec.FleetID == "" {
			continue
		}
		if len(order) == 0 || order[len(order)-1] != rec.FleetID {
			order = append(order, rec.FleetID)
		}
		byFleet[rec.FleetID] = append(byFleet[rec.FleetID], rec.Host+":"+string(rec.Kind))
	}
	if len(order) != 3 || len(byFleet) != 3 {
		t.Errorf("fleet rollouts in the history, in order: %v (each once, grouped); want 3:\n%s", order, hist.Stdout)
	}
	var kinds []string
	for _, id := range order {
		parts := byFleet[id]
		kind := parts[0][strings.Index(parts[0], ":")+1:]
		kinds = append(kinds, kind)
		want := []string{"h1:" + kind, "h2:" + kind, "h3:" + kind}
		if !slices.Equal(parts, want) {
			t.Errorf("fleet rollout %s: %v, want %v", id, parts, want)
		}
	}
	if strings.Join(kinds, " ") != "rollback deploy restart" {
		t.Errorf("fleet rollouts newest first: %v, want rollback deploy restart", kinds)
	}
	table := s.controller("", "fleet", "history", s.file())
	t.Logf("fleet history:\n%s", table.Stdout)
	if table.Code != 0 || !strings.Contains(table.Stdout, "FLEET") || !strings.Contains(table.Stdout, order[0]) {
		t.Errorf("fleet history table: %s", table)
	}

	// 5. uninstall.
	if no := s.controller("", "fleet", "uninstall", s.file()); no.Code != 2 || !strings.Contains(no.Stderr, "--yes") {
		t.Errorf("uninstall without --yes: %s", no)
	}
	if _, rels := s.snapshot(); rels["h1"] != s.want("v1") {
		t.Errorf("uninstall without --yes touched h1: %s", rels["h1"])
	}
	un := s.controller("", "fleet", "uninstall", s.file(), "--yes")
	if un.Code != 0 || strings.Count(un.Stdout, "uninstalled") < 3 {
		t.Fatalf("fleet uninstall: %s", un)
	}
	t.Logf("fleet uninstall:\n%s", un.Stdout)
	for _, h := range s.f.Hosts() {
		out := h.MustExec(t, "sh", "-c", "systemctl list-units --all --plain --no-legend 'fv-verbs*'; ls /etc/systemd/system | grep fv-verbs || true")
		if strings.TrimSpace(out) != "" {
			t.Errorf("%s: units left after the fleet uninstall:\n%s", h.Name(), out)
		}
	}
}

// claims lists every host's fleet claims of the service.
func (s *service) claims() string {
	s.t.Helper()
	var b strings.Builder
	for _, h := range s.f.Hosts() {
		b.WriteString(h.Name() + ": " + h.MustExec(s.t, "sh", "-c", "ls /var/lib/sysroll/"+s.name+"/fleet 2>/dev/null || true"))
	}
	return b.String()
}
