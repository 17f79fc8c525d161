//go:build integration

package rollout_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/schema"
)

// A good release reaches every instance, one batch at a time: each
// instance restarted (new InvocationID), never two down together.
func TestDeploySucceeds(t *testing.T) {
	s := newService(t, "e2e-ok", 19500, 3, svcOpts{})
	before := s.invocations()

	p := startPoller(s.ports...)
	r := s.sysroll("deploy", s.name, "--artifact", s.release("v2"), "--version", "v2", "--json")
	st := p.Stop()
	if r.Code != 0 {
		t.Fatalf("deploy v2: %s", r)
	}
	t.Logf("client during the rollout: %s", st)

	s.assertVersions(s.allOn("v2"))
	after := s.invocations()
	for _, port := range s.ports {
		if after[port] == "" || after[port] == before[port] {
			t.Errorf("instance %d: InvocationID %q before, %q after: not restarted", port, before[port], after[port])
		}
	}
	if st.maxDown > 1 {
		t.Errorf("the client saw %d instances down at once (batch size 1): %s", st.maxDown, st)
	}
	if st.rounds < 50 {
		t.Errorf("only %d polling rounds during the rollout: the client proves little", st.rounds)
	}

	rec := s.lastRecord()
	checkRecord(t, rec, release.KindDeploy, "v1", "v2", release.ResultSucceeded)
	if len(rec.Batches) != len(s.ports) {
		t.Errorf("%d batches, want %d (batch: 1): %v", len(rec.Batches), len(s.ports), rec.Batches)
	}
	for _, in := range rec.Instances {
		port := portOf(t, in.Name)
		if in.Phase != release.PhaseDone || in.From != "v1" || in.To != "v2" {
			t.Errorf("instance %s: phase %s, %s -> %s; want done, v1 -> v2", in.Name, in.Phase, in.From, in.To)
		}
		if in.InvocationBefore != before[port] || in.InvocationAfter != after[port] {
			t.Errorf("instance %s: recorded invocations %s -> %s, systemd says %s -> %s",
				in.Name, in.InvocationBefore, in.InvocationAfter, before[port], after[port])
		}
	}
	assertSequential(t, rec)
	assertEventsSequential(t, e2etest.ParseEvents(t, r.Stdout))
}

// checkRecord checks a record's header.
func checkRecord(t *testing.T, rec release.Record, kind release.Kind, from, to string, result release.Result) {
	t.Helper()
	if rec.Kind != kind || rec.From != from || rec.To != to || rec.Result != result {
		t.Errorf("record %s: %s %s -> %s %s; want %s %s -> %s %s (reason %q)",
			rec.ID, rec.Kind, rec.From, rec.To, rec.Result, kind, from, to, result, rec.Reason)
	}
	if rec.User == "" || rec.Started.IsZero() || rec.Ended.IsZero() || rec.Ended.Before(rec.Started) {
		t.Errorf("record %s: user %q, started %s, ended %s", rec.ID, rec.User, rec.Started, rec.Ended)
	}
}

// assertSequential checks, from the record's per-instance Started/Ended,
// that no two batches were in flight together: every instance of batch b
// ended before any of batch b+1 started.
func assertSequential(t *testing.T, rec release.Record) {
	t.Helper()
	type window struct {
		name       string
		batch      int
		start, end time.Time
	}
	var ws []window
	for _, in := range rec.Instances {
		if in.Batch < 0 {
			continue
		}
		if in.Started.IsZero() || in.Ended.IsZero() {
			t.Errorf("instance %s: started %s, ended %s: window not recorded", in.Name, in.Started, in.Ended)
			continue
		}
		ws = append(ws, window{in.Name, in.Batch, in.Started, in.Ended})
	}
	for _, a := range ws {
		for _, b := range ws {
			if a.batch < b.batch && !a.end.Before(b.start) {
				t.Errorf("batches overlap: %s (batch %d) ran %s..%s, %s (batch %d) started %s",
					a.name, a.batch+1, a.start.Format("15:04:05.000"), a.end.Format("15:04:05.000"),
					b.name, b.batch+1, b.start.Format("15:04:05.000"))
			}
		}
	}
}

// assertEventsSequential checks the same from the --json stream: a batch's
// first phase event comes after every instance of the previous batch is done.
func assertEventsSequential(t *testing.T, evs []schema.Event) {
	t.Helper()
	done := map[int]time.Time{}  // batch -> last instance-done
	first := map[int]time.Time{} // batch -> first phase event
	restarts := 0
	for _, e := range evs {
		switch e.Type {
		case "phase":
			if _, ok := first[e.Batch]; !ok {
				first[e.Batch] = e.Time
			}
			if e.Phase == string(release.PhaseRestart) {
				restarts++
			}
		case "instance-done":
			done[e.Batch] = e.Time
		}
	}
	if restarts == 0 {
		t.Errorf("no restart phase in the event stream")
	}
	for b, end := range done {
		if next, ok := first[b+1]; ok && next.Before(end) {
			t.Errorf("batch %d began at %s, before batch %d was done at %s", b+2, next.Format("15:04:05.000"), b+1, end.Format("15:04:05.000"))
		}
	}
}

// A bad release: the first batch fails, is put back on v1 and verified
// healthy, sysroll exits 1 telling why, the other instances are never
// touched, and a client of those sees no failure at all.
func TestDeployBadRelease(t *testing.T) {
	cases := []struct {
		name  string
		first int
		opts  svcOpts
		flags []string
		why   []string // in the output
	}{
		{
			name: "e2e-failstart", first: 19503,
			flags: []string{"--fail-at-start"},
			why:   []string{"FAILED", "last journal lines", "--fail-at-start"},
		},
		{
			// /healthz answers 503 from the start: never ready.
			name: "e2e-unhealthy", first: 19506,
			opts:  svcOpts{deadline: 5 * time.Second},
			flags: []string{"--unhealthy-after=1ms"},
			why:   []string{"FAILED", "not ready", "503", "last journal lines"},
		},
		{
			// Healthy, then a crash inside the 3s window.
			name: "e2e-crash", first: 19509,
			opts:  svcOpts{healthyFor: 3 * time.Second},
			flags: []string{"--crash-after=1s"},
			why:   []string{"FAILED", "crashed", "last journal lines", "crashing on purpose"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newService(t, tc.name, tc.first, 3, tc.opts)
			before := s.invocations()
			failed, untouched := s.ports[0], s.ports[1:]

			p := startPoller(untouched...)
			start := time.Now()
			r := s.deploy("v2", tc.flags...)
			st := p.Stop()
			t.Logf("deploy took %s; client of the untouched instances: %s", time.Since(start).Round(time.Millisecond), st)
			if r.Code != 1 {
				t.Fatalf("deploy of a bad release: exit %d, want 1\n%s", r.Code, r)
			}
			out := r.Stdout + r.Stderr
			t.Logf("sysroll deploy:\n%s", out)
			for _, w := range tc.why {
				if !strings.Contains(out, w) {
					t.Errorf("output does not say %q:\n%s", w, out)
				}
			}
			if st.totalFailures() != 0 {
				t.Errorf("the client of the untouched instances saw failures: %s", st)
			}

			s.assertVersions(s.allOn("v1"))
			s.assertAllRunning()
			after := s.invocations()
			if after[failed] == before[failed] {
				t.Errorf("instance %d: InvocationID unchanged: never restarted", failed)
			}
			for _, port := range untouched {
				if after[port] != before[port] {
					t.Errorf("instance %d (never reached): InvocationID %s -> %s: it was touched", port, before[port], after[port])
				}
			}

			rec := s.lastRecord()
			checkRecord(t, rec, release.KindDeploy, "v1", "v2", release.ResultRolledBack)
			for _, in := range rec.Instances {
				want := release.PhasePending
				if in.Name == instanceName(failed) {
					want = release.PhaseReverted
				}
				if in.Phase != want {
					t.Errorf("instance %s: phase %s, want %s (error %q)", in.Name, in.Phase, want, in.Error)
				}
			}

			stat := s.status()
			if stat.Mixed || stat.Releases["v1"] != 3 || stat.Healthy != 3 || stat.Interrupted != nil {
				t.Errorf("status after the rollback: %+v", stat)
			}
		})
	}
}

func portOf(t testing.TB, inst string) int {
	t.Helper()
	for p := 19500; p < 20000; p++ {
		if instanceName(p) == inst {
			return p
		}
	}
	t.Fatalf("instance %q is not a test port", inst)
	return 0
}

// failure_action: rollback-all also puts back the batches that had
// succeeded, newest first; halt leaves everything as it is for a human.
// Either way the instances not reached are never touched. The release is
// bad on the second instance only (its /healthz answers 503).
func TestFailureActions(t *testing.T) {
	cases := []struct {
		action string
		first  int
		result release.Result
		want   []string        // versions per instance afterwards
		phases []release.Phase // record phases per instance
	}{
		{"rollback-all", 19580, release.ResultRolledBack, []string{"v1", "v1", "v1"},
			[]release.Phase{release.PhaseReverted, release.PhaseReverted, release.PhasePending}},
		{"halt", 19583, release.ResultHalted, []string{"v2", "v2", "v1"},
			[]release.Phase{release.PhaseDone, release.PhaseFailed, release.PhasePending}},
	}
	for _, tc := range cases {
		t.Run(tc.action, func(t *testing.T) {
			s := newService(t, "e2e-"+tc.action, tc.first, 3, svcOpts{deadline: 4 * time.Second, rollout: []string{"failure_action: " + tc.action}})
			before := s.invocations()
			dir := badOnRelease(t, s, "v2", s.ports[1])
			p := startPoller(s.ports[2])
			r := s.sysroll("deploy", s.name, "--artifact", dir, "--version", "v2")
			st := p.Stop()
			t.Logf("sysroll deploy (failure_action %s):\n%s%s", tc.action, r.Stdout, r.Stderr)
			if r.Code != 1 {
				t.Fatalf("exit %d, want 1", r.Code)
			}
			if st.totalFailures() != 0 {
				t.Errorf("the client of the instance not reached saw failures: %s", st)
			}
			rec := s.lastRecord()
			checkRecord(t, rec, release.KindDeploy, "v1", "v2", tc.result)
			want := map[int]string{}
			for i, port := range s.ports {
				want[port] = tc.want[i]
				if ph := rec.Instances[i].Phase; ph != tc.phases[i] {
					t.Errorf("instance %d: phase %s, want %s", port, ph, tc.phases[i])
				}
			}
			s.assertAllRunning()
			for i, port := range s.ports {
				v, err := e2etest.VersionOf(port)
				if err != nil || v != want[port] {
					t.Errorf("instance %d answers %q (%v), want %s", port, v, err, want[port])
				}
				// The halted, failed instance is left running, unhealthy.
				if healthErr := healthz(port); (healthErr == nil) != (tc.action != "halt" || i != 1) {
					t.Errorf("instance %d: /healthz %v", port, healthErr)
				}
			}
			if s.invocations()[s.ports[2]] != before[s.ports[2]] {
				t.Errorf("instance %d, never reached, was restarted", s.ports[2])
			}
			if tc.action == "rollback-all" {
				// Newest first: the failed batch 2, then batch 1.
				first, second := rec.Instances[0], rec.Instances[1]
				if !second.Ended.Before(first.Ended) {
					t.Errorf("rollback-all reverted batch 1 (ended %s) before batch 2 (ended %s)", first.Ended, second.Ended)
				}
			}
			if stat := s.status(); stat.Mixed != (tc.action == "halt") {
				t.Errorf("status mixed_releases %v after %s", stat.Mixed, tc.action)
			}
		})
	}
}

// --dry-run stages the release and prints the plan, touching no instance.
func TestDeployDryRun(t *testing.T) {
	s := newService(t, "e2e-dryrun", 19586, 3, svcOpts{})
	before := s.invocations()
	r := s.sysroll("deploy", s.name, "--artifact", s.release("v2"), "--version", "v2", "--dry-run")
	if r.Code != 0 {
		t.Fatalf("deploy --dry-run: %s", r)
	}
	t.Logf("deploy --dry-run:\n%s", r.Stdout)
	for _, want := range []string{"3 batches", "dry run", "batch 1: 19586 (on v1)", "batch 3: 19588 (on v1)"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("the plan does not say %q", want)
		}
	}
	s.assertVersions(s.allOn("v1"))
	after := s.invocations()
	for _, port := range s.ports {
		if after[port] != before[port] {
			t.Errorf("dry run restarted %d", port)
		}
	}
	if recs := s.history(); len(recs) != 0 {
		t.Errorf("dry run recorded %d rollouts", len(recs))
	}
}
