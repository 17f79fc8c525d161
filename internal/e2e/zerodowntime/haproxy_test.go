//go:build integration

package zerodowntime

import (
	"testing"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// socketDir holds HAProxy's admin sockets inside the container.
const socketDir = e2etest.HAProxySocketDir

type haproxy = e2etest.HAProxy

// startHAProxy runs HAProxy in front of s (per-port instances) with the
// given balance algorithm; with tcpAdmin > 0 it also has an admin socket
// on 127.0.0.1:tcpAdmin.
func startHAProxy(t testing.TB, s *service, frontendPort int, balance string, tcpAdmin int) *haproxy {
	t.Helper()
	return e2etest.StartHAProxy(t, e2etest.HAProxyOptions{
		Backend: s.name, Ports: s.ports, Frontend: frontendPort, Balance: balance, TCPAdmin: tcpAdmin,
	})
}
