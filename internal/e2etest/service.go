package e2etest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/schema"
)

// InstallService writes yaml as the service file at file inside the shared
// container, arranges for cleanup to uninstall name with --purge (its
// releases and records go too, freeing its ports for the next test), and
// applies the file with artifact as release version. It fails the test
// unless apply succeeds; waiting for the instances is the caller's.
func InstallService(t testing.TB, name, file, yaml, artifact, version string) {
	t.Helper()
	WriteFile(t, file, yaml, 0o644)
	t.Cleanup(func() {
		if r := Sysroll(t, "uninstall", name, "--purge"); r.Code != 0 {
			t.Logf("uninstall %s: %s", name, r)
		}
	})
	MustSysroll(t, "apply", file, "--artifact", artifact, "--version", version)
}

// UnitProps reads properties of units with one `systemctl show` call and
// returns them by unit name (its Id). Timestamps come as
// --timestamp=us+utc ("Sat 2026-11-25 17:18:00.123456 UTC"), to the
// microsecond, so a test can order them against sysroll's events.
func UnitProps(t testing.TB, units []string, props ...string) map[string]map[string]string {
	t.Helper()
	argv := []string{"systemctl", "show", "--timestamp=us+utc", "-p", "Id"}
	for _, p := range props {
		argv = append(argv, "-p", p)
	}
	r := Run(t, append(argv, units...)...)
	if r.Code != 0 {
		t.Fatalf("systemctl show: %s", r)
	}
	out := map[string]map[string]string{}
	for _, block := range strings.Split(strings.TrimSpace(r.Stdout), "\n\n") {
		kv := map[string]string{}
		for _, l := range strings.Split(block, "\n") {
			k, v, _ := strings.Cut(l, "=")
			kv[k] = v
		}
		out[kv["Id"]] = kv
	}
	return out
}

// Invocations returns each unit's InvocationID, by unit name: "" for a
// unit that is not running. A test compares two readings to tell whether
// systemd restarted a unit in between.
func Invocations(t testing.TB, units []string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for u, kv := range UnitProps(t, units, "InvocationID") {
		m[u] = kv["InvocationID"]
	}
	return m
}

// History returns the rollout records of service name, newest first.
func History(t testing.TB, name string) []release.Record {
	t.Helper()
	r := Sysroll(t, "history", name, "--json", "-n", "0")
	if r.Code != 0 {
		t.Fatalf("history: %s", r)
	}
	var h schema.History
	if err := json.Unmarshal([]byte(r.Stdout), &h); err != nil {
		t.Fatalf("history --json: %v\n%s", err, r.Stdout)
	}
	return h.Rollouts
}

// LastRecord is the newest rollout record of service name; it fails the
// test if there is none.
func LastRecord(t testing.TB, name string) release.Record {
	t.Helper()
	recs := History(t, name)
	if len(recs) == 0 {
		t.Fatalf("%s: no rollout recorded", name)
	}
	return recs[0]
}

// TryStatus runs `sysroll status NAME --json`; an error says why there is
// no status yet, for callers that poll. Exit 1 (not every instance healthy)
// still comes with the status.
func TryStatus(t testing.TB, name string) (schema.Status, error) {
	t.Helper()
	r := Sysroll(t, "status", name, "--json")
	var st schema.Status
	if r.Code != 0 && r.Code != 1 {
		return st, fmt.Errorf("status: %s", r)
	}
	if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil {
		return st, fmt.Errorf("status --json: %w\n%s", err, r.Stdout)
	}
	return st, nil
}

// Status is TryStatus that fails the test on an error.
func Status(t testing.TB, name string) schema.Status {
	t.Helper()
	st, err := TryStatus(t, name)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// WaitHealthy waits until `sysroll status` sees n instances of name running
// and healthy, and fails the test if they are not within the time given.
func WaitHealthy(t testing.TB, name string, n int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		st, err := TryStatus(t, name)
		if err == nil && st.Running == n && st.Healthy == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not every instance running and healthy after %s: %+v %v", name, within, st, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
