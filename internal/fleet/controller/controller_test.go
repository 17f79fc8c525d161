package controller

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/fleet/journal"
	"github.com/sysroll/sysroll/internal/fleet/plan"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/sshx"
)

// newFleet is three fake hosts h1..h3 and the options of a rollout of v2
// over them, one host per batch.
// testOptions are Options with the test's Ctrl-C.
type testOptions struct {
	Options
	cancel context.CancelFunc
}

func newFleet(t *testing.T) (*world, []*fakeHost, *testOptions) {
	w := &world{}
	var hs []*fakeHost
	o := &testOptions{Options: Options{
		Service: "hello", Version: "v2", SHA256: strings.Repeat("ab", 32),
		BinarySize: 1000, ArtifactSize: 200, FleetID: "f1", Controller: "me@here",
		JournalPath: filepath.Join(t.TempDir(), "fleet", "hello", "f1.json"),
		RetryEvery:  time.Millisecond,
	}}
	for _, n := range []string{"h1", "h2", "h3"} {
		hs = append(hs, &fakeHost{w: w, name: n})
		o.Hosts = append(o.Hosts, plan.Host{Name: n, Instances: 2})
	}
	return w, hs, o
}

// tick is a clock that advances by d at each reading.
func tick(d time.Duration) func() time.Time {
	var mu sync.Mutex
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(d)
		return now
	}
}

func asHosts(hs []*fakeHost) []Host {
	out := make([]Host, len(hs))
	for i, h := range hs {
		out[i] = h
	}
	return out
}

func TestRun(t *testing.T) {
	rolledBack := map[string]release.Result{"deploy": release.ResultRolledBack}
	tests := []struct {
		name  string
		setup func(hs []*fakeHost, o *testOptions)
		// wantRefused is the phase of a *RefusedError; "" for none.
		wantRefused string
		wantResult  journal.Result
		wantHosts   string   // "h1=succeeded h2=..." from the report
		wantStarts  []string // every step started, in order
		check       func(t *testing.T, w *world, hs []*fakeHost, rep *Report, p *progress)
	}{
		{
			name:       "every host succeeds, one after another, all staged before any start",
			wantResult: journal.ResultSucceeded,
			wantHosts:  "h1=succeeded h2=succeeded h3=succeeded",
			wantStarts: []string{"h1 start deploy", "h2 start deploy", "h3 start deploy"},
			check: func(t *testing.T, w *world, hs []*fakeHost, rep *Report, _ *progress) {
				first := w.index("h1 start deploy")
				for _, h := range hs {
					if i := w.index(h.name + " stage"); i < 0 || i > first {
						t.Errorf("%s staged at %d, the first start at %d", h.name, i, first)
					}
				}
				if w.index("h2 start deploy") < w.index("h1 end deploy") {
					t.Errorf("h2 started before h1 ended: %v", w.log)
				}
				for _, h := range rep.Hosts {
					if h.Sent != 200 {
						t.Errorf("%s: sent %d, want the artifact's 200", h.Name, h.Sent)
					}
				}
				if !rep.OK() {
					t.Errorf("report not OK: %+v", rep)
				}
			},
		},
		{
			name: "an unknown host key refuses the rollout before anything runs anywhere",
			setup: func(hs []*fakeHost, _ *testOptions) {
				hs[2].connectErr = &sshx.UnknownHostKeyError{Host: "h3", KeyType: "ssh-ed25519", Fingerprint: "SHA256:xyz"}
			},
			wantRefused: "connect",
			wantHosts:   "h1=untouched h2=untouched h3=refused",
			check: func(t *testing.T, w *world, _ []*fakeHost, _ *Report, _ *progress) {
				for _, l := range w.log {
					if !strings.HasSuffix(l, " connect") {
						t.Errorf("after a refused connect: %s", l)
					}
				}
			},
		},
		{
			name:        "another fleet protocol refuses at the handshake, before any copy",
			setup:       func(hs []*fakeHost, _ *testOptions) { hs[1].protocol = 99 },
			wantRefused: "handshake",
			wantHosts:   "h1=untouched h2=refused h3=untouched",
			check:       noneOf("push-binary", "push-artifact", "stage", "start", "claim"),
		},
		{
			name:        "a host without the service refuses the rollout",
			setup:       func(hs []*fakeHost, _ *testOptions) { hs[0].statusErr = errBoom },
			wantRefused: "copy and stage",
			wantHosts:   "h1=refused h2=untouched h3=untouched",
			check:       noneOf("start", "claim"),
		},
		{
			name:        "a failing stage refuses the rollout before any restart",
			setup:       func(hs []*fakeHost, _ *testOptions) { hs[2].stageErr = errBoom },
			wantRefused: "copy and stage",
			wantHosts:   "h1=untouched h2=untouched h3=refused",
			check:       noneOf("start", "claim"),
		},
		{
			name:       "a host that fails and rolls itself back stops the rollout: later hosts untouched",
			setup:      func(hs []*fakeHost, _ *testOptions) { hs[1].results = rolledBack },
			wantResult: journal.ResultHalted,
			wantHosts:  "h1=succeeded h2=rolled-back h3=untouched",
			wantStarts: []string{"h1 start deploy", "h2 start deploy"},
		},
		{
			name: "rollback-all rolls the earlier host back",
			setup: func(hs []*fakeHost, o *testOptions) {
				hs[1].results = rolledBack
				o.Strategy.FailureAction = plan.ActionRollbackAll
			},
			wantResult: journal.ResultRolledBack,
			wantHosts:  "h1=succeeded h2=rolled-back h3=untouched",
			wantStarts: []string{"h1 start deploy", "h2 start deploy", "h1 start rollback"},
			check: func(t *testing.T, _ *world, _ []*fakeHost, rep *Report, _ *progress) {
				if d := rep.Hosts[0].Detail; d != "rolled back by the fleet" {
					t.Errorf("h1's detail %q", d)
				}
			},
		},
		{
			name: "a failure within the budget goes on to the next host",
			setup: func(hs []*fakeHost, o *testOptions) {
				hs[1].results = rolledBack
				o.Strategy.FailureBudget = 1
			},
			wantResult: journal.ResultSucceeded,
			wantHosts:  "h1=succeeded h2=rolled-back h3=succeeded",
			wantStarts: []string{"h1 start deploy", "h2 start deploy", "h3 start deploy"},
			check: func(t *testing.T, _ *world, _ []*fakeHost, rep *Report, _ *progress) {
				if rep.OK() {
					t.Error("a rollout with a rolled-back host reported OK")
				}
			},
		},
		{
			name: "a host that cannot start its step has changed nothing: nothing rolled back",
			setup: func(hs []*fakeHost, o *testOptions) {
				hs[1].startErr = errBoom
				o.Strategy.FailureAction = plan.ActionRollbackAll
			},
			wantResult: journal.ResultRolledBack,
			wantHosts:  "h1=succeeded h2=untouched h3=untouched",
			wantStarts: []string{"h1 start deploy", "h2 start deploy", "h1 start rollback"},
		},
		{
			name:       "the build is pushed where missing, and only there",
			setup:      func(hs []*fakeHost, _ *testOptions) { hs[0].noBinary = true },
			wantResult: journal.ResultSucceeded,
			wantHosts:  "h1=succeeded h2=succeeded h3=succeeded",
			wantStarts: []string{"h1 start deploy", "h2 start deploy", "h3 start deploy"},
			check: func(t *testing.T, w *world, _ []*fakeHost, rep *Report, _ *progress) {
				if got := w.calls("push-binary"); !slices.Equal(got, []string{"h1 push-binary"}) {
					t.Errorf("pushes of the binary: %v", got)
				}
				if rep.Hosts[0].Sent != 1200 || rep.Hosts[1].Sent != 200 {
					t.Errorf("sent %d and %d, want 1200 and 200", rep.Hosts[0].Sent, rep.Hosts[1].Sent)
				}
			},
		},
		{
			name: "hosts that hold the release get nothing and stage nothing",
			setup: func(hs []*fakeHost, _ *testOptions) {
				for _, h := range hs {
					h.has = true
				}
			},
			wantResult: journal.ResultSucceeded,
			wantHosts:  "h1=succeeded h2=succeeded h3=succeeded",
			wantStarts: []string{"h1 start deploy", "h2 start deploy", "h3 start deploy"},
			check: func(t *testing.T, w *world, _ []*fakeHost, rep *Report, p *progress) {
				noneOf("push-artifact", "stage")(t, w, nil, rep, p)
				for _, h := range rep.Hosts {
					if h.Sent != 0 {
						t.Errorf("%s: sent %d", h.Name, h.Sent)
					}
				}
			},
		},
		{
			name:       "a follower that loses its connection reattaches at its offset",
			setup:      func(hs []*fakeHost, _ *testOptions) { hs[0].loseFollows = 2 },
			wantResult: journal.ResultSucceeded,
			wantHosts:  "h1=succeeded h2=succeeded h3=succeeded",
			wantStarts: []string{"h1 start deploy", "h2 start deploy", "h3 start deploy"},
			check: func(t *testing.T, w *world, _ []*fakeHost, _ *Report, p *progress) {
				if got := w.calls("follow"); len(got) < 5 || got[0] != "h1 follow 0" || got[1] == "h1 follow 0" {
					t.Errorf("follows: %v", got)
				}
				if got := p.events["h1"]; len(got) != 4 || !strings.Contains(got[3], "rollout-end") {
					t.Errorf("h1's events, each once: %q", got)
				}
			},
		},
		{
			name: "a host lost for longer than reattach_deadline is unknown: halt, never a rollback",
			setup: func(hs []*fakeHost, o *testOptions) {
				hs[1].lost = true
				o.Strategy.ReattachDeadline = time.Second
				o.Now = tick(100 * time.Millisecond) // each look at the clock: 100 ms on
			},
			wantResult: journal.ResultHalted,
			wantHosts:  "h1=succeeded h2=unknown h3=untouched",
			wantStarts: []string{"h1 start deploy", "h2 start deploy"},
			check: func(t *testing.T, _ *world, _ []*fakeHost, _ *Report, p *progress) {
				// The follow waited reattach_deadline already: the batch
				// halts without waiting for it a second time.
				for _, n := range p.notes {
					if strings.Contains(n, "h2 unknown (unreachable or no result seen)") {
						t.Errorf("waited for h2 again after its follow's reattach_deadline: %s", n)
					}
				}
			},
		},
		{
			name: "Ctrl-C stops the step in flight at its safe point and starts no other host",
			setup: func(hs []*fakeHost, o *testOptions) {
				hs[0].results = map[string]release.Result{"deploy": release.ResultInterrupted}
				hs[0].onFollow = func() { o.cancel() }
			},
			wantResult: journal.ResultInterrupted,
			wantHosts:  "h1=interrupted h2=untouched h3=untouched",
			wantStarts: []string{"h1 start deploy"},
			check: func(t *testing.T, w *world, _ []*fakeHost, _ *Report, p *progress) {
				if got := w.calls("stop"); !slices.Equal(got, []string{"h1 stop"}) {
					t.Errorf("stops: %v", got)
				}
				if got := p.events["h1"]; len(got) != 4 {
					t.Errorf("h1's events after the stop: %q", got)
				}
			},
		},
		{
			name: "a dry run reads and changes nothing",
			setup: func(hs []*fakeHost, o *testOptions) {
				o.DryRun = true
				hs[2].noBinary = true
			},
			wantHosts: "h1=would roll h2=would roll h3=would roll",
			check: func(t *testing.T, w *world, _ []*fakeHost, rep *Report, p *progress) {
				noneOf("push-binary", "push-artifact", "stage", "start", "claim")(t, w, nil, rep, p)
				if rep.Hosts[0].Sent != 200 || rep.Hosts[2].Sent != 1200 {
					t.Errorf("would send %d and %d, want 200 and 1200", rep.Hosts[0].Sent, rep.Hosts[2].Sent)
				}
				if rep.Plan == nil || len(rep.Plan.Batches) != 3 {
					t.Errorf("plan %+v", rep.Plan)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, hs, o := newFleet(t)
			if tt.setup != nil {
				tt.setup(hs, o)
			}
			p := &progress{}
			o.Progress = p
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			o.cancel = cancel
			rep, err := Run(ctx, asHosts(hs), o.Options)
			var refused *RefusedError
			switch {
			case tt.wantRefused != "":
				if !errors.As(err, &refused) || refused.Phase != tt.wantRefused {
					t.Fatalf("err %v, want refused at %s", err, tt.wantRefused)
				}
			case err != nil:
				t.Fatalf("Run: %v", err)
			}
			var got []string
			for _, h := range rep.Hosts {
				got = append(got, h.Name+"="+h.Result)
			}
			if strings.Join(got, " ") != tt.wantHosts {
				t.Errorf("hosts %s, want %s", strings.Join(got, " "), tt.wantHosts)
			}
			if starts := w.calls("start"); !slices.Equal(starts, tt.wantStarts) {
				t.Errorf("steps started %v, want %v", starts, tt.wantStarts)
			}
			if rep.Result != tt.wantResult {
				t.Errorf("result %q, want %q (%s)", rep.Result, tt.wantResult, rep.Reason)
			}
			data, jerr := os.ReadFile(o.JournalPath)
			switch {
			case tt.wantResult == "" && jerr == nil:
				t.Errorf("a journal was written for a rollout that never started")
			case tt.wantResult != "":
				j, err := journal.Decode(o.JournalPath, data)
				if err != nil || j.Result != tt.wantResult {
					t.Errorf("journal: %v, %+v", err, j)
				}
				for _, h := range hs {
					if h.claims == 0 {
						t.Errorf("%s never got a claim", h.name)
					}
				}
			}
			if tt.check != nil {
				tt.check(t, w, hs, rep, p)
			}
		})
	}
}

// noneOf checks that no host got any of the calls.
func noneOf(calls ...string) func(*testing.T, *world, []*fakeHost, *Report, *progress) {
	return func(t *testing.T, w *world, _ []*fakeHost, _ *Report, _ *progress) {
		t.Helper()
		for _, c := range calls {
			if got := w.calls(c); len(got) > 0 {
				t.Errorf("%s happened: %v", c, got)
			}
		}
	}
}

func TestStepStopTimeout(t *testing.T) {
	for _, tt := range []struct{ per, want time.Duration }{
		{0, 15 * time.Minute},
		{2 * time.Minute, 15 * time.Minute},
		{10 * time.Minute, 21 * time.Minute}, // finish, then revert, then a minute
	} {
		if got := StepStopTimeout(tt.per); got != tt.want {
			t.Errorf("StepStopTimeout(%v) = %v, want %v", tt.per, got, tt.want)
		}
	}
}

func TestCheckBuild(t *testing.T) {
	for _, tt := range []struct {
		want, got string
		ok        bool
	}{
		{"abc", "abc", true},
		{"abc", "", true}, // a probe without the hash checks nothing
		{"abc", "abd", false},
	} {
		err := checkBuild("h1", "/var/lib/sysroll/.bin/sysroll-abc", tt.want, tt.got)
		if (err == nil) != tt.ok {
			t.Errorf("checkBuild(%q, %q) = %v, want ok %v", tt.want, tt.got, err, tt.ok)
		}
		if err != nil && (!strings.Contains(err.Error(), "h1") || !strings.Contains(err.Error(), "remove it")) {
			t.Errorf("the error names neither the host nor the fix: %v", err)
		}
	}
}
