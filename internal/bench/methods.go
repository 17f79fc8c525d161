package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Paths inside the container.
const (
	releasesDir  = "/srv/releases"      // v1, v2, v3: each a dir with a `hello` script
	filesDir     = "/srv/bench"         // service files
	haproxyMount = "/srv/bench-haproxy" // the host's haproxy dir (admin socket)
	guideBinary  = "/srv/bench-b/my-binary"
)

// Releases: every method upgrades v1 to good; the failing-release variant
// goes from v1 to bad, whose hello exits before it is ready.
const (
	startRelease = "v1"
	goodRelease  = "v2"
	badRelease   = "v3"
)

// driver says how a method installs the service and performs the upgrade.
type driver int

const (
	// driverTarget: sysroll apply, then switch every symlink and
	// `systemctl restart NAME.target`.
	driverTarget driver = iota
	// driverGuide: the guide's chained units, restart instance 1.
	driverGuide
	// driverLoop: sysroll apply, then for each instance: switch, restart,
	// poll /healthz, next.
	driverLoop
	// driverSysroll: sysroll apply, then `sysroll deploy`.
	driverSysroll
)

// method is one way of upgrading the 4-instance service, with its own
// service name and ports.
type method struct {
	Key     string `json:"key"`
	Title   string `json:"title"`
	Service string `json:"service"`
	driver  driver
	// Frontend is the HAProxy frontend port (0: no balancer, Listen is
	// the shared socket).
	Frontend int   `json:"frontend,omitempty"`
	Ports    []int `json:"ports,omitempty"`
	Listen   int   `json:"listen,omitempty"`
}

// Ports 18300-18399 belong to the benchmark.
var allMethods = []method{
	{Key: "a", Title: "systemctl restart NAME.target", Service: "bench-a", driver: driverTarget, Frontend: 18300, Ports: ports(18301)},
	{Key: "b", Title: "guide's units (Requires= chain), restart instance 1", Service: "bench-b", driver: driverGuide, Frontend: 18310, Ports: ports(18311)},
	{Key: "c", Title: "shell loop: restart one, poll /healthz, next", Service: "bench-c", driver: driverLoop, Frontend: 18320, Ports: ports(18321)},
	{Key: "d", Title: "sysroll deploy + HAProxy drain", Service: "bench-d", driver: driverSysroll, Frontend: 18330, Ports: ports(18331)},
	{Key: "e", Title: "sysroll deploy, shared socket, no balancer", Service: "bench-e", driver: driverSysroll, Listen: 18340},
}

const instanceCount = 4

func ports(first int) []int {
	p := make([]int, instanceCount)
	for i := range p {
		p[i] = first + i
	}
	return p
}

// URL is where the load goes: the HAProxy frontend, or the shared socket.
func (m method) URL(path string) string {
	port := m.Frontend
	if port == 0 {
		port = m.Listen
	}
	return fmt.Sprintf("http://127.0.0.1:%d%s", port, path)
}

// behindHAProxy reports whether the method's traffic goes through HAProxy.
func (m method) behindHAProxy() bool { return m.Frontend != 0 }

func (m method) backend() backend {
	return backend{name: m.Service, frontend: m.Frontend, ports: m.Ports}
}

// healthSettings are the same for every sysroll-managed method; only (d)
// and (e) use them for a rollout.
type healthSettings struct {
	Interval   time.Duration
	HealthyFor time.Duration
}

// serviceFile is the sysroll service file of a method (not (b)).
func (m method) serviceFile(h healthSettings) string {
	var b strings.Builder
	fmt.Fprintf(&b, "name: %s\ndescription: hello, benchmark method (%s)\n", m.Service, m.Key)
	if m.Listen != 0 {
		fmt.Fprintf(&b, "command: \"{release}/hello --instance {instance}\"\ninstances: {count: %d}\nlisten: 127.0.0.1:%d\n", instanceCount, m.Listen)
	} else {
		var ps []string
		for _, p := range m.Ports {
			ps = append(ps, strconv.Itoa(p))
		}
		fmt.Fprintf(&b, "command: \"{release}/hello --port {port}\"\ninstances: [%s]\n", strings.Join(ps, ", "))
	}
	b.WriteString("health:\n")
	if m.Listen == 0 {
		// Per-port instances: probe each one's own /healthz. With a shared
		// socket a probe would reach any instance, so the gate is systemd's
		// READY=1 and no restart, held for healthy_for.
		b.WriteString("  http: {url: \"http://127.0.0.1:{port}/healthz\"}\n")
	}
	fmt.Fprintf(&b, "  interval: %s\n  timeout: %s\n  healthy_for: %s\n  deadline: 15s\n", h.Interval, h.Interval, h.HealthyFor)
	b.WriteString("rollout:\n  batch: 1\n  failure_action: rollback\n  drain_timeout: 10s\n")
	if m.driver == driverSysroll && m.behindHAProxy() {
		fmt.Fprintf(&b, "  haproxy: {socket: %s/admin.sock, backend: %s, server: \"s{instance}\"}\n", haproxyMount, m.Service)
	}
	return b.String()
}

// upgradeScript is the shell the method runs inside the container to move
// every instance to version; its run time is the rollout time.
func (m method) upgradeScript(version string) string {
	state := "/var/lib/sysroll/" + m.Service + "/instances"
	switch m.driver {
	case driverTarget:
		return fmt.Sprintf(`set -eu
cd %s
for i in *; do ln -sfn ../../releases/%s "$i/current"; done
systemctl restart %s.target
`, state, version, m.Service)
	case driverGuide:
		return fmt.Sprintf(`set -eu
ln -sfn %s/%s/hello %s
systemctl restart %s-1.service
`, releasesDir, version, guideBinary, m.Service)
	case driverLoop:
		return fmt.Sprintf(`set -eu
cd %s
for p in %s; do
  ln -sfn ../../releases/%s "$p/current"
  systemctl restart %s@$p.service
  n=0
  until curl -fsS -o /dev/null -m 1 http://127.0.0.1:$p/healthz; do
    n=$((n+1)); [ $n -lt 300 ] || { echo "$p not healthy after 30s" >&2; exit 1; }
    sleep 0.1
  done
done
`, state, joinInts(m.Ports, " "), version, m.Service)
	}
	return fmt.Sprintf("exec %s/sysroll deploy %s --artifact %s/%s --version %s\n", binDir, m.Service, releasesDir, version, version)
}

func joinInts(ns []int, sep string) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, sep)
}
