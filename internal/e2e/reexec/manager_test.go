//go:build integration

package reexec

import (
	"context"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/systemd"
	"github.com/sysroll/sysroll/internal/testbed"
)

// slowUnit takes 2s to start and 2s to stop (sleeps in ExecStartPre and
// ExecStop keep the start and stop jobs running), so a reexec lands while
// the job is in progress.
const slowUnit = "[Service]\nExecStartPre=/bin/sleep 2\nExecStart=/bin/sleep infinity\nExecStop=/bin/sleep 2\n"

// The Manager survives a daemon-reexec with a restart job queued: the job
// is reported done (not failed because its result was lost), reads work
// again, and the unit runs as a new invocation.
func TestManagerJobAcrossReexec(t *testing.T) {
	c := testbed.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const name = "reexec-mgr.service"
	e2etest.WriteFile(t, "/etc/systemd/system/"+name, slowUnit, 0o644)
	t.Cleanup(func() {
		e2etest.Run(t, "systemctl", "stop", name)
		c.RemoveFile("/etc/systemd/system/" + name)
		e2etest.Run(t, "systemctl", "daemon-reload")
	})
	m, err := systemd.Connect(ctx, systemd.Options{Address: c.BusAddress()})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx, name); err != nil {
		t.Fatal(err)
	}
	before, err := m.Unit(ctx, name)
	if err != nil {
		t.Fatal(err)
	}

	for _, op := range []string{"restart", "stop", "start"} {
		done := make(chan error, 1)
		start := time.Now()
		go func() {
			switch op {
			case "restart":
				done <- m.Restart(ctx, name)
			case "stop":
				done <- m.Stop(ctx, name)
			default:
				done <- m.Start(ctx, name)
			}
		}()
		time.Sleep(500 * time.Millisecond) // the job is queued (it takes 2s or more)
		if p := e2etest.UnitProps(t, []string{name}, "Job")[name]; p["Job"] == "" {
			t.Fatalf("%s: no job in progress at the reexec: %v", op, p)
		}
		reexec(t)
		if err := <-done; err != nil {
			t.Fatalf("%s across daemon-reexec: %v", op, err)
		}
		t.Logf("%s across daemon-reexec took %s", op, time.Since(start).Round(time.Millisecond))
	}
	after, err := m.Unit(ctx, name)
	if err != nil {
		t.Fatalf("read after reexec: %v", err)
	}
	if !after.Running() || after.InvocationID == before.InvocationID {
		t.Errorf("after restart, stop, start across reexecs: %+v (before %+v)", after, before)
	}
	if n := m.Reconnects(); n < 3 {
		t.Errorf("Reconnects() = %d after three reexecs", n)
	}
}

// reexec runs systemctl daemon-reexec inside the container and fails the
// test unless it succeeds.
func reexec(t testing.TB) {
	t.Helper()
	if r := e2etest.Run(t, "systemctl", "daemon-reexec"); r.Code != 0 {
		t.Fatalf("systemctl daemon-reexec: %s", r)
	}
}
