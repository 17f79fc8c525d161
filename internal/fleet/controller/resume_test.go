package controller

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/fleet/journal"
	"github.com/sysroll/sysroll/internal/fleet/plan"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/sshx"
)

// killedJournal is fleet rollout f1 of v2 over h1..h3, one host per
// batch, as a controller killed during h2's step left it: h1 done, h2
// rolling, h3 staged.
func killedJournal(phases ...plan.Phase) *journal.Journal {
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	j := &journal.Journal{Schema: journal.Schema, ID: "f1", Service: "hello", Kind: journal.KindDeploy,
		Target: "v2", Controller: "me@there", Started: at, Updated: at, Result: journal.ResultRunning,
		Strategy: journal.FromPlan(plan.Strategy{}.WithDefaults()), Batches: [][]string{{"h1"}, {"h2"}, {"h3"}}}
	if len(phases) == 0 {
		phases = []plan.Phase{plan.PhaseDone, plan.PhaseRolling, plan.PhaseStaged}
	}
	for i, n := range []string{"h1", "h2", "h3"} {
		h := journal.Host{Name: n, Batch: i, Phase: phases[i], BootID: "boot-" + n, Updated: at}
		if phases[i] == plan.PhaseDone {
			h.Result = plan.HostSucceeded
		}
		j.Hosts = append(j.Hosts, h)
	}
	return j
}

func rec(res release.Result) *release.Record {
	return &release.Record{ID: "r-old", FleetID: "f1", Result: res}
}

func newResumeFleet(t *testing.T) (*world, []*claimFake, *ResumeOptions) {
	w, hs, o := newFleet(t)
	var cs []*claimFake
	for _, h := range hs {
		cs = append(cs, &claimFake{fakeHost: h})
	}
	o.FleetID, o.Version = "", "" // the resumed rollout's
	return w, cs, &ResumeOptions{Options: o.Options}
}

func claimHosts(cs []*claimFake) []Host {
	out := make([]Host, len(cs))
	for i, c := range cs {
		out[i] = c
	}
	return out
}

func TestResume(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, cs []*claimFake, o *ResumeOptions)
		// wantActions is the decision per host, "h1=done h2=..."
		wantActions string
		wantResult  journal.Result
		wantStarts  []string
		check       func(t *testing.T, w *world, cs []*claimFake, rep *Report)
	}{
		{
			name: "h2's step ended succeeded while the controller was away: done, then h3 rolls",
			setup: func(_ *testing.T, cs []*claimFake, o *ResumeOptions) {
				o.Journal = killedJournal()
				cs[1].rec = rec(release.ResultSucceeded)
			},
			wantActions: "h1=done h2=done h3=continue",
			wantResult:  journal.ResultSucceeded,
			wantStarts:  []string{"h3 start deploy"},
			check: func(t *testing.T, _ *world, _ []*claimFake, rep *Report) {
				if !rep.OK() {
					t.Errorf("report not OK: %+v", rep.Hosts)
				}
			},
		},
		{
			name: "h2's step still runs: reattached at the journal's offset, never started again",
			setup: func(_ *testing.T, cs []*claimFake, o *ResumeOptions) {
				o.Journal = killedJournal()
				o.Journal.Host("h2").Offset = 3
				cs[1].active = true
				cs[1].events = []byte("ab\n" + `{"type":"rollout-end","result":"succeeded"}` + "\n")
				cs[1].rec = rec(release.ResultSucceeded)
			},
			wantActions: "h1=done h2=reattach h3=continue",
			wantResult:  journal.ResultSucceeded,
			wantStarts:  []string{"h3 start deploy"},
			check: func(t *testing.T, w *world, _ []*claimFake, _ *Report) {
				if got := w.calls("follow"); len(got) == 0 || got[0] != "h2 follow 3" {
					t.Errorf("follows %v, want h2's first at offset 3", got)
				}
			},
		},
		{
			name: "h2's step was killed mid-way (record running): deploy --resume on it, then h3",
			setup: func(_ *testing.T, cs []*claimFake, o *ResumeOptions) {
				o.Journal = killedJournal()
				cs[1].rec = rec(release.ResultRunning)
			},
			wantActions: "h1=done h2=resume-step h3=continue",
			wantResult:  journal.ResultSucceeded,
			wantStarts:  []string{"h2 start deploy", "h3 start deploy"},
		},
		{
			name: "h2 never recorded anything: its step starts afresh",
			setup: func(_ *testing.T, _ []*claimFake, o *ResumeOptions) {
				o.Journal = killedJournal()
			},
			wantActions: "h1=done h2=start h3=continue",
			wantResult:  journal.ResultSucceeded,
			wantStarts:  []string{"h2 start deploy", "h3 start deploy"},
		},
		{
			name: "h2 rolled itself back while the controller was away: the failure action halts, h3 untouched",
			setup: func(_ *testing.T, cs []*claimFake, o *ResumeOptions) {
				o.Journal = killedJournal()
				cs[1].rec = rec(release.ResultRolledBack)
			},
			wantActions: "h1=done h2=failure h3=continue",
			wantResult:  journal.ResultHalted,
		},
		{
			name: "rollback-all: h2's failure found on resume rolls h1 back",
			setup: func(_ *testing.T, cs []*claimFake, o *ResumeOptions) {
				o.Journal = killedJournal()
				o.Strategy.FailureAction = plan.ActionRollbackAll
				cs[1].rec = rec(release.ResultRolledBack)
			},
			wantActions: "h1=done h2=failure h3=continue",
			wantResult:  journal.ResultRolledBack,
			wantStarts:  []string{"h1 start rollback"},
		},
		{
			name: "a changed host key stops the resume: nothing started anywhere",
			setup: func(_ *testing.T, cs []*claimFake, o *ResumeOptions) {
				o.Journal = killedJournal()
				cs[2].connectErr = &sshx.ChangedHostKeyError{Host: "h3"}
			},
			wantActions: "h1=done h2=start h3=refuse",
			wantResult:  journal.ResultHalted,
		},
		{
			name: "no journal: rebuilt from the hosts' claims",
			setup: func(t *testing.T, cs []*claimFake, _ *ResumeOptions) {
				j := killedJournal()
				for _, c := range cs {
					c.plant(t, j)
				}
				cs[1].rec = rec(release.ResultSucceeded)
			},
			wantActions: "h1=done h2=done h3=continue",
			wantResult:  journal.ResultSucceeded,
			wantStarts:  []string{"h3 start deploy"},
			check: func(t *testing.T, _ *world, cs []*claimFake, _ *Report) {
				for _, c := range cs {
					cl, err := journal.DecodeClaim(c.name, c.claims["f1"])
					if err != nil || !cl.Finished {
						t.Errorf("%s: claim after the resume not finished (%v): %s", c.name, err, c.claims["f1"])
					}
				}
			},
		},
		{
			name: "nothing started yet: the plan rolls from its first batch",
			setup: func(_ *testing.T, _ []*claimFake, o *ResumeOptions) {
				o.Journal = killedJournal(plan.PhaseStaged, plan.PhaseStaged, plan.PhaseStaged)
			},
			wantActions: "h1=continue h2=continue h3=continue",
			wantResult:  journal.ResultSucceeded,
			wantStarts:  []string{"h1 start deploy", "h2 start deploy", "h3 start deploy"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, cs, o := newResumeFleet(t)
			tt.setup(t, cs, o)
			rep, ds, err := Resume(context.Background(), claimHosts(cs), *o)
			if err != nil {
				t.Fatalf("Resume: %v", err)
			}
			var got []string
			for _, d := range ds {
				got = append(got, d.Name+"="+string(d.Decision.Action))
			}
			if s := strings.Join(got, " "); s != tt.wantActions {
				t.Errorf("decisions %s, want %s", s, tt.wantActions)
			}
			if rep.Result != tt.wantResult {
				t.Errorf("result %q (%s), want %q", rep.Result, rep.Reason, tt.wantResult)
			}
			if starts := w.calls("start"); !slices.Equal(starts, tt.wantStarts) {
				t.Errorf("starts %v, want %v", w.calls("start"), tt.wantStarts)
			}
			if tt.check != nil {
				tt.check(t, w, cs, rep)
			}
		})
	}
}

func TestResumeStepArgs(t *testing.T) {
	// The fake records the verb only; check the step the controller builds.
	_, cs, o := newResumeFleet(t)
	r, err := newRun(claimHosts(cs), o.Options)
	if err != nil {
		t.Fatal(err)
	}
	r.o.FleetID, r.o.Version = "f1", "v2"
	if got := r.resumeStep().Args; !slices.Equal(got, []string{"deploy", "hello", "--resume"}) {
		t.Errorf("resume step args %v", got)
	}
	if r.resumeStep().Unit != r.deployStep().Unit || r.resumeStep().Events != r.deployStep().Events {
		t.Error("the resumed step must keep the unit name and events file of the step it completes")
	}
}

func TestResumeDryRunChangesNothing(t *testing.T) {
	w, cs, o := newResumeFleet(t)
	j := killedJournal()
	for _, c := range cs {
		c.plant(t, j)
	}
	cs[1].rec = rec(release.ResultSucceeded)
	o.DryRun = true
	rep, ds, err := Resume(context.Background(), claimHosts(cs), *o)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 3 || ds[2].Decision.Action != plan.ResumeContinue {
		t.Fatalf("decisions %+v", ds)
	}
	if got := rep.Hosts[2].Result; got != "would continue" {
		t.Errorf("h3's report %q", got)
	}
	for _, act := range []string{"start", "claim", "stage", "push-artifact", "push-binary", "stop"} {
		if got := w.calls(act); len(got) > 0 {
			t.Errorf("a dry run did %v", got)
		}
	}
}

func TestResumeFindsOneRollout(t *testing.T) {
	t.Run("none", func(t *testing.T) {
		_, cs, o := newResumeFleet(t)
		_, _, err := Resume(context.Background(), claimHosts(cs), *o)
		if !errors.Is(err, ErrNothingToResume) {
			t.Fatalf("err %v, want ErrNothingToResume", err)
		}
	})
	t.Run("none on the reachable hosts, one unreachable: not taken as none", func(t *testing.T) {
		_, cs, o := newResumeFleet(t)
		cs[2].connectErr = errBoom
		_, _, err := Resume(context.Background(), claimHosts(cs), *o)
		if err == nil || errors.Is(err, ErrNothingToResume) || !strings.Contains(err.Error(), "h3 could not be reached") {
			t.Fatalf("err %v, want one naming h3 unreachable", err)
		}
	})
	t.Run("finished claims only", func(t *testing.T) {
		_, cs, o := newResumeFleet(t)
		j := killedJournal(plan.PhaseDone, plan.PhaseDone, plan.PhaseDone)
		j.Result = journal.ResultSucceeded
		for _, c := range cs {
			c.plant(t, j)
		}
		_, _, err := Resume(context.Background(), claimHosts(cs), *o)
		if !errors.Is(err, ErrNothingToResume) {
			t.Fatalf("err %v, want ErrNothingToResume", err)
		}
	})
	t.Run("two unfinished", func(t *testing.T) {
		w, cs, o := newResumeFleet(t)
		a, b := killedJournal(), killedJournal()
		b.ID = "f2"
		cs[0].plant(t, a)
		cs[1].plant(t, b)
		_, _, err := Resume(context.Background(), claimHosts(cs), *o)
		if err == nil || !strings.Contains(err.Error(), "f1 and f2") {
			t.Fatalf("err %v, want a refusal naming f1 and f2", err)
		}
		if len(w.calls("start")) > 0 {
			t.Errorf("started %v", w.calls("start"))
		}
	})
}

// A fleet deploy while another rollout's claim is unfinished is refused
// before anything is copied, naming that rollout and how to resume it.
func TestRunRefusesWhileClaimed(t *testing.T) {
	w, hs, o := newFleet(t)
	var cs []*claimFake
	for _, h := range hs {
		cs = append(cs, &claimFake{fakeHost: h})
	}
	old := killedJournal()
	old.ID = "f0"
	cs[1].plant(t, old)
	_, err := Run(context.Background(), claimHosts(cs), o.Options)
	var refused *RefusedError
	if !errors.As(err, &refused) {
		t.Fatalf("err %v, want a *RefusedError", err)
	}
	msg := err.Error()
	for _, want := range []string{"host h2", "fleet rollout f0", "me@there", "--resume"} {
		if !strings.Contains(msg, want) {
			t.Errorf("refusal does not say %q: %s", want, msg)
		}
	}
	for _, act := range []string{"stage", "push-artifact", "start", "claim"} {
		if got := w.calls(act); len(got) > 0 {
			t.Errorf("refused rollout did %v", got)
		}
	}
	// A finished claim of another rollout blocks nothing.
	w2, hs2, o2 := newFleet(t)
	old.Result = journal.ResultSucceeded
	var cs2 []*claimFake
	for _, h := range hs2 {
		cs2 = append(cs2, &claimFake{fakeHost: h})
	}
	cs2[1].plant(t, old)
	rep, err := Run(context.Background(), claimHosts(cs2), o2.Options)
	if err != nil || !rep.OK() {
		t.Fatalf("with a finished claim: %v %+v", err, rep)
	}
	if len(w2.calls("start")) != 3 {
		t.Errorf("starts %v", w2.calls("start"))
	}
}
