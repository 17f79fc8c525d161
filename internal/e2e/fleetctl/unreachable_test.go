//go:build integration

package fleetctl

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestUnreachableBefore: with h3's link cut (nftables drop inside its
// namespace) before the rollout, fleet deploy is refused at connect,
// naming h3, and nothing is done on h1 and h2, the hosts it could reach:
// no copy, no claim, no record, every instance still on v1.
func TestUnreachableBefore(t *testing.T) {
	s := newService(t, "fc-unreach", 25323, 25324)
	h3 := s.f.Host("h3")
	before := map[string]string{}
	for _, h := range s.f.Hosts() {
		before[h.Name()] = s.footprint(h)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := h3.CutNetwork(ctx); err != nil {
		t.Fatal(err)
	}
	restored := false
	restore := func() {
		if !restored {
			restored = true
			if err := h3.RestoreNetwork(context.Background()); err != nil {
				t.Errorf("restore h3's link: %v", err)
			}
		}
	}
	defer restore()
	state := t.TempDir()
	r := s.controller("fleet", "deploy", s.file(), "--artifact", s.release("v2", ""), "--version", "v2",
		"--ssh-config", s.f.SSHConfigPath(), "--state-dir", state)
	t.Logf("refusal after %s:\n%s", r.Took.Round(time.Millisecond), r.Stderr)
	if r.Code != 1 {
		t.Fatalf("fleet deploy with h3 unreachable: %s", r)
	}
	if !strings.Contains(r.Stderr, "h3") || !strings.Contains(r.Stderr, "refused at connect") || !strings.Contains(r.Stderr, "nothing was touched") ||
		!strings.Contains(r.Stderr, "fix: bring h3 back") || !strings.Contains(r.Stderr, "--limit '!h3'") {
		t.Errorf("the refusal does not name h3 at connect, nothing touched, with the fix:\n%s", r.Stderr)
	}
	for _, n := range []string{"h1", "h2"} {
		if strings.Contains(r.Stderr, n+":") {
			t.Errorf("the refusal blames reachable %s:\n%s", n, r.Stderr)
		}
	}
	restore()
	for _, h := range s.f.Hosts() {
		if got := s.footprint(h); got != before[h.Name()] {
			t.Errorf("%s was touched:\nbefore:\n%s\nafter:\n%s", h.Name(), before[h.Name()], got)
		}
		if got := s.releases(h); got != s.want("v1") {
			t.Errorf("%s: instances %s, want %s", h.Name(), got, s.want("v1"))
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(state, "fleet")); len(ents) != 0 {
		t.Errorf("a journal was written for a refused rollout: %v", ents)
	}
}
