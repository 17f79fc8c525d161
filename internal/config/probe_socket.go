package config

import (
	"fmt"
	"strings"
)

// checkProbeTemplate checks the placeholders of a network probe (health.http.url,
// health.tcp.address). With listen:, systemd binds the one shared socket and
// hands it to every instance: no instance listens on a port of its own, even
// when the instances are named by ports, so a probe of {port} reaches nothing
// and every deploy's preflight refused. What works is said in the message.
func (s *Service) checkProbeTemplate(e *errs, path []any, v string) {
	if s.Listen != "" && strings.Contains(v, "{"+PlaceholderPort+"}") {
		e.add(path, "%s", probeOnSharedSocket(s.Listen))
		// Check the rest as if {instance} were meant, so one mistake gives one error.
		v = strings.ReplaceAll(v, "{"+PlaceholderPort+"}", "{"+PlaceholderInstance+"}")
	}
	s.checkTemplate(e, path, v, false)
}

func probeOnSharedSocket(listen string) string {
	return fmt.Sprintf("uses {port} with listen: %s, but every instance serves that one shared socket and none listens on a port of its own, so this probe would fail for every instance; "+
		"either probe the shared socket's own address (%s) with type: notify, so systemd's readiness tells which instance is up, "+
		"or have each instance open its own admin port named by the instance (instances: [9001, 9002], command: \"... --admin-port {instance}\", probe 127.0.0.1:{instance})", listen, listen)
}
