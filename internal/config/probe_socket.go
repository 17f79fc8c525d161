package config

import "strings"

// checkProbeTemplate checks the placeholders of a network probe (health.http.url,
// health.tcp.address). With listen:, systemd binds the one shared socket and
// hands it to every instance: no instance listens on a port of its own, even
// when the instances are named by ports, so a probe of {port} reaches nothing
// and every deploy's preflight refused. What works is said in the message.
func (s *Service) checkProbeTemplate(e *errs, path []any, v string) {
	if s.Listen != "" && strings.Contains(v, "{"+PlaceholderPort+"}") {
		e.add(path, "%s", probeOnSharedSocket)
		// Check the rest as if {instance} were meant, so one mistake gives one error.
		v = strings.ReplaceAll(v, "{"+PlaceholderPort+"}", "{"+PlaceholderInstance+"}")
	}
	s.checkTemplate(e, path, v, false)
}

// probeOnSharedSocket is the error with what works instead. It leaves out
// the listen: address (up to 108 bytes for a unix path) to stay within
// errs' message limit (yamlpos.MaxMsgLen).
const probeOnSharedSocket = "uses {port} with listen: every instance serves that one shared socket, none a port of its own, so this probe fails for all; " +
	"probe the listen: address itself (with type: notify, systemd's readiness tells which instance is up), " +
	"or an admin port each instance opens from its name: 127.0.0.1:{instance}"
