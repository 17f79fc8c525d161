package controller

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/fleet/journal"
	"github.com/sysroll/sysroll/internal/fleet/plan"
	"github.com/sysroll/sysroll/internal/schema"
)

// TestFromProbe: each part of the host's answer, or its error naming the
// host and the part; a claim the controller cannot validate blocks.
func TestFromProbe(t *testing.T) {
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	good := &journal.Claim{Schema: journal.ClaimSchema, FleetID: "f0", Service: "hello", Kind: journal.KindDeploy, Target: "v2",
		Controller: "me@there", Created: at, Strategy: journal.FromPlan(plan.Strategy{}.WithDefaults()),
		Batches: [][]string{{"h1"}}, Host: "h1", Part: journal.Part{Phase: plan.PhaseRolling, Updated: at}}
	bad := *good
	bad.Schema = "sysroll.fleet.claim/v0"
	st := &schema.Status{Schema: schema.StatusV1, Service: "hello", Instances: []schema.InstanceStatus{{Instance: "8081"}}}
	v := schema.Version{Schema: schema.VersionV1, Protocol: schema.FleetProtocol, BootID: "b1"}
	for _, tt := range []struct {
		name      string
		p         schema.Probe
		askedHas  bool
		status    string // StatusErr's text, "" for none
		has       bool
		hasErr    string
		claims    int
		claimsErr string
	}{
		{name: "every part", p: schema.Probe{Service: "hello", Version: v, Status: st, Has: &schema.Has{Has: true}, Claims: []*journal.Claim{good}},
			askedHas: true, has: true, claims: 1},
		{name: "not applied", p: schema.Probe{Service: "hello", Version: v, StatusError: "service hello is not installed here", HasError: "not installed"},
			askedHas: true, status: "h1: sysroll status hello: service hello is not installed here", hasErr: "h1: sysroll stage hello --has: not installed"},
		{name: "no status and no error", p: schema.Probe{Service: "hello", Version: v}, status: "h1: sysroll probe hello: no status"},
		{name: "has asked, not answered", p: schema.Probe{Service: "hello", Version: v, Status: st}, askedHas: true, hasErr: "no answer to --has"},
		{name: "has not asked", p: schema.Probe{Service: "hello", Version: v, Status: st}},
		{name: "an unreadable claim on the host", p: schema.Probe{Service: "hello", Version: v, Status: st, ClaimsError: "f9.json: unexpected end"},
			claimsErr: "h1: the fleet claims in /var/lib/sysroll/hello/fleet: f9.json: unexpected end"},
		{name: "a claim the controller refuses", p: schema.Probe{Service: "hello", Version: v, Status: st, Claims: []*journal.Claim{good, &bad}},
			claims: 1, claimsErr: "claim f0: schema"},
		{name: "a null claim", p: schema.Probe{Service: "hello", Version: v, Status: st, Claims: []*journal.Claim{nil}}, claimsErr: "a null claim"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := fromProbe("h1", tt.p, tt.askedHas)
			if got.Version != v {
				t.Errorf("version %+v", got.Version)
			}
			if !errText(got.StatusErr, tt.status) || (tt.status == "" && len(got.Status.Instances) != 1) {
				t.Errorf("status %+v, %v; want error %q", got.Status, got.StatusErr, tt.status)
			}
			if got.Has != tt.has || !errText(got.HasErr, tt.hasErr) {
				t.Errorf("has %v, %v; want %v, %q", got.Has, got.HasErr, tt.has, tt.hasErr)
			}
			if len(got.Claims) != tt.claims || !errText(got.ClaimsErr, tt.claimsErr) {
				t.Errorf("claims %d, %v; want %d, %q", len(got.Claims), got.ClaimsErr, tt.claims, tt.claimsErr)
			}
		})
	}
}

// errText: err is nil when want is "", else its message contains want.
func errText(err error, want string) bool {
	if want == "" {
		return err == nil
	}
	return err != nil && strings.Contains(err.Error(), want)
}

// TestPrepareProbes: a host that has the build is read in one probe
// before the first batch and in one before every batch, its claims with
// it; a host without the build has its claims read apart before anything
// is copied, and is probed once the build is there.
func TestPrepareProbes(t *testing.T) {
	w, hs, o := newFleet(t)
	hs[2].noBinary = true
	var cs []*claimFake
	for _, h := range hs {
		cs = append(cs, &claimFake{fakeHost: h})
	}
	rep, err := Run(context.Background(), claimHosts(cs), o.Options)
	if err != nil || !rep.OK() {
		t.Fatalf("run: %v %+v", err, rep)
	}
	// prepare: h1 and h2 once, h3 before and after its copy; then 3
	// batches' preflights of the 3 hosts, which need no handshake.
	if got := len(w.calls("probe-handshake")); got != 4 {
		t.Errorf("%d handshake probes, want 4: %v", got, w.log)
	}
	if got := len(w.calls("probe")); got != 3*3 {
		t.Errorf("%d preflight probes, want 9: %v", got, w.log)
	}
	if got := w.calls("claims"); len(got) != 1 || got[0] != "h3 claims" {
		t.Errorf("claims read apart %v, want h3's only (it had no build to probe)", got)
	}
	if claims, push := w.index("h3 claims"), w.index("h3 push-binary"); claims < 0 || push < claims {
		t.Errorf("h3's claims read at %d, its build copied at %d: want the claims first", claims, push)
	}
	if got := w.calls("has"); len(got) != 3 {
		t.Errorf("has asked %v, want once per host (in prepare's probe)", got)
	}
}

// TestPrepareRefusesClaimed: a foreign claim refuses the rollout before
// anything is copied, whether it comes with the probe or is read apart
// on a host without the build; an unreadable one refuses too.
func TestPrepareRefusesClaimed(t *testing.T) {
	old := killedJournal()
	old.ID = "f0"
	for _, tt := range []struct {
		name    string
		noBuild bool
		bad     bool
		want    string
	}{
		{name: "in the probe", want: "fleet rollout f0"},
		{name: "read apart, no build", noBuild: true, want: "fleet rollout f0"},
		{name: "unreadable, in the probe", bad: true, want: "unreadable"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w, hs, o := newFleet(t)
			hs[1].noBinary = tt.noBuild
			var cs []*claimFake
			for _, h := range hs {
				cs = append(cs, &claimFake{fakeHost: h})
			}
			cs[1].plant(t, old)
			if tt.bad {
				cs[1].claims["f0"] = []byte(`{"schema":`)
			}
			_, err := Run(context.Background(), claimHosts(cs), o.Options)
			var refused *RefusedError
			if !errors.As(err, &refused) || refused.Phase != "preflight (claims)" || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "host h2") {
				t.Fatalf("err %v, want a claims refusal naming h2 and %q", err, tt.want)
			}
			for _, act := range []string{"push-binary", "push-artifact", "stage", "start", "claim"} {
				if got := w.calls(act); len(got) > 0 {
					t.Errorf("refused rollout did %v", got)
				}
			}
		})
	}
}
