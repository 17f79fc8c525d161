package host

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
)

// Every verb that changes units, releases or records is refused while
// another holds the service's lock, before it changes anything, with the
// holder's pid, user and command.
func TestMutatingVerbsAreRefusedWhileTheLockIsHeld(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.install("shop", three)
		template := filepath.Join(w.h.UnitDir, "shop@.service")
		unitBefore, err := os.ReadFile(template)
		if err != nil {
			t.Fatal(err)
		}
		lock, err := w.store("shop").Lock(release.LockInfo{User: "alice", Command: "sysroll deploy shop --artifact ./v2"})
		if err != nil {
			t.Fatal(err)
		}
		defer lock.Unlock()
		calls := len(w.fake.Calls())
		ctx := t.Context()
		// Drop an instance and change the units: apply would stop 8083
		// and rewrite the template.
		changed := w.serviceFile("shop", three[:2], "stop_timeout: 7s")
		for name, err := range map[string]error{
			"apply":           second(w.h.Apply(ctx, ApplyOptions{File: changed})),
			"apply artifact":  second(w.h.Apply(ctx, ApplyOptions{File: changed, Artifact: w.artifact("v2"), Version: "v2"})),
			"uninstall":       w.h.Uninstall(ctx, UninstallOptions{Service: "shop"}),
			"uninstall purge": w.h.Uninstall(ctx, UninstallOptions{Service: "shop", Purge: true}),
			"deploy":          second(w.h.Deploy(ctx, DeployOptions{Service: "shop", Artifact: w.artifact("v3")}, nil)),
			"restart":         second(w.h.Restart(ctx, RestartOptions{Service: "shop"}, nil)),
			"rollback":        second(w.h.Rollback(ctx, RollbackOptions{Service: "shop", To: "v1"}, nil)),
			"resume":          second(w.h.Resume(ctx, ResumeOptions{Service: "shop"}, nil)),
		} {
			if _, ok := errors.AsType[*release.LockedError](err); !ok {
				t.Errorf("%s while locked: %v, want the lock holder", name, err)
				continue
			}
			for _, want := range []string{"pid ", "user alice", "(sysroll deploy shop --artifact ./v2)"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%s: %q does not name %q", name, err, want)
				}
			}
		}
		if c := w.fake.Calls()[calls:]; len(c) != 0 {
			t.Errorf("refused verbs called systemd: %+v", c)
		}
		if after, err := os.ReadFile(template); err != nil || string(after) != string(unitBefore) {
			t.Errorf("the template changed under the lock: %v", err)
		}
		if cur := w.current("shop"); len(cur) != 3 {
			t.Errorf("instances after refused verbs: %v", cur)
		}
		if _, err := w.store("shop").Get("v2"); !errors.Is(err, release.ErrNotFound) {
			t.Errorf("a refused apply staged its artifact: %v", err)
		}
	})
}

// interruptAfterFirst deploys v2 and interrupts it once the first instance
// is done: the record says interrupted, 8081 is on v2, the others on v1.
func interruptAfterFirst(t *testing.T, w *world) *release.Record {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stop := rollout.ProgressFunc(func(e rollout.Event) {
		if e.Type == rollout.EventInstanceDone {
			cancel()
		}
	})
	res, err := w.h.Deploy(ctx, DeployOptions{Service: "shop", Artifact: w.artifact("v2"), Version: "v2"}, stop)
	if !errors.Is(err, ErrInterrupted) || res.Record.Result != release.ResultInterrupted {
		t.Fatalf("deploy: %v", err)
	}
	return res.Record
}

// While a rollout is interrupted, apply may remove an instance (it is
// stopped and forgotten, and the resume leaves it alone) but not add one.
func TestApplyDuringAnInterruptedRollout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.install("shop", three)
		rec := interruptAfterFirst(t, w)

		_, err := w.h.Apply(t.Context(), ApplyOptions{File: w.serviceFile("shop", append(slices.Clone(three), "8084"))})
		if err == nil || !strings.Contains(err.Error(), "cannot add instance 8084") || !strings.Contains(err.Error(), "sysroll deploy shop --resume") {
			t.Fatalf("apply adding an instance mid-rollout: %v", err)
		}
		if _, ok := w.fake.State("shop@8084.service"); ok {
			t.Errorf("the refused apply touched shop@8084")
		}

		if _, err := w.h.Apply(t.Context(), ApplyOptions{File: w.serviceFile("shop", three[:2])}); err != nil {
			t.Fatalf("apply removing 8083 mid-rollout: %v", err)
		}
		if st, _ := w.fake.State("shop@8083.service"); st.Running() {
			t.Fatalf("8083 still runs after apply removed it")
		}
		calls := len(w.fake.Calls())
		var ev events
		res, err := w.h.Resume(t.Context(), ResumeOptions{Service: "shop"}, &ev)
		if err != nil || res.Record.ID != rec.ID || res.Record.Result != release.ResultSucceeded {
			t.Fatalf("resume: %v %+v", err, res)
		}
		for _, c := range w.fake.Calls()[calls:] {
			if c.Unit == "shop@8083.service" {
				t.Errorf("resume acted on the removed instance: %s %s", c.Op, c.Unit)
			}
		}
		if st, _ := w.fake.State("shop@8083.service"); st.Running() {
			t.Errorf("resume started the removed instance 8083 again")
		}
		if cur := w.current("shop"); cur["8081"] != "v2" || cur["8082"] != "v2" || cur["8083"] != "" {
			t.Errorf("after resume: %v, want 8081 and 8082 on v2 and no 8083", cur)
		}
		if !slices.ContainsFunc(ev.list, func(e rollout.Event) bool {
			return e.Type == rollout.EventWarning && strings.Contains(e.Message, "8083 is no longer in the service")
		}) {
			t.Errorf("resume did not say it left 8083 alone")
		}
	})
}

// A rollback of an interrupted rollout leaves an instance apply removed
// alone too.
func TestRollbackOfAnInterruptedRolloutSkipsARemovedInstance(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.install("shop", three)
		interruptAfterFirst(t, w)
		// Remove the instance the rollout moved: the rollback would put
		// it back on v1 and start it.
		if _, err := w.h.Apply(t.Context(), ApplyOptions{File: w.serviceFile("shop", three[1:])}); err != nil {
			t.Fatal(err)
		}
		calls := len(w.fake.Calls())
		res, err := w.h.Rollback(t.Context(), RollbackOptions{Service: "shop"}, nil)
		if err != nil || res.Record.Result != release.ResultRolledBack {
			t.Fatalf("rollback: %v %+v", err, res)
		}
		for _, c := range w.fake.Calls()[calls:] {
			if c.Unit == "shop@8081.service" {
				t.Errorf("rollback acted on the removed instance: %s", c.Op)
			}
		}
		if cur := w.current("shop"); cur["8081"] != "" || cur["8082"] != "v1" || cur["8083"] != "v1" {
			t.Errorf("after rollback: %v", cur)
		}
	})
}

// uninstall --purge works with the installed service file and the record
// of applied units both garbage, and says what it could not read; a plain
// uninstall works with a garbage service file.
func TestUninstallWithGarbageState(t *testing.T) {
	for _, purge := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "purge"}[purge], func(t *testing.T) {
			w := newWorld(t)
			w.install("shop", three)
			dir := filepath.Join(w.h.StateRoot, "shop")
			garbage := []string{appliedServiceFile}
			if purge {
				garbage = append(garbage, appliedFile)
			}
			for _, f := range garbage {
				if err := os.WriteFile(filepath.Join(dir, f), []byte("{[ garbage\x00"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var warnings []string
			err := w.h.Uninstall(t.Context(), UninstallOptions{Service: "shop", Purge: purge, Warn: func(m string) { warnings = append(warnings, m) }})
			if err != nil {
				t.Fatalf("uninstall: %v", err)
			}
			for _, f := range garbage {
				if !slices.ContainsFunc(warnings, func(m string) bool { return strings.Contains(m, filepath.Join(dir, f)) }) {
					t.Errorf("no warning names %s: %q", f, warnings)
				}
			}
			for _, f := range []string{"shop@.service", "shop.target"} {
				if _, err := os.Stat(filepath.Join(w.h.UnitDir, f)); !os.IsNotExist(err) {
					t.Errorf("%s left: %v", f, err)
				}
			}
			for _, inst := range three {
				if st, _ := w.fake.State("shop@" + inst + ".service"); st.Running() {
					t.Errorf("%s still runs", inst)
				}
			}
			if _, err := os.Stat(dir); purge != os.IsNotExist(err) {
				t.Errorf("state dir after uninstall (purge %v): %v", purge, err)
			}
		})
	}
}
