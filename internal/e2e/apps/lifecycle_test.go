//go:build integration

package apps

import (
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/release"
)

// app is one real application under test, with its documented service file.
type app struct {
	name, file, dir string // service name, testdata service file, testdata release files
	n               int    // instances
	// check, when set, asks every instance from the host which version it
	// runs (per port), beyond what status reports.
	check func(t *testing.T, version string)
}

// lifecycle takes a through what every user does: install v1, deploy v2
// (all instances on it), deploy a broken v3 (caught in batch 1 and rolled
// back, the other instances untouched), and roll back to v1.
func lifecycle(t *testing.T, a app) {
	t.Helper()
	start := time.Now()
	install(t, a.name, serviceFile(t, a.file), releaseDir(t, a.name, a.dir, "v1"))
	e2etest.WaitHealthy(t, a.name, a.n, 30*time.Second)
	onRelease(t, a, "v1")

	e2etest.MustSysroll(t, "deploy", a.name, "--artifact", releaseDir(t, a.name, a.dir, "v2"), "--version", "v2")
	onRelease(t, a, "v2")

	units := unitsOf(t, a.name)
	before := e2etest.Invocations(t, units)
	r := e2etest.Sysroll(t, "deploy", a.name, "--artifact", releaseDir(t, a.name, a.dir, "v3-broken"), "--version", "v3-broken")
	if r.Code != 1 {
		t.Fatalf("deploy of the broken release: want exit 1, got %s", r)
	}
	rec := e2etest.LastRecord(t, a.name)
	if rec.Result != release.ResultRolledBack || len(rec.Batches) == 0 {
		t.Fatalf("broken deploy: result %s (batches %v), want rolled-back\n%s", rec.Result, rec.Batches, r)
	}
	// The broken release is the app's own fault: no sandbox hint.
	if strings.Contains(r.Stdout, "hint:") {
		t.Errorf("broken deploy printed a sandbox hint for an app error:\n%s", r.Stdout)
	}
	onRelease(t, a, "v2")
	after := e2etest.Invocations(t, units)
	restarted := 0
	for _, u := range units {
		if before[u] != after[u] {
			restarted++
		}
	}
	// Batch 1 is one instance: only it was restarted (twice: v3, then v2).
	if restarted != 1 {
		t.Errorf("broken deploy restarted %d instances, want only batch 1's: before %v after %v", restarted, before, after)
	}

	e2etest.MustSysroll(t, "rollback", a.name)
	onRelease(t, a, "v1")
	t.Logf("%s: install, deploy, broken deploy rolled back, rollback in %s", a.name, time.Since(start).Round(100*time.Millisecond))
}

// onRelease waits until status sees every instance healthy on version, and
// the instances themselves answer it.
func onRelease(t *testing.T, a app, version string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, err := e2etest.TryStatus(t, a.name)
		if err == nil && st.Healthy == a.n && maps.Equal(st.Releases, map[string]int{version: a.n}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not all %d instances healthy on %s: %+v %v", a.name, a.n, version, st, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if a.check != nil {
		a.check(t, version)
	}
}

func unitsOf(t *testing.T, name string) []string {
	t.Helper()
	var units []string
	for _, in := range e2etest.Status(t, name).Instances {
		units = append(units, in.Unit)
	}
	if len(units) == 0 {
		t.Fatalf("%s: no instances", name)
	}
	return units
}

// perPort checks each instance on its own port.
func perPort(first, n int) func(t *testing.T, version string) {
	return func(t *testing.T, version string) {
		t.Helper()
		e2etest.WaitVersion(t, "", ports(first, n), version, 5*time.Second)
	}
}

// get fetches url from the host.
func get(t *testing.T, url string) string {
	t.Helper()
	r := e2etest.Run(t, "python3", "-c", fmt.Sprintf("import urllib.request; print(urllib.request.urlopen(%q, timeout=2).read().decode(), end='')", url))
	if r.Code != 0 {
		t.Fatalf("GET %s: %s", url, r)
	}
	return strings.TrimSpace(r.Stdout)
}
