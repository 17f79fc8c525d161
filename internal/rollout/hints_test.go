package rollout_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"

	"github.com/sysroll/sysroll/internal/rollout"
)

// An instance that fails carries the hints of its journal, read further back
// than the lines shown: gunicorn's EPERM line comes a dozen lines before the
// end (measured: worker exit, master shutdown, systemd's exit and restart).
func TestFailedInstanceCarriesHints(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 4)
		failingRelease(w, "8082", "v2")
		journal := []string{
			"    os.setuid(uid)",
			"PermissionError: [Errno 1] Operation not permitted",
		}
		for range 12 {
			journal = append(journal, "[INFO] Worker exiting")
		}
		deps := w.deps()
		deps.Logs = func(_ context.Context, _ string, n int) []string {
			if n < len(journal) {
				return journal[len(journal)-n:]
			}
			return journal
		}
		_, err := rollout.Run(t.Context(), w.spec("v2"), deps)
		var fe *rollout.FailedError
		if !errors.As(err, &fe) || fe.Instance != "8082" {
			t.Fatalf("Run = %v, want 8082 failed", err)
		}
		if len(fe.Hints) != 1 || fe.Hints[0].Fix != "set hardening.system_call_allow: [setuid]" ||
			fe.Hints[0].Line != "PermissionError: [Errno 1] Operation not permitted" {
			t.Errorf("hints %+v, want the setuid one", fe.Hints)
		}
		if len(fe.Logs) != 10 || fe.Logs[9] != "[INFO] Worker exiting" {
			t.Errorf("logs shown %q, want the last 10", fe.Logs)
		}
		var ev *rollout.Event
		for _, e := range w.events {
			if e.Type == rollout.EventInstanceFailed && e.Instance == "8082" {
				ev = &e
				break
			}
		}
		if ev == nil || len(ev.Hints) != 1 || ev.Hints[0].Key != "hardening.system_call_allow" {
			t.Errorf("instance-failed event %+v carries no hint", ev)
		}
	})
}
