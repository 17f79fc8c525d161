package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/diagnose"
	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/schema"
)

func hintedFailure() rollout.Event {
	return rollout.Event{Service: "gapp", Time: time.Date(2026, 12, 1, 10, 0, 1, 0, time.UTC), Type: rollout.EventInstanceFailed,
		Instance: "24301", Batch: 0, Message: "crashed", Elapsed: time.Second,
		Logs: []string{"PermissionError: [Errno 1] Operation not permitted", "[INFO] Reason: Worker failed to boot."},
		Hints: []diagnose.Hint{{Key: "hardening.system_call_allow", Fix: "set hardening.system_call_allow: [setuid]",
			Why: "the sandbox's system call filter refused setuid (EPERM)", Line: "PermissionError: [Errno 1] Operation not permitted"}}}
}

const hintLine = `hint: the sandbox's system call filter refused setuid (EPERM) — set hardening.system_call_allow: [setuid] (journal: "PermissionError: [Errno 1] Operation not permitted")`

// A failed instance's hints follow its journal lines, one line each, in
// the plain, the terminal and the JSON output.
func TestFailureHints(t *testing.T) {
	var plain bytes.Buffer
	tp := &textProgress{w: &plain}
	tp.Event(rollout.Event{Service: "gapp", Time: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC), Type: rollout.EventRolloutStart, Batch: -1, Message: "deploy"})
	tp.Event(hintedFailure())
	if !strings.Contains(plain.String(), "             "+hintLine+"\n") {
		t.Errorf("plain output lacks the hint:\n%s", plain.String())
	}

	var tty bytes.Buffer
	newTTYProgress(&tty, nil).Event(hintedFailure())
	if !strings.Contains(tty.String(), strings.Replace(hintLine, "hint:", "\033[33mhint:\033[0m", 1)) {
		t.Errorf("terminal output lacks the hint:\n%q", tty.String())
	}

	var js bytes.Buffer
	(&jsonProgress{enc: json.NewEncoder(&js)}).Event(hintedFailure())
	var ev schema.Event
	if err := json.Unmarshal(js.Bytes(), &ev); err != nil {
		t.Fatal(err)
	}
	if len(ev.Hints) != 1 || ev.Hints[0].Fix != "set hardening.system_call_allow: [setuid]" || ev.Hints[0].Key != "hardening.system_call_allow" {
		t.Errorf("JSON hints %+v", ev.Hints)
	}
}
