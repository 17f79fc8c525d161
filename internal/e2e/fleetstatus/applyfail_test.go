//go:build integration

package fleetstatus

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// TestApplyStopsAtFailedHost: with batch 1, a release that fails at start
// on h2 (a marker file there) stops the fleet apply at h2: exit 1 naming
// h2, h1 installed, h3 never touched.
func TestApplyStopsAtFailedHost(t *testing.T) {
	f := e2etest.SharedFleet(t)
	name := "fs-fail"
	marker := "/run/" + name + "-fail"
	local := t.TempDir()
	var hosts strings.Builder
	for _, h := range f.Hosts() {
		fmt.Fprintf(&hosts, "  - {name: %s, address: %s}\n", h.Name(), h.Addr())
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			_, _ = h.Exec(ctx, "rm", "-f", marker)
			if out, err := h.Exec(ctx, e2etest.BinDir+"/sysroll", "uninstall", name, "--purge"); err != nil {
				t.Logf("%s: uninstall %s: %v\n%s", h.Name(), name, err, out)
			}
		})
	}
	file := filepath.Join(local, "service.yaml")
	yaml := e2etest.HelloYAML(name, []int{25411}, time.Second, "") + "hosts:\n" + hosts.String() + "fleet:\n  hosts: {batch: 1}\n"
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	rel := filepath.Join(local, "v1")
	script := fmt.Sprintf("#!/bin/sh\n[ -e %s ] && exec %s/hello --version v1 --fail-at-start \"$@\"\nexec %s/hello --version v1 \"$@\"\n", marker, e2etest.BinDir, e2etest.BinDir)
	if err := os.MkdirAll(rel, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rel, "hello"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := f.Host("h2").Exec(ctx, "touch", marker); err != nil {
		t.Fatalf("h2: touch %s: %v %s", marker, err, out)
	}
	r := f.RunController(t, "fleet", "apply", file, "--artifact", rel, "--version", "v1", "--ssh-config", f.SSHConfigPath())
	t.Logf("fleet apply with h2 failing: %s", r.Took.Round(time.Millisecond))
	if r.Code != 1 || !strings.Contains(r.Stderr, "failed on h2") || !strings.Contains(r.Stderr, "(h1)") {
		t.Fatalf("want exit 1 naming h2, h1 applied: %s", r)
	}
	// h3 had the handshake (the build copied, before any change anywhere),
	// and nothing after it.
	for l := range strings.Lines(r.Stdout) {
		if strings.HasPrefix(l, "h3| ") && !strings.HasPrefix(l, "h3| sysroll build copied") || strings.HasPrefix(l, "host batch 3/") {
			t.Errorf("h3 was applied after h2 failed: %q in\n%s", l, r.Stdout)
		}
	}
	if st := f.Host("h1").Status(t, name); st.Healthy != 1 {
		t.Errorf("h1: %d healthy, want 1", st.Healthy)
	}
	out, err := f.Host("h3").Exec(ctx, e2etest.BinDir+"/sysroll", "status", name)
	if err == nil {
		t.Errorf("h3 has %s installed: %s", name, out)
	}
}
