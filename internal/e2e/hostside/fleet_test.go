//go:build integration

package hostside

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/schema"
)

// The host step as fleet.md shows it: the staged release rolled out by
// `deploy --version` inside a transient unit, its events appended to a
// file, and followers reading it over "SSH" (here: processes in the
// container). The follower from 0 sees every event, numbered 1, 2, ...
// without a gap, and ends when the unit does; one killed with -9 mid-way
// changes nothing; one started from a middle offset gets exactly the rest.
func TestFleetHostStep(t *testing.T) {
	s := newService(t, "hs-fleet", 24910, 24911, 24912)
	before := e2etest.Invocations(t, s.units())
	tgz, sum := s.tarball("v2")
	e2etest.MustSysroll(t, "stage", s.name, "--artifact", tgz, "--version", "v2", "--expect-sha256", sum)

	const fleet = "e2e-x"
	unit := "sysroll-fleet-" + fleet
	dir := "/var/lib/sysroll/hs-fleet/fleet"
	events := dir + "/" + fleet + ".events"
	if r := e2etest.Run(t, "install", "-d", "-m", "0700", dir); r.Code != 0 {
		t.Fatal(r)
	}
	r := e2etest.Run(t, "systemd-run", "--unit="+unit, "--collect", "--quiet", "--service-type=exec",
		"--description=sysroll fleet "+fleet+": hs-fleet → v2", "-p", "TimeoutStopSec=120",
		"--", e2etest.BinDir+"/sysroll", "deploy", s.name, "--version", "v2", "--fleet", fleet, "--events", events, "--json")
	if r.Code != 0 {
		t.Fatalf("systemd-run: %s", r)
	}
	t.Cleanup(func() { e2etest.Run(t, "systemctl", "stop", unit+".service") })

	// Started at once: the unit may not have created the file yet.
	all := e2etest.StartSysroll(t, "follow", events, "--from", "0", "--unit", unit)
	doomed := e2etest.StartSysroll(t, "follow", events, "--from", "0", "--unit", unit)
	doomed.WaitEvent(60*time.Second, func(e schema.Event) bool { return e.Type == "phase" })
	doomed.Signal("KILL")
	if d := doomed.Wait(10 * time.Second); d.Signal == 0 {
		t.Errorf("the doomed follower was not killed: %s", d)
	}

	res := all.Wait(120 * time.Second)
	if res.Code != 0 {
		t.Fatalf("follow from 0: %s", res)
	}
	// The first line is the shell's PID (StartSysroll), not follow's.
	if pid, rest, ok := strings.Cut(res.Stdout, "\n"); !ok || pid != all.PID() {
		t.Fatalf("follow's output does not start with its PID line: %q", res.Stdout)
	} else {
		res.Stdout = rest
	}
	if st := e2etest.Run(t, "systemctl", "is-active", unit+".service"); strings.TrimSpace(st.Stdout) == "active" {
		t.Errorf("follow ended while %s is still active", unit)
	}
	file := e2etest.Run(t, "cat", events)
	if file.Code != 0 {
		t.Fatal(file)
	}
	if res.Stdout != file.Stdout {
		t.Errorf("follow from 0 printed other than the file:\nfollow:\n%s\nfile:\n%s", res.Stdout, file.Stdout)
	}
	evs := parseLines(t, res.Stdout)
	if len(evs) < 10 {
		t.Fatalf("only %d events: %s", len(evs), res.Stdout)
	}
	for i, e := range evs {
		if e.Seq != uint64(i+1) {
			t.Errorf("event %d (%s): seq %d, want %d", i, e.Type, e.Seq, i+1)
		}
	}
	if evs[0].Type != "staged" || !strings.Contains(evs[0].Message, "staged before") {
		t.Errorf("first event %+v, want the staged release", evs[0])
	}
	last := evs[len(evs)-1]
	if last.Type != "rollout-end" || last.Result != release.ResultSucceeded {
		t.Errorf("last event %+v, want rollout-end succeeded", last)
	}
	done := map[string]bool{}
	for _, e := range evs {
		if e.Type == "instance-done" {
			done[e.Instance] = true
		}
	}
	for _, p := range s.ports {
		if !done[strconv.Itoa(p)] {
			t.Errorf("no instance-done for %d among the events", p)
		}
	}

	// Reattach from the middle: exactly the rest, and at once (the unit is
	// gone).
	lines := strings.SplitAfter(res.Stdout, "\n")
	k := len(evs) / 2
	offset := len(strings.Join(lines[:k], ""))
	start := time.Now()
	rest := e2etest.Sysroll(t, "follow", events, "--from", strconv.Itoa(offset), "--unit", unit)
	if rest.Code != 0 || rest.Stdout != strings.Join(lines[k:], "") {
		t.Errorf("follow --from %d: %s\nwant exactly:\n%s", offset, rest, strings.Join(lines[k:], ""))
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("follow of an ended unit took %s", took)
	}
	if r := e2etest.Sysroll(t, "follow", events, "--from", strconv.Itoa(offset+1), "--unit", unit); r.Code != 2 {
		t.Errorf("follow from inside a line: %s", r)
	}

	// The rollout finished despite the killed follower; the record says
	// which fleet and which boot.
	rec := e2etest.LastRecord(t, s.name)
	if rec.Result != release.ResultSucceeded || rec.To != "v2" || rec.FleetID != fleet || rec.BootID != bootID(t) {
		t.Errorf("record: result %s to %s fleet %q boot %q (want %q)", rec.Result, rec.To, rec.FleetID, rec.BootID, bootID(t))
	}
	hist := e2etest.MustSysroll(t, "history", s.name, "--fleet", fleet, "--json")
	var h schema.History
	if err := json.Unmarshal([]byte(hist.Stdout), &h); err != nil || len(h.Rollouts) != 1 || h.Rollouts[0].ID != rec.ID || h.Rollouts[0].FleetID != fleet {
		t.Errorf("history --fleet %s --json (%v): %s", fleet, err, hist.Stdout)
	}
	now := e2etest.Invocations(t, s.units())
	for _, u := range s.units() {
		if now[u] == before[u] {
			t.Errorf("%s was not restarted", u)
		}
	}
	e2etest.WaitVersion(t, s.name, s.ports, "v2", 5*time.Second)

	// The same file takes the next rollout: numbering goes on.
	r = e2etest.Run(t, "systemd-run", "--unit="+unit+"-2", "--collect", "--quiet", "--service-type=exec", "--wait",
		"--", e2etest.BinDir+"/sysroll", "restart", s.name, "--fleet", fleet, "--events", events, "--json")
	if r.Code != 0 {
		t.Fatalf("restart under systemd-run: %s", r)
	}
	more := e2etest.Sysroll(t, "follow", events, "--from", strconv.Itoa(len(res.Stdout)), "--unit", unit+"-2")
	next := parseLines(t, more.Stdout)
	if more.Code != 0 || len(next) == 0 || next[0].Seq != uint64(len(evs)+1) || next[len(next)-1].Type != "rollout-end" {
		t.Errorf("second rollout's events: %s", more)
	}
}

// parseLines decodes every line of out as an event; each must be whole.
func parseLines(t *testing.T, out string) []schema.Event {
	t.Helper()
	if out != "" && !strings.HasSuffix(out, "\n") {
		t.Errorf("output ends in a partial line: %q", out[max(0, len(out)-80):])
	}
	var evs []schema.Event
	for line := range strings.Lines(out) {
		var e schema.Event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		evs = append(evs, e)
	}
	return evs
}
