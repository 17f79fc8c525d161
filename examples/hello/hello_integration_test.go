//go:build integration

package main_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/systemd"
	"github.com/sysroll/sysroll/internal/testbed"
)

// The example runs as the guide's two instances, on these ports (the
// container shares the host's network).
var ports = []string{"18081", "18082"}

const (
	binDir  = "/opt/hello" // where the built binary is bound inside
	version = "it-1"
	unitTpl = "hello@.service"
)

// TestMain builds the example and boots a container with it bound in.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "sysroll-hello-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "hello"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: build examples/hello: %v\n%s", err, out)
		return 1
	}
	return testbed.Run(m, testbed.Options{
		Name:  "sysroll-hello",
		Binds: []testbed.Bind{{Host: dir, Container: binDir, ReadOnly: true}},
	})
}

// The guide's layout done right: one template unit, two instances, each
// ready (READY=1) before its start job finishes, each restarted alone.
func TestHelloInstances(t *testing.T) {
	c := testbed.Shared(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	m, err := systemd.Connect(ctx, systemd.Options{Address: c.BusAddress()})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	unit := fmt.Sprintf("[Unit]\nDescription=hello %%i\n\n[Service]\nType=notify\nExecStart=%s/hello --port %%i --version %s\n", binDir, version)
	if err := c.WriteFile("/etc/systemd/system/"+unitTpl, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := m.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range ports {
		names = append(names, "hello@"+p+".service")
	}
	t.Cleanup(func() {
		for _, n := range names {
			m.Stop(context.Background(), n)
		}
	})

	for i, n := range names {
		if err := m.Start(ctx, n); err != nil {
			t.Fatalf("start %s: %v\n%s", n, err, journal(c, n))
		}
		// Type=notify: the start job finished on READY=1, so the instance
		// answers now, without retries.
		if code, body := get(t, ports[i], "/healthz"); code != http.StatusOK {
			t.Errorf("%s: GET /healthz right after start = %d %q", n, code, body)
		}
		if code, body := get(t, ports[i], "/"); code != http.StatusOK || !strings.Contains(body, version) || !strings.Contains(body, "instance "+ports[i]) {
			t.Errorf("%s: GET / = %d %q, want 200 naming version %s and instance %s", n, code, body, version, ports[i])
		}
	}

	states, err := m.Units(ctx, "hello@*.service")
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != len(names) {
		t.Fatalf("Units(hello@*) = %+v, want %d instances", states, len(names))
	}
	for _, u := range states {
		if !u.Running() || u.MainPID == 0 {
			t.Errorf("%s: %+v, want running", u.Name, u)
		}
	}

	// Restarting one instance leaves the other alone.
	before, _ := m.Unit(ctx, names[1])
	if err := m.Restart(ctx, names[0]); err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, ports[0], "/healthz"); code != http.StatusOK {
		t.Errorf("%s: /healthz right after restart = %d", names[0], code)
	}
	if after, _ := m.Unit(ctx, names[1]); after.InvocationID != before.InvocationID {
		t.Errorf("restarting %s restarted %s too", names[0], names[1])
	}

	for i, n := range names {
		if err := m.Stop(ctx, n); err != nil {
			t.Fatal(err)
		}
		if _, err := http.Get("http://127.0.0.1:" + ports[i] + "/healthz"); err == nil {
			t.Errorf("%s: still answering after stop", n)
		}
	}
}

func get(t *testing.T, port, path string) (int, string) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://127.0.0.1:" + port + path)
	if err != nil {
		t.Errorf("GET :%s%s: %v", port, path, err)
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// journal is the unit's recent log, to show why it failed.
func journal(c *testbed.Container, unit string) string {
	out, _ := c.Exec(context.Background(), "journalctl", "--no-pager", "-n", "20", "-u", unit)
	return string(out)
}
