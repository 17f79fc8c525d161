//go:build integration

package systemd_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/systemd"
	"github.com/sysroll/sysroll/internal/testbed"
)

// The integration tests share one container; each test uses its own unit
// names (sysroll-it-<test>...) so they cannot see each other's units.
func TestMain(m *testing.M) {
	testbed.Main(m, testbed.Options{Name: "sysroll-systemd"})
}

// unitDir is where the tests install units: /etc, so that enable works.
const unitDir = "/etc/systemd/system/"

// connect returns a Manager talking to the shared container's systemd over
// its private socket, and a context bounding the test.
func connect(t *testing.T) (*testbed.Container, *systemd.DBus, context.Context) {
	t.Helper()
	c := testbed.Shared(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	m, err := systemd.Connect(ctx, systemd.Options{Address: c.BusAddress()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return c, m, ctx
}

// install writes unit files and reloads. Cleanup stops the units (and any
// instances of templates), removes the files and reloads again.
func install(t *testing.T, c *testbed.Container, m *systemd.DBus, units map[string]string) {
	t.Helper()
	ctx := context.Background()
	for name, body := range units {
		if err := c.WriteFile(unitDir+name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for name := range units {
			pattern := name
			if base, ok := strings.CutSuffix(name, "@.service"); ok {
				pattern = base + "@*.service"
			}
			states, _ := m.Units(ctx, pattern)
			for _, u := range states {
				m.Stop(ctx, u.Name)
				m.ResetFailed(ctx, u.Name)
			}
			c.RemoveFile(unitDir + name)
		}
		m.Reload(ctx)
	})
	if err := m.Reload(ctx); err != nil {
		t.Fatal(err)
	}
}

// unit reads one unit's state or fails the test.
func unit(t *testing.T, ctx context.Context, m systemd.Manager, name string) systemd.UnitState {
	t.Helper()
	u, err := m.Unit(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// waitFor polls a unit until cond holds, failing the test after timeout.
func waitFor(t *testing.T, ctx context.Context, m systemd.Manager, name string, timeout time.Duration, what string, cond func(systemd.UnitState) bool) systemd.UnitState {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		u := unit(t, ctx, m, name)
		if cond(u) {
			return u
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not %s after %s: %+v", name, what, timeout, u)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
