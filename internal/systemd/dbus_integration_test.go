//go:build integration

package systemd_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/systemd"
	"github.com/sysroll/sysroll/internal/testbed"
)

const sleeper = "[Service]\nExecStart=/bin/sleep infinity\n"

func TestReload(t *testing.T) {
	c, m, ctx := connect(t)
	const name = "sysroll-it-reload.service"
	if u := unit(t, ctx, m, name); u.LoadState != "not-found" {
		t.Fatalf("before install: LoadState = %q, want not-found", u.LoadState)
	}
	install(t, c, m, map[string]string{name: "[Unit]\nDescription=one\n" + sleeper})
	if u := unit(t, ctx, m, name); u.LoadState != "loaded" || u.Description != "one" {
		t.Fatalf("after install: %+v", u)
	}
	if err := c.WriteFile(unitDir+name, []byte("[Unit]\nDescription=two\n"+sleeper), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := m.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if u := unit(t, ctx, m, name); u.Description != "two" {
		t.Errorf("after edit + Reload: Description = %q, want two", u.Description)
	}
}

func TestStartRestartStop(t *testing.T) {
	c, m, ctx := connect(t)
	const name = "sysroll-it-cycle.service"
	install(t, c, m, map[string]string{name: sleeper})

	before := time.Now().Add(-time.Second)
	if err := m.Start(ctx, name); err != nil {
		t.Fatal(err)
	}
	first := unit(t, ctx, m, name)
	if !first.Running() || first.MainPID == 0 || first.InvocationID == "" || first.LoadState != "loaded" {
		t.Fatalf("after Start: %+v", first)
	}
	if first.ActiveEnter.Before(before) || first.ActiveEnter.After(time.Now()) {
		t.Errorf("ActiveEnter = %s, want between %s and now", first.ActiveEnter, before)
	}

	// Starting a running unit is a no-op: same invocation.
	if err := m.Start(ctx, name); err != nil {
		t.Fatal(err)
	}
	if u := unit(t, ctx, m, name); u.InvocationID != first.InvocationID {
		t.Errorf("Start of a running unit changed InvocationID %s -> %s", first.InvocationID, u.InvocationID)
	}

	if err := m.Restart(ctx, name); err != nil {
		t.Fatal(err)
	}
	second := unit(t, ctx, m, name)
	if !second.Running() {
		t.Fatalf("after Restart: %+v", second)
	}
	if second.InvocationID == first.InvocationID {
		t.Errorf("Restart kept InvocationID %s", first.InvocationID)
	}
	if second.MainPID == first.MainPID {
		t.Errorf("Restart kept MainPID %d", first.MainPID)
	}
	if second.NRestarts != 0 {
		t.Errorf("NRestarts = %d after a manual restart, want 0", second.NRestarts)
	}

	if err := m.Stop(ctx, name); err != nil {
		t.Fatal(err)
	}
	if u := unit(t, ctx, m, name); u.ActiveState != systemd.Inactive || u.SubState != "dead" || u.MainPID != 0 {
		t.Errorf("after Stop: %+v", u)
	}
}

// Start blocks until the job has finished: for a oneshot, until it exited.
func TestStartWaitsForJob(t *testing.T) {
	c, m, ctx := connect(t)
	const name = "sysroll-it-oneshot.service"
	install(t, c, m, map[string]string{name: "[Service]\nType=oneshot\nExecStart=/bin/sleep 1\n"})
	start := time.Now()
	if err := m.Start(ctx, name); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < time.Second {
		t.Errorf("Start returned after %s, before the 1s oneshot finished", took)
	}
	if u := unit(t, ctx, m, name); u.ActiveState != systemd.Inactive || u.Result != "success" {
		t.Errorf("after the oneshot: %+v", u)
	}
}

func TestStartFails(t *testing.T) {
	c, m, ctx := connect(t)
	tests := []struct {
		name       string
		service    string
		op         func(context.Context, string) error
		opName     string
		wantResult string // the unit's Result
		wantStatus int32  // ExecMainStatus
	}{
		{"sysroll-it-false.service", "Type=oneshot\nExecStart=/bin/false", m.Start, "start", "exit-code", 1},
		{"sysroll-it-noready.service", "Type=notify\nExecStart=/bin/sh -c 'exit 3'", m.Start, "start", "exit-code", 3},
		{"sysroll-it-noexec.service", "Type=exec\nExecStart=/nonexistent/app", m.Start, "start", "exit-code", 203},
		{"sysroll-it-slowready.service", "Type=notify\nExecStart=/bin/sleep infinity\nTimeoutStartSec=1", m.Start, "start", "timeout", 15},
		{"sysroll-it-restartfail.service", "Type=oneshot\nExecStart=/bin/false", m.Restart, "restart", "exit-code", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			install(t, c, m, map[string]string{tt.name: "[Service]\n" + tt.service + "\n"})
			err := tt.op(ctx, tt.name)
			var je *systemd.JobError
			if !errors.As(err, &je) {
				t.Fatalf("err = %v, want a *systemd.JobError", err)
			}
			want := systemd.JobError{Op: tt.opName, Unit: tt.name, Result: systemd.JobFailed}
			if *je != want {
				t.Errorf("JobError = %+v, want %+v", *je, want)
			}
			u := unit(t, ctx, m, tt.name)
			if u.ActiveState != systemd.Failed || u.Result != tt.wantResult || u.ExecMainStatus != tt.wantStatus {
				t.Errorf("unit after failed %s: %+v; want failed, Result %s, ExecMainStatus %d", tt.opName, u, tt.wantResult, tt.wantStatus)
			}
		})
	}

	// A unit that does not exist is not a job failure: there is no job.
	err := m.Start(ctx, "sysroll-it-missing.service")
	var je *systemd.JobError
	if err == nil || errors.As(err, &je) || !strings.Contains(err.Error(), "sysroll-it-missing.service") {
		t.Errorf("Start of a missing unit: err = %v, want a plain error naming the unit", err)
	}
}

// A unit that starts fine and dies a second later: Start succeeds, the state
// turns failed (no Restart=) or NRestarts grows (Restart=on-failure).
func TestCrashAfterStart(t *testing.T) {
	c, m, ctx := connect(t)
	const crash = "ExecStart=/bin/sh -c 'sleep 1; exit 1'\n"
	const dies, loops = "sysroll-it-crash.service", "sysroll-it-crashloop.service"
	install(t, c, m, map[string]string{
		dies:  "[Service]\n" + crash,
		loops: "[Service]\n" + crash + "Restart=on-failure\nRestartSec=200ms\n",
	})
	for _, name := range []string{dies, loops} {
		if err := m.Start(ctx, name); err != nil {
			t.Fatalf("Start %s: %v", name, err)
		}
	}
	first := unit(t, ctx, m, loops)
	if u := unit(t, ctx, m, dies); !u.Running() || !first.Running() {
		t.Fatalf("right after Start: %+v / %+v", u, first)
	}

	u := waitFor(t, ctx, m, dies, 10*time.Second, "failed", func(u systemd.UnitState) bool { return u.ActiveState == systemd.Failed })
	if u.Result != "exit-code" || u.ExecMainStatus != 1 || u.ExecMainCode != 1 || u.MainPID != 0 {
		t.Errorf("crashed unit: %+v", u)
	}

	u = waitFor(t, ctx, m, loops, 10*time.Second, "restarted", func(u systemd.UnitState) bool { return u.NRestarts > 0 && u.Running() })
	if u.InvocationID == first.InvocationID {
		t.Errorf("auto-restart kept InvocationID %s", u.InvocationID)
	}
	// A manual restart resets the counter.
	if err := m.Restart(ctx, loops); err != nil {
		t.Fatal(err)
	}
	if u := unit(t, ctx, m, loops); u.NRestarts != 0 {
		t.Errorf("NRestarts = %d after a manual restart, want 0", u.NRestarts)
	}
}

// A job that outlives the caller's context returns the context's error
// promptly, and the connection keeps working (the job's late result must not
// block it).
func TestJobContextCanceled(t *testing.T) {
	c, m, ctx := connect(t)
	const name = "sysroll-it-neverready.service"
	install(t, c, m, map[string]string{name: "[Service]\nType=notify\nExecStart=/bin/sleep infinity\nTimeoutStartSec=60\n"})
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := m.Start(short, name)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Start returned %s after its context ended", took)
	}
	if u := unit(t, ctx, m, name); u.ActiveState != systemd.Activating {
		t.Errorf("while starting: %+v", u)
	}
	// Stop cancels the start job (its result "canceled" goes to the
	// abandoned channel) and finishes itself.
	if err := m.Stop(ctx, name); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx, "sysroll-it-neverready-other.service"); err == nil {
		t.Error("Start of a missing unit succeeded")
	}
	if u := unit(t, ctx, m, name); u.ActiveState != systemd.Inactive && u.ActiveState != systemd.Failed {
		t.Errorf("after Stop: %+v", u)
	}
}

// One connection serves concurrent jobs.
func TestConcurrentJobs(t *testing.T) {
	c, m, ctx := connect(t)
	install(t, c, m, map[string]string{"sysroll-it-par@.service": sleeper})
	ports := []string{"18020", "18021", "18022", "18023", "18024"}
	var wg sync.WaitGroup
	errs := make([]error, len(ports))
	for i, p := range ports {
		wg.Go(func() { errs[i] = m.Start(ctx, "sysroll-it-par@"+p+".service") })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	got, err := m.Units(ctx, "sysroll-it-par@*.service")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, u := range got {
		if !u.Running() {
			t.Errorf("%s not running: %+v", u.Name, u)
		}
		ids[u.InvocationID] = true
	}
	if len(got) != len(ports) || len(ids) != len(ports) {
		t.Errorf("got %d units with %d distinct invocation IDs, want %d", len(got), len(ids), len(ports))
	}
}

// The connection outlives the context given to Connect (godbus closes a
// connection when its dial context ends).
func TestConnectionOutlivesConnectContext(t *testing.T) {
	c := testbed.Shared(t)
	ctx, cancel := context.WithCancel(t.Context())
	m, err := systemd.Connect(ctx, systemd.Options{Address: c.BusAddress(), Timeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	cancel()
	time.Sleep(700 * time.Millisecond) // past the connect timeout, too
	if _, err := m.Unit(t.Context(), "dbus.service"); err != nil {
		t.Errorf("after Connect's context ended: %v", err)
	}
}
