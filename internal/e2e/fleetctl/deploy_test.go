//go:build integration

package fleetctl

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/fleet/journal"
)

// TestGoodRelease: v2 rolls across the 3 hosts one host at a time, every
// instance ends on v2 and healthy, and at no moment were two instances
// out fleet-wide (from the hosts' batch events: each host rolls one
// instance per batch, and no two batches, on any hosts, overlap). A
// second deploy of the same release sends 0 bytes and changes nothing.
func TestGoodRelease(t *testing.T) {
	s := newService(t, "fc-good", 25101, 25102)
	state := t.TempDir()
	rel := s.release("v2", "")
	r := s.controller("fleet", "deploy", s.file(), "--artifact", rel, "--version", "v2",
		"--ssh-config", s.f.SSHConfigPath(), "--state-dir", state, "--json")
	if r.Code != 0 {
		t.Fatalf("fleet deploy: %s", r)
	}
	lines, sum := parse(t, r.Stdout)
	for _, h := range s.f.Hosts() {
		if got := s.releases(h); got != s.want("v2") {
			t.Errorf("%s: instances %s, want %s", h.Name(), got, s.want("v2"))
		}
	}
	var sent int64
	for _, h := range sum.Hosts {
		if h.Result != "succeeded" {
			t.Errorf("summary: %s %s (%s)", h.Host, h.Result, h.Detail)
		}
		sent += h.Sent
		t.Logf("first deploy: %s sent %d bytes (%s)", h.Host, h.Sent, h.Detail)
	}
	if sent == 0 {
		t.Errorf("the first deploy of v2 sent nothing")
	}

	// One instance out at a time, fleet-wide: batches in flight over time.
	type mark struct {
		at    time.Time
		delta int
		host  string
	}
	var marks []mark
	steps := map[string][2]time.Time{} // host: first event, rollout-end
	for _, l := range lines {
		if l.Host == "" || strings.HasPrefix(l.Type, "fleet-") {
			continue
		}
		switch l.Type {
		case "batch-start":
			marks = append(marks, mark{l.Time, +1, l.Host})
		case "batch-done":
			marks = append(marks, mark{l.Time, -1, l.Host})
		}
		st := steps[l.Host]
		if st[0].IsZero() {
			st[0] = l.Time
		}
		if l.Type == "rollout-end" {
			st[1] = l.Time
			if l.Result != "succeeded" {
				t.Errorf("%s: rollout-end %s", l.Host, l.Result)
			}
		}
		steps[l.Host] = st
	}
	if len(steps) != 3 || len(marks) != 2*3*len(s.ports) {
		t.Fatalf("events of %d hosts, %d batch marks; want 3 hosts, %d marks:\n%s", len(steps), len(marks), 2*3*len(s.ports), r.Stdout)
	}
	slices.SortStableFunc(marks, func(a, b mark) int { return a.at.Compare(b.at) })
	inFlight, most := 0, 0
	for _, m := range marks {
		inFlight += m.delta
		most = max(most, inFlight)
	}
	if most != 1 {
		t.Errorf("at most %d instance batches were in flight fleet-wide at once, want 1", most)
	}
	order := []string{"h1", "h2", "h3"}
	for i := 1; i < len(order); i++ {
		prev, cur := steps[order[i-1]], steps[order[i]]
		if !cur[0].After(prev[1]) {
			t.Errorf("%s started at %s, before %s ended at %s", order[i], cur[0].Format(time.StampMilli), order[i-1], prev[1].Format(time.StampMilli))
		}
	}

	// The journal and the claims.
	data, err := os.ReadFile(sum.Journal)
	if err != nil {
		t.Fatalf("journal: %v", err)
	}
	j, err := journal.Decode(sum.Journal, data)
	if err != nil || j.Result != journal.ResultSucceeded || len(j.Batches) != 3 {
		t.Errorf("journal %s: %v, %+v", sum.Journal, err, j)
	}
	for _, h := range s.f.Hosts() {
		raw := h.MustExec(t, "cat", "/var/lib/sysroll/fc-good/fleet/"+sum.FleetID+".json")
		c, err := journal.DecodeClaim(h.Name(), []byte(raw))
		if err != nil || !c.Finished || c.Part.Result != "succeeded" {
			t.Errorf("%s: claim: %v, %+v", h.Name(), err, c)
		}
	}

	// Again: nothing to copy.
	again := s.controller("fleet", "deploy", s.file(), "--artifact", rel, "--version", "v2",
		"--ssh-config", s.f.SSHConfigPath(), "--state-dir", state, "--json")
	if again.Code != 0 {
		t.Fatalf("second fleet deploy: %s", again)
	}
	_, sum2 := parse(t, again.Stdout)
	for _, h := range sum2.Hosts {
		t.Logf("second deploy: %s sent %d bytes (%s)", h.Host, h.Sent, h.Detail)
		if h.Sent != 0 || h.Result != "succeeded" {
			t.Errorf("second deploy: %s sent %d bytes, %s; want 0, succeeded", h.Host, h.Sent, h.Result)
		}
	}
	t.Logf("first deploy %s, second %s", r.Took.Round(time.Millisecond), again.Took.Round(time.Millisecond))
}
