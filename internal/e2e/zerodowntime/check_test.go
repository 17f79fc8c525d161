//go:build integration

package zerodowntime

import (
	"encoding/json"
	"maps"
	"net"
	"path"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/schema"
	"github.com/sysroll/sysroll/internal/testbed"
)

// A wrong HAProxy setup fails the deploy before any instance is touched:
// non-zero exit, a message that names the problem, no instance restarted,
// no release switched, no server of the real backend disturbed.
func TestHAProxyWrongSetupFailsBeforeTouching(t *testing.T) {
	s := &service{t: t, name: "zd-check", ports: []int{18420, 18421, 18422}}
	s.install()
	h := startHAProxy(t, s, 18423, "roundrobin", 18424)
	version := s.release("v2")
	stale := staleSocket(t, "zd-check-stale.sock")

	cases := []struct {
		name string
		line string
		want []string // in the output
	}{
		{
			name: "no such socket",
			line: `haproxy: {socket: /run/zd-haproxy/nope.sock, backend: zd-check, server: "s{instance}"}`,
			want: []string{"/run/zd-haproxy/nope.sock", "no such socket", "no instance touched"},
		},
		{
			// The file is there, nothing listens: haproxy stopped.
			name: "stale socket",
			line: `haproxy: {socket: ` + stale + `, backend: zd-check, server: "s{instance}"}`,
			want: []string{stale, "connection refused", "no instance touched"},
		},
		{
			name: "nothing on the TCP admin port",
			line: `haproxy: {socket: "127.0.0.1:18425", backend: zd-check, server: "s{instance}"}`,
			want: []string{"127.0.0.1:18425", "connection refused", "no instance touched"},
		},
		{
			name: "socket without admin level",
			line: `haproxy: {socket: ` + h.UserSocket + `, backend: zd-check, server: "s{instance}"}`,
			want: []string{h.UserSocket, "level user", "level admin", "no instance touched"},
		},
		{
			name: "wrong backend",
			line: `haproxy: {socket: ` + h.Socket + `, backend: zd-chek, server: "s{instance}"}`,
			want: []string{`no backend "zd-chek"`, "zd-check", "no instance touched"},
		},
		{
			name: "wrong server names",
			line: `haproxy: {socket: ` + h.Socket + `, backend: zd-check, server: "srv{instance}"}`,
			want: []string{"srv18420", "srv18421", "srv18422", "servers: s18420, s18421, s18422", "no instance touched"},
		},
	}
	parent := s.t
	for _, tc := range cases {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			s.t = t
			defer func() { s.t = parent }()
			s.rollout = []string{tc.line}
			if r := s.reapply(); r.Code != 0 {
				t.Fatalf("apply: %s", r)
			}
			before := s.invocations()
			releases := s.status().Releases
			records := historyIDs(t, s)

			r := s.sysroll("deploy", s.name, "--artifact", version, "--version", "v2")
			t.Logf("sysroll deploy:\n%s", r)
			if r.Code == 0 {
				t.Fatalf("deploy with %s exited 0", tc.name)
			}
			out := r.Stdout + r.Stderr
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output does not say %q", w)
				}
			}
			s.assertUntouched(before)
			if now := s.status().Releases; !maps.Equal(now, releases) {
				t.Errorf("releases %v -> %v: a release was switched", releases, now)
			}
			if now := historyIDs(t, s); len(now) != len(records) {
				t.Errorf("rollout records %v -> %v: a rollout was started", records, now)
			}
			h.AssertAllUp("after the refused deploy")
		})
	}

	// The same checks pass with a right setup, here HAProxy's TCP admin
	// socket (`stats socket ipv4@127.0.0.1:PORT level admin`), and the
	// deploy goes through.
	t.Run("TCP_admin_socket_deploys", func(t *testing.T) {
		s.t = t
		defer func() { s.t = parent }()
		s.rollout = []string{`haproxy: {socket: "127.0.0.1:18424", backend: zd-check, server: "s{instance}"}`}
		if r := s.reapply(); r.Code != 0 {
			t.Fatalf("apply with a TCP admin socket: %s", r)
		}
		r := s.sysroll("deploy", s.name, "--artifact", version, "--version", "v2", "--json")
		if r.Code != 0 {
			t.Fatalf("deploy through the TCP admin socket: %s", r)
		}
		for _, in := range s.instances() {
			phaseAt(t, e2etest.ParseEvents(t, r.Stdout), in, "undrain")
		}
		s.assertAllOn("v2")
		h.AssertAllUp("after the deploy")
	})
}

// staleSocket leaves a unix socket file nobody listens on in the
// container's socket directory and returns its path there.
func staleSocket(t *testing.T, name string) string {
	t.Helper()
	p := path.Join(socketDir, name)
	l, err := net.Listen("unix", testbed.Shared(t).Path(p))
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// historyIDs lists the IDs of the service's rollout records.
func historyIDs(t *testing.T, s *service) []string {
	t.Helper()
	r := s.sysroll("history", s.name, "--json", "-n", "0")
	if r.Code != 0 {
		t.Fatalf("history: %s", r)
	}
	var h schema.History
	if err := json.Unmarshal([]byte(r.Stdout), &h); err != nil {
		t.Fatalf("history --json: %v\n%s", err, r.Stdout)
	}
	ids := make([]string, len(h.Rollouts))
	for i, rec := range h.Rollouts {
		ids[i] = rec.ID
	}
	return ids
}
