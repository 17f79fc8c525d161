//go:build integration

package input

import (
	"fmt"
	"path"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/e2etest"
)

// TestPrivilegedPortWarning: config warns of a port below 1024 exactly
// when an instance cannot bind it on real systemd: a dynamic user without
// CAP_NET_BIND_SERVICE fails, and so does one with it under PrivateUsers=
// (the capability belongs to its own user namespace); with private_users:
// false it binds, and a listen: socket (bound by systemd as root) always
// works. Ports below 1024 are safe here: the container has its own network
// namespace.
func TestPrivilegedPortWarning(t *testing.T) {
	for _, tc := range []struct {
		name  string
		port  int
		extra string
		binds bool
	}{
		{"e2e-priv-plain", 81, "", false},
		{"e2e-priv-cap", 82, "hardening: {capabilities: [CAP_NET_BIND_SERVICE]}\n", false},
		{"e2e-priv-cap-nopu", 83, "hardening: {capabilities: [CAP_NET_BIND_SERVICE], private_users: false}\n", true},
		{"e2e-priv-listen", 84, "listen: 127.0.0.1:84\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := path.Join(workRoot, tc.name)
			t.Cleanup(func() { e2etest.Run(t, "rm", "-rf", dir) })
			yaml := fmt.Sprintf(`name: %s
command: "{release}/hello --port {port}"
instances: [%d]
health:
  http: {url: "http://127.0.0.1:%d/healthz"}
  interval: 200ms
  timeout: 200ms
  healthy_for: 1s
  deadline: 4s
%s`, tc.name, tc.port, tc.port, tc.extra)
			svc, err := config.Parse("service.yaml", []byte(yaml))
			if err != nil {
				t.Fatal(err)
			}
			warned := false
			for _, w := range svc.Warnings() {
				warned = warned || strings.Contains(w.Msg, "is below 1024")
			}
			if warned == tc.binds {
				t.Errorf("config warns %v, but on systemd the instance binds: %v", warned, tc.binds)
			}

			file := path.Join(dir, "service.yaml")
			e2etest.WriteFile(t, file, yaml, 0o644)
			rel := e2etest.HelloRelease(t, path.Join(dir, "release"), "v1")
			t.Cleanup(func() { e2etest.Sysroll(t, "uninstall", tc.name, "--purge") })
			r := e2etest.Sysroll(t, "apply", file, "--artifact", rel, "--version", "v1")
			unit := fmt.Sprintf("%s@%d.service", tc.name, tc.port)
			serves := e2etest.Run(t, "curl", "-fsS", fmt.Sprintf("http://127.0.0.1:%d/healthz", tc.port)).Code == 0
			if serves != tc.binds {
				journal := e2etest.Run(t, "journalctl", "-u", unit, "--no-pager", "-n", "5").Stdout
				t.Errorf("instance serves: %v, want %v\napply: %s\njournal:\n%s", serves, tc.binds, r, journal)
			}
			// And it failed for the reason the warning gives.
			if j := e2etest.Run(t, "journalctl", "-u", unit, "--no-pager").Stdout; !tc.binds && !strings.Contains(j, "permission denied") {
				t.Errorf("journal of %s does not say permission denied:\n%s", unit, j)
			}
		})
	}
}
