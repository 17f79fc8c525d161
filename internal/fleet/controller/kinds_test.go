package controller

import (
	"context"
	"errors"
	"net"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/fleet/journal"
	"github.com/sysroll/sysroll/internal/fleet/plan"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/sshx"
)

var errUnreachable = &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("i/o timeout")}

// TestKinds: a restart and a rollback run their verb on every host, copy
// and stage nothing, record their kind and target in the journal, and
// halt (never "roll back") on a failure; rollback --to refuses, nothing
// touched, when a host lacks the release.
func TestKinds(t *testing.T) {
	tests := []struct {
		name        string
		setup       func(hs []*fakeHost, o *testOptions)
		wantRefused string
		wantResult  journal.Result
		wantTarget  string
		wantHosts   string
		wantArgs    []string // h1's first step
		wantStarts  []string
		check       func(t *testing.T, w *world, rep *Report)
	}{
		{
			name:       "restart: every host restarts, nothing is copied or staged",
			setup:      func(_ []*fakeHost, o *testOptions) { o.Kind = journal.KindRestart },
			wantResult: journal.ResultSucceeded,
			wantHosts:  "h1=succeeded h2=succeeded h3=succeeded",
			wantArgs:   []string{"restart", "hello", "--fleet", "f1"},
			wantStarts: []string{"h1 start restart", "h2 start restart", "h3 start restart"},
			check: func(t *testing.T, w *world, rep *Report) {
				noneOf("has", "push-artifact", "stage", "rollback-target")(t, w, nil, nil, nil)
				if w.index("h1 status") < 0 {
					t.Errorf("the service was not checked on h1: %v", w.log)
				}
				if rep.Reason != "every host restarted" {
					t.Errorf("reason %q", rep.Reason)
				}
			},
		},
		{
			name:       "rollback: the target every host's dry run names, no copy",
			setup:      func(_ []*fakeHost, o *testOptions) { o.Kind = journal.KindRollback },
			wantResult: journal.ResultSucceeded,
			wantTarget: "v1",
			wantHosts:  "h1=succeeded h2=succeeded h3=succeeded",
			wantArgs:   []string{"rollback", "hello", "--fleet", "f1"},
			wantStarts: []string{"h1 start rollback", "h2 start rollback", "h3 start rollback"},
			check:      func(t *testing.T, w *world, _ *Report) { noneOf("has", "push-artifact", "stage")(t, w, nil, nil, nil) },
		},
		{
			name: "rollback --to: passed on to each host",
			setup: func(_ []*fakeHost, o *testOptions) {
				o.Kind, o.To = journal.KindRollback, "v0"
			},
			wantResult: journal.ResultSucceeded,
			wantTarget: "v0",
			wantHosts:  "h1=succeeded h2=succeeded h3=succeeded",
			wantArgs:   []string{"rollback", "hello", "--to", "v0", "--fleet", "f1"},
			wantStarts: []string{"h1 start rollback", "h2 start rollback", "h3 start rollback"},
		},
		{
			name: "rollback --to a release one host lacks: refused, nothing touched",
			setup: func(hs []*fakeHost, o *testOptions) {
				o.Kind, o.To = journal.KindRollback, "v0"
				hs[1].lacks = map[string]bool{"v0": true}
			},
			wantRefused: "preflight (rollback target)",
			wantHosts:   "h1=untouched h2=refused h3=untouched",
			check: func(t *testing.T, w *world, rep *Report) {
				noneOf("start", "claim", "push-artifact", "stage")(t, w, nil, nil, nil)
				if !strings.Contains(rep.Hosts[1].Detail, "no release v0") || !strings.Contains(rep.Hosts[1].Detail, "fleet history") {
					t.Errorf("h2's detail: %q", rep.Hosts[1].Detail)
				}
			},
		},
		{
			name: "rollback to different releases on different hosts: refused, name one",
			setup: func(hs []*fakeHost, o *testOptions) {
				o.Kind = journal.KindRollback
				hs[2].previous = "v0"
			},
			wantRefused: "preflight (rollback target)",
			wantHosts:   "h1=untouched h2=untouched h3=untouched",
			check:       func(t *testing.T, w *world, _ *Report) { noneOf("start", "claim")(t, w, nil, nil, nil) },
		},
		{
			name: "a failed restart halts the fleet whatever failure_action says: nothing to roll back to",
			setup: func(hs []*fakeHost, o *testOptions) {
				o.Kind = journal.KindRestart
				o.Strategy.FailureAction = plan.ActionRollbackAll
				hs[1].results = map[string]release.Result{"restart": release.ResultRolledBack}
			},
			wantResult: journal.ResultHalted,
			wantHosts:  "h1=succeeded h2=rolled-back h3=untouched",
			wantArgs:   []string{"restart", "hello", "--fleet", "f1"},
			wantStarts: []string{"h1 start restart", "h2 start restart"},
		},
		{
			name: "a failed fleet rollback halts: no host is rolled forward again",
			setup: func(hs []*fakeHost, o *testOptions) {
				o.Kind = journal.KindRollback
				o.Strategy.FailureAction = plan.ActionRollback
				hs[0].results = map[string]release.Result{"rollback": release.ResultFailed}
			},
			wantResult: journal.ResultHalted,
			wantTarget: "v1",
			wantHosts:  "h1=failed h2=untouched h3=untouched",
			wantArgs:   []string{"rollback", "hello", "--fleet", "f1"},
			wantStarts: []string{"h1 start rollback"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, hs, o := newFleet(t)
			o.Strategy.Batch = plan.Size{N: 1}
			tt.setup(hs, o)
			rep := runExpect(t, w, hs, o, expect{tt.wantRefused, tt.wantResult, tt.wantHosts, tt.wantStarts})
			if tt.wantArgs != nil && (len(hs[0].args) == 0 || !slices.Equal(hs[0].args[0], tt.wantArgs)) {
				t.Errorf("h1's step: %q, want %q", hs[0].args, tt.wantArgs)
			}
			if tt.wantResult != "" {
				j := readJournal(t, o.JournalPath)
				if j.Kind != o.Kind || j.Target != tt.wantTarget {
					t.Errorf("journal kind %q target %q, want %q %q", j.Kind, j.Target, o.Kind, tt.wantTarget)
				}
				if o.Kind != journal.KindDeploy && j.Strategy.FailureAction != string(plan.ActionHalt) {
					t.Errorf("journal failure action %q, want halt", j.Strategy.FailureAction)
				}
			}
			if tt.check != nil {
				tt.check(t, w, rep)
			}
		})
	}
}

// TestSkipUnreachable: with --skip-unreachable a host that cannot be
// reached is left out (the report, the journal and every claim say so)
// and the others roll; its instances count as down for the floor; a key
// problem is never skipped; without the flag the rollout is refused.
func TestSkipUnreachable(t *testing.T) {
	tests := []struct {
		name        string
		setup       func(hs []*fakeHost, o *testOptions)
		wantRefused string
		wantResult  journal.Result
		wantHosts   string
		wantStarts  []string
	}{
		{
			name: "one host unreachable: the other two roll",
			setup: func(hs []*fakeHost, o *testOptions) {
				o.SkipUnreachable = true
				hs[1].connectErr = errUnreachable
			},
			wantResult: journal.ResultSucceeded,
			wantHosts:  "h1=succeeded h2=skipped: unreachable h3=succeeded",
			wantStarts: []string{"h1 start deploy", "h3 start deploy"},
		},
		{
			name: "restart too",
			setup: func(hs []*fakeHost, o *testOptions) {
				o.SkipUnreachable, o.Kind = true, journal.KindRestart
				hs[0].connectErr = errUnreachable
			},
			wantResult: journal.ResultSucceeded,
			wantHosts:  "h1=skipped: unreachable h2=succeeded h3=succeeded",
			wantStarts: []string{"h2 start restart", "h3 start restart"},
		},
		{
			name: "a dry run says which host it would skip",
			setup: func(hs []*fakeHost, o *testOptions) {
				o.SkipUnreachable, o.DryRun = true, true
				hs[2].connectErr = errUnreachable
			},
			wantHosts: "h1=would roll h2=would roll h3=skipped: unreachable",
		},
		{
			name:        "without the flag: refused",
			setup:       func(hs []*fakeHost, _ *testOptions) { hs[1].connectErr = errUnreachable },
			wantRefused: "connect",
			wantHosts:   "h1=untouched h2=refused h3=untouched",
		},
		{
			name: "a changed host key is never skipped",
			setup: func(hs []*fakeHost, o *testOptions) {
				o.SkipUnreachable = true
				hs[1].connectErr = errUnreachable
				hs[2].connectErr = &sshx.ChangedHostKeyError{Host: "h3"}
			},
			wantRefused: "connect",
			wantHosts:   "h1=untouched h2=refused h3=refused",
		},
		{
			name: "every host unreachable: nothing to roll, refused",
			setup: func(hs []*fakeHost, o *testOptions) {
				o.SkipUnreachable = true
				for _, h := range hs {
					h.connectErr = errUnreachable
				}
			},
			wantRefused: "connect",
			wantHosts:   "h1=refused h2=refused h3=refused",
		},
		{
			name: "the skipped host's instances count as down: below min_available, the first batch is refused",
			setup: func(hs []*fakeHost, o *testOptions) {
				o.SkipUnreachable = true
				o.Strategy.MinAvailable = plan.Size{Percent: 50} // of 6 instances: 3; h2's 2 are down and a batch takes 2 more
				hs[1].connectErr = errUnreachable
			},
			wantResult: journal.ResultHalted,
			wantHosts:  "h1=untouched h2=skipped: unreachable h3=untouched",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, hs, o := newFleet(t)
			o.Strategy.Batch = plan.Size{N: 1}
			p := &progress{}
			o.Progress = p
			tt.setup(hs, o)
			rep := runExpect(t, w, hs, o, expect{tt.wantRefused, tt.wantResult, tt.wantHosts, tt.wantStarts})
			if tt.wantResult == "" {
				return
			}
			if ok := tt.wantResult == journal.ResultSucceeded; rep.OK() != ok {
				t.Errorf("OK %v, want %v", rep.OK(), ok)
			}
			j := readJournal(t, o.JournalPath)
			var skipped []string
			for _, s := range j.Skipped {
				skipped = append(skipped, s.Name)
				if !strings.Contains(s.Why, "unreachable") {
					t.Errorf("skipped %s: why %q", s.Name, s.Why)
				}
			}
			want := []string{}
			for _, h := range hs {
				if h.connectErr != nil {
					want = append(want, h.name)
					if h.claims != 0 {
						t.Errorf("skipped %s got a claim", h.name)
					}
				}
			}
			if !slices.Equal(append([]string{}, skipped...), want) {
				t.Errorf("journal skipped %v, want %v", skipped, want)
			}
			if !slices.ContainsFunc(p.notes, func(n string) bool { return strings.Contains(n, "skipped (--skip-unreachable)") }) {
				t.Errorf("no note says the host was skipped: %q", p.notes)
			}
			if tt.wantResult == journal.ResultHalted && !strings.Contains(rep.Reason, "capacity") {
				t.Errorf("halted for %q, want the capacity floor", rep.Reason)
			}
		})
	}
}

// expect is what a Run of the fakes must come to: refused at a phase (no
// copy then), or a result; each host's report; the steps started.
type expect struct {
	refused string
	result  journal.Result
	hosts   string
	starts  []string
}

func runExpect(t *testing.T, w *world, hs []*fakeHost, o *testOptions, want expect) *Report {
	t.Helper()
	rep, err := Run(context.Background(), asHosts(hs), o.Options)
	var refused *RefusedError
	switch {
	case want.refused != "":
		if !errors.As(err, &refused) || refused.Phase != want.refused {
			t.Fatalf("err %v, want refused at %s", err, want.refused)
		}
		if refused.Touched {
			t.Errorf("refusal says something was copied")
		}
	case err != nil:
		t.Fatalf("Run: %v", err)
	}
	var got []string
	for _, h := range rep.Hosts {
		got = append(got, h.Name+"="+h.Result)
	}
	if strings.Join(got, " ") != want.hosts {
		t.Errorf("hosts %s, want %s", strings.Join(got, " "), want.hosts)
	}
	if starts := w.calls("start"); !slices.Equal(starts, want.starts) {
		t.Errorf("steps started %v, want %v", starts, want.starts)
	}
	if rep.Result != want.result {
		t.Errorf("result %q, want %q (%s)", rep.Result, want.result, rep.Reason)
	}
	return rep
}

func readJournal(t *testing.T, path string) *journal.Journal {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	j, err := journal.Decode(path, data)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// TestResumeKinds: a resumed fleet restart or rollback runs its own verb
// on the hosts never started, and the host's `deploy --resume` (which
// completes a record of any kind) on the one killed mid-step, whatever
// the resuming controller's options say.
func TestResumeKinds(t *testing.T) {
	for _, tt := range []struct {
		kind   journal.Kind
		target string
		want   []string // h3's step
	}{
		{journal.KindRestart, "", []string{"restart", "hello", "--fleet", "f1"}},
		{journal.KindRollback, "v1", []string{"rollback", "hello", "--fleet", "f1"}},
	} {
		t.Run(string(tt.kind), func(t *testing.T) {
			_, cs, o := newResumeFleet(t)
			o.Journal = killedJournal()
			o.Journal.Kind, o.Journal.Target = tt.kind, tt.target
			o.Journal.Strategy.FailureAction = string(plan.ActionHalt)
			cs[1].rec = rec(release.ResultRunning)
			rep, _, err := Resume(context.Background(), claimHosts(cs), *o)
			if err != nil || rep.Result != journal.ResultSucceeded {
				t.Fatalf("Resume: %v, %+v", err, rep)
			}
			if got := cs[1].args; len(got) != 1 || !slices.Equal(got[0], []string{"deploy", "hello", "--resume"}) {
				t.Errorf("h2's steps %q, want deploy --resume", got)
			}
			if got := cs[2].args; len(got) != 1 || !slices.Equal(got[0], tt.want) {
				t.Errorf("h3's steps %q, want %q", got, tt.want)
			}
		})
	}
}

// TestResumeSkipped: a resumed rollout leaves out the host its journal
// says was skipped, unreachable still, and counts it as down; the others
// complete.
func TestResumeSkipped(t *testing.T) {
	_, cs, o := newResumeFleet(t)
	j := killedJournal(plan.PhaseDone, plan.PhaseStaged, plan.PhaseStaged)
	j.Batches = [][]string{{"h1"}, {"h3"}}
	j.Hosts = []journal.Host{j.Hosts[0], j.Hosts[2]}
	j.Hosts[1].Batch = 1
	j.Skipped = []journal.Skipped{{Name: "h2", Why: "unreachable: i/o timeout"}}
	o.Journal = j
	cs[1].connectErr = errUnreachable
	rep, _, err := Resume(context.Background(), claimHosts(cs), *o)
	if err != nil || rep.Result != journal.ResultSucceeded {
		t.Fatalf("Resume: %v, %+v", err, rep)
	}
	var got []string
	for _, h := range rep.Hosts {
		got = append(got, h.Name+"="+h.Result)
	}
	if strings.Join(got, " ") != "h1=succeeded h2=skipped: unreachable h3=succeeded" {
		t.Errorf("hosts %v", got)
	}
	if cs[1].steps != 0 || len(cs[1].claims) != 0 {
		t.Errorf("the skipped host got %d steps, claims %v", cs[1].steps, cs[1].claims)
	}
}

// TestRefusedFix: a refusal for unreachable hosts says how to go on
// without them; one for a host key says nothing of the kind (a key is
// checked, never routed around).
func TestRefusedFix(t *testing.T) {
	for _, tt := range []struct {
		name    string
		errs    map[string]error
		wantFix string
	}{
		{"one unreachable", map[string]error{"h2": errUnreachable}, "--limit '!h2'"},
		{"two unreachable", map[string]error{"h3": errUnreachable, "h1": errUnreachable}, "--limit '!h1:!h3'"},
		{"a changed key", map[string]error{"h2": errUnreachable, "h3": &sshx.ChangedHostKeyError{Host: "h3"}}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := unreachableFix(tt.errs)
			if tt.wantFix == "" {
				if got != "" {
					t.Errorf("fix %q, want none", got)
				}
				return
			}
			if !strings.Contains(got, tt.wantFix) || !strings.Contains(got, "--skip-unreachable") {
				t.Errorf("fix %q, want %s and --skip-unreachable", got, tt.wantFix)
			}
			msg := (&RefusedError{Phase: "connect", Hosts: tt.errs, Fix: got}).Error()
			if !strings.HasSuffix(msg, "\n  fix: "+got) {
				t.Errorf("message does not end with the fix:\n%s", msg)
			}
		})
	}
}
