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

// While a rollout runs, a second one on the same service is refused at
// once, naming who holds the lock and since when; the first one is not
// disturbed.
func TestLockRefusesSecondRollout(t *testing.T) {
	s := newService(t, "e2e-lock", 19512, 3, svcOpts{})
	first := e2etest.StartSysroll(t, "deploy", s.name, "--artifact", s.release("v2", "--startup-delay=1s"), "--version", "v2")
	first.WaitLine(30*time.Second, "batch 1")

	for _, args := range [][]string{
		{"deploy", s.name, "--artifact", s.release("v3"), "--version", "v3"},
		{"restart", s.name},
		{"rollback", s.name, "--to", "v1"},
	} {
		start := time.Now()
		r := s.sysroll(args...)
		took := time.Since(start)
		if r.Code == 0 {
			t.Errorf("sysroll %s during a rollout: exit 0, want a refusal\n%s", strings.Join(args, " "), r)
			continue
		}
		if took > 1500*time.Millisecond {
			t.Errorf("sysroll %s: refused only after %s, want at once", args[0], took.Round(time.Millisecond))
		}
		for _, want := range []string{"already running", "pid " + first.PID(), "user root", "since "} {
			if !strings.Contains(r.Stderr, want) {
				t.Errorf("sysroll %s refusal does not say %q:\n%s", args[0], want, r)
			}
		}
		t.Logf("sysroll %s refused in %s (exit %d): %s", args[0], took.Round(time.Millisecond), r.Code, strings.TrimSpace(r.Stderr))
	}

	r := first.Wait(time.Minute)
	if r.Code != 0 {
		t.Fatalf("the first deploy was disturbed: %s", r)
	}
	s.assertVersions(s.allOn("v2"))
	checkRecord(t, s.lastRecord(), release.KindDeploy, "v1", "v2", release.ResultSucceeded)
}

// Ctrl-C (or SIGTERM) in the middle of a rollout: sysroll finishes or
// undoes the step in progress, leaves no instance stopped, records the
// rollout as interrupted, and says so; status then tells the truth, and
// --resume completes the rollout.
func TestInterruptMidRollout(t *testing.T) {
	cases := []struct {
		name  string
		first int
		opts  svcOpts
		sig   string
		phase release.Phase // signal when the second instance enters it
		// want is the second instance's phase afterwards: done (the step
		// was finished) or pending (undone: never restarted).
		want release.Phase
	}{
		{name: "e2e-ctrlc", first: 19515, sig: "INT", phase: release.PhaseGate, want: release.PhaseDone},
		{
			// A slow pre_stop hook keeps the instance in its drain step:
			// the signal lands before the restart, so the step is undone.
			name: "e2e-sigterm", first: 19560, sig: "TERM", phase: release.PhaseDrain, want: release.PhasePending,
			opts: svcOpts{extra: []string{`hooks: {pre_stop: "sleep 5"}`}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newService(t, tc.name, tc.first, 3, tc.opts)
			before := s.invocations()
			second := instanceName(s.ports[1])
			b := e2etest.StartSysroll(t, "deploy", s.name, "--artifact", s.release("v2", "--startup-delay=500ms"), "--version", "v2", "--json")
			b.WaitEvent(30*time.Second, func(e schema.Event) bool {
				return e.Type == "phase" && e.Instance == second && e.Phase == string(tc.phase)
			})
			start := time.Now()
			b.Signal(tc.sig)
			r := b.Wait(30 * time.Second)
			t.Logf("SIG%s at %s of %s: exit %d after %s\nstderr: %s", tc.sig, tc.phase, second, r.Code, time.Since(start).Round(time.Millisecond), r.Stderr)
			if r.Code != 1 {
				t.Errorf("exit %d after SIG%s, want 1\n%s", r.Code, tc.sig, r)
			}
			for _, want := range []string{"interrupted", "--resume", "rollback"} {
				if !strings.Contains(r.Stderr, want) {
					t.Errorf("sysroll's last word does not say %q:\n%s", want, r.Stderr)
				}
			}
			evs := e2etest.ParseEvents(t, r.Stdout)
			if last := evs[len(evs)-1]; last.Type != "rollout-end" || last.Result != release.ResultInterrupted {
				t.Errorf("last event %+v, want rollout-end interrupted", last)
			}

			s.assertAllRunning()
			rec := s.lastRecord()
			if rec.Result != release.ResultInterrupted {
				t.Errorf("record result %s, want interrupted (%s)", rec.Result, rec.Reason)
			}
			for _, in := range rec.Instances {
				if in.Name == second && in.Phase != tc.want {
					t.Errorf("instance %s: phase %s after the signal, want %s (%s)", in.Name, in.Phase, tc.want, in.Error)
				}
			}
			assertTruth(t, s, rec, before)
			if st := s.status(); st.Interrupted == nil || st.Interrupted.ID != rec.ID {
				t.Errorf("status does not report the interrupted rollout %s (interrupted_rollout: %+v)", rec.ID, st.Interrupted)
			}

			// Pick it up again.
			res := s.sysroll("deploy", s.name, "--resume")
			if res.Code != 0 {
				t.Fatalf("deploy --resume after SIG%s: %s", tc.sig, res)
			}
			s.assertVersions(s.allOn("v2"))
			checkRecord(t, s.lastRecord(), release.KindDeploy, "v1", "v2", release.ResultSucceeded)
			if st := s.status(); st.Mixed || st.Healthy != 3 || st.Interrupted != nil {
				t.Errorf("status after the resume: %+v", st)
			}
		})
	}
}

// assertTruth checks, after an interruption, that each instance's record
// entry, `sysroll status` and the instance itself agree: an instance that
// is done or reverted answers its recorded release, one never reached (or
// undone) still runs its first invocation on From, and status names the
// release each instance answers with, flagging mixed releases.
func assertTruth(t *testing.T, s *service, rec release.Record, before map[int]string) {
	t.Helper()
	now := s.invocations()
	st := s.status()
	byInst := map[string]string{}
	for _, in := range st.Instances {
		byInst[in.Instance] = in.Release
		if in.ActiveState != "active" || in.Health != "healthy" {
			t.Errorf("status: instance %s is %s, %s", in.Instance, in.ActiveState, in.Health)
		}
	}
	versions := map[string]bool{}
	for _, in := range rec.Instances {
		port := portOf(t, in.Name)
		v, err := e2etest.VersionOf(port)
		if err != nil {
			t.Errorf("instance %s does not answer: %v", in.Name, err)
			continue
		}
		versions[v] = true
		if byInst[in.Name] != v {
			t.Errorf("status says %s runs %q, it answers %q", in.Name, byInst[in.Name], v)
		}
		switch in.Phase {
		case release.PhaseDone:
			if v != in.To {
				t.Errorf("record: %s done on %s, it answers %s", in.Name, in.To, v)
			}
		case release.PhasePending:
			if v != in.From || now[port] != before[port] {
				t.Errorf("record: %s pending (untouched), it answers %s, invocation %s -> %s", in.Name, v, before[port], now[port])
			}
		default:
			t.Errorf("record: %s left in phase %s after an interruption that finished or undid its step", in.Name, in.Phase)
		}
	}
	if mixed := len(versions) > 1; st.Mixed != mixed {
		t.Errorf("status mixed_releases %v, instances answer %v", st.Mixed, versions)
	}
	if testing.Verbose() {
		r := s.sysroll("status", s.name)
		t.Logf("sysroll status:\n%s", r.Stdout)
	}
}
