package controller

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/fleet/journal"
	"github.com/sysroll/sysroll/internal/fleet/plan"
	"github.com/sysroll/sysroll/internal/release"
)

// heardAt is when killedLease's controller was last heard of.
var heardAt = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// fixed is a clock stopped at t.
func fixed(t time.Time) func() time.Time { return func() time.Time { return t } }

// killedLease is killedJournal with a heartbeat at heardAt and the given
// lease, planted on every host (as a killed controller leaves them).
func killedLease(t *testing.T, cs []*claimFake, lease time.Duration, released bool) {
	j := killedJournal()
	j.Strategy = journal.FromPlan(plan.Strategy{Lease: lease}.WithDefaults())
	j.Heartbeat, j.Released = heardAt, released
	for _, c := range cs {
		c.plant(t, j)
	}
	cs[1].rec = rec(release.ResultSucceeded)
}

func TestResumeLease(t *testing.T) {
	tests := []struct {
		name     string
		lease    time.Duration
		released bool
		after    time.Duration // how long after the heartbeat the resume runs
		takeOver bool
		// wantErr is the LeaseError's text, in parts; "" for a resume that
		// goes on, taking over with wantForced.
		wantErr    []string
		wantForced bool
		wantSilent string
	}{
		{name: "live lease refuses, naming owner, rollout, age and the take-over", after: 5 * time.Second,
			wantErr: []string{"fleet rollout f1 is driven by me@there", "heard of 5s ago", "lease 30s", "once the lease expires (in 25s)", "`sysroll fleet deploy FILE --resume --take-over`"}},
		{name: "just inside the lease still refuses", after: 29 * time.Second, wantErr: []string{"heard of 29s ago"}},
		{name: "expired lease: resume goes on and records the take-over", after: 31 * time.Second, wantSilent: "31s"},
		{name: "the service file's lease is the claims'", lease: 5 * time.Second, after: 6 * time.Second, wantSilent: "6s"},
		{name: "live lease with --take-over: forced", after: 2 * time.Second, takeOver: true, wantForced: true, wantSilent: "2s"},
		{name: "released lease (the controller ended): no take-over needed", released: true, after: time.Second, wantSilent: "1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, cs, o := newResumeFleet(t)
			killedLease(t, cs, tt.lease, tt.released)
			o.Now, o.TakeOver = fixed(heardAt.Add(tt.after)), tt.takeOver
			before := string(cs[0].claims["f1"])
			rep, _, err := Resume(context.Background(), claimHosts(cs), *o)
			if len(tt.wantErr) > 0 {
				var le *LeaseError
				if !errors.As(err, &le) {
					t.Fatalf("Resume: %v, want a LeaseError", err)
				}
				for _, want := range tt.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error lacks %q: %v", want, err)
					}
				}
				if got := w.calls("start"); len(got) > 0 {
					t.Errorf("started %v while refusing", got)
				}
				if got := string(cs[0].claims["f1"]); got != before {
					t.Errorf("a refused resume rewrote h1's claim:\n%s", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resume: %v", err)
			}
			if rep.Result != journal.ResultSucceeded {
				t.Errorf("result %s (%s)", rep.Result, rep.Reason)
			}
			for _, c := range cs {
				cl, err := journal.DecodeClaim(c.name, c.claims["f1"])
				if err != nil {
					t.Fatal(err)
				}
				want := journal.TakeOver{By: "me@here", From: "me@there", At: heardAt.Add(tt.after), Silent: tt.wantSilent, Forced: tt.wantForced}
				if len(cl.TakeOvers) != 1 || cl.TakeOvers[0] != want {
					t.Errorf("%s: take-overs %+v, want %+v", c.name, cl.TakeOvers, want)
				}
				if cl.Owner() != "me@here" || cl.Controller != "me@there" {
					t.Errorf("%s: owner %s, started by %s", c.name, cl.Owner(), cl.Controller)
				}
			}
		})
	}
}

func TestResumeLeaseDryRun(t *testing.T) {
	w, cs, o := newResumeFleet(t)
	killedLease(t, cs, 0, false)
	o.Now, o.DryRun = fixed(heardAt.Add(3*time.Second)), true
	p := &progress{}
	o.Progress = p
	before := string(cs[0].claims["f1"])
	if _, _, err := Resume(context.Background(), claimHosts(cs), *o); err != nil {
		t.Fatalf("a dry run over a live lease: %v", err)
	}
	if !strings.Contains(strings.Join(p.notes, "\n"), "dry run: a resume now would be refused: fleet rollout f1 is driven by me@there") {
		t.Errorf("the dry run does not say a resume would be refused:\n%s", strings.Join(p.notes, "\n"))
	}
	if string(cs[0].claims["f1"]) != before || len(w.calls("start")) > 0 {
		t.Error("the dry run changed something")
	}
}

func TestHeartbeat(t *testing.T) {
	_, cs, o := newResumeFleet(t)
	killedLease(t, cs, 0, false)
	o.Journal = nil
	now := heardAt.Add(time.Hour)
	o.Now = fixed(now)
	r, err := newRun(claimHosts(cs), o.Options)
	if err != nil {
		t.Fatal(err)
	}
	r.j, r.o.FleetID = killedJournal(), "f1"
	r.o.Strategy.Lease = 30 * time.Millisecond // a beat every 10 ms (the file could not say so: 1s at least)
	stop := r.startHeartbeat(context.Background())
	deadline := time.Now().Add(5 * time.Second)
	for {
		cl, err := journal.DecodeClaim("h3", cs[2].claim("f1"))
		if err != nil {
			t.Fatal(err)
		}
		if cl.Heartbeat.Equal(now) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no heartbeat on h3's claim after 5 s: %v\n%s", cl.Heartbeat, cs[2].claim("f1"))
		}
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	if !r.j.Heartbeat.Equal(now) {
		t.Errorf("journal heartbeat %v, want %v", r.j.Heartbeat, now)
	}
	// Stopped means stopped: no write after stop returns.
	cs[2].cmu.Lock()
	cs[2].claims["f1"] = []byte("x")
	cs[2].cmu.Unlock()
	time.Sleep(50 * time.Millisecond)
	if string(cs[2].claim("f1")) != "x" {
		t.Error("a heartbeat after stop")
	}
}

// A new fleet deploy over a live foreign claim names it running.
func TestDeployRefusesLiveClaim(t *testing.T) {
	w, cs, o := newResumeFleet(t)
	killedLease(t, cs, 0, false)
	o.FleetID, o.Version = "f2", "v3"
	o.Now = fixed(heardAt.Add(4 * time.Second))
	_, err := Run(context.Background(), claimHosts(cs), o.Options)
	var re *RefusedError
	if !errors.As(err, &re) {
		t.Fatalf("Run over a live claim: %v", err)
	}
	for _, want := range []string{"claimed by fleet rollout f1 (started by me@there)", "its controller is running (heard of 4s ago)", "--resume --take-over"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal lacks %q: %v", want, err)
		}
	}
	if got := w.calls("start"); len(got) > 0 {
		t.Errorf("started %v", got)
	}
}

// claim is h's claim of fleet rollout id, as last written.
func (h *claimFake) claim(id string) []byte {
	h.cmu.Lock()
	defer h.cmu.Unlock()
	return h.claims[id]
}

// A controller whose rollout another took over (--take-over) finds out at
// its next heartbeat, writes no claim from then on and starts nothing.
func TestDeposedByTakeOver(t *testing.T) {
	w, cs, o := newResumeFleet(t)
	o.Now = fixed(heardAt.Add(time.Minute))
	r, err := newRun(claimHosts(cs), o.Options)
	if err != nil {
		t.Fatal(err)
	}
	r.j, r.o.FleetID, r.o.Version = killedJournal(plan.PhaseStaged, plan.PhaseStaged, plan.PhaseStaged), "f1", "v2"
	theirs := killedJournal(plan.PhaseStaged, plan.PhaseStaged, plan.PhaseStaged)
	theirs.TakeOvers = []journal.TakeOver{{By: "you@there", From: "me@there", At: heardAt, Silent: "3s", Forced: true}}
	cs[1].plant(t, theirs)
	r.beat(context.Background(), time.Second)
	if by := r.deposedBy(); by != "you@there" {
		t.Fatalf("deposed by %q, want you@there", by)
	}
	before := string(cs[1].claim("f1"))
	if err := r.claim(context.Background(), "h2"); err != nil || string(cs[1].claim("f1")) != before {
		t.Errorf("a deposed controller rewrote h2's claim (%v)", err)
	}
	p := &plan.Plan{Batches: []plan.Batch{{Hosts: []string{"h1"}, Size: 1}, {Hosts: []string{"h2"}, Size: 1}, {Hosts: []string{"h3"}, Size: 1}}}
	res, reason, err := r.loop(context.Background(), p, 0, nil, nil, 0)
	if err != nil || res != journal.ResultInterrupted || !strings.Contains(reason, "taken over by you@there") {
		t.Errorf("loop of a deposed controller: %s, %q, %v", res, reason, err)
	}
	if got := w.calls("start"); len(got) > 0 {
		t.Errorf("a deposed controller started %v", got)
	}
}
