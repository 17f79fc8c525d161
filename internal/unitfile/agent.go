package unitfile

import (
	"path"

	"github.com/sysroll/sysroll/internal/drain"
)

// AgentSocket is the socket HAProxy's agent-check connects to, rendered
// when rollout.haproxy_agent is set: "hello.agent.socket". The dot keeps it
// apart from every service's own units: a service name has no dot, so no
// service "hello-agent" can own these names.
func AgentSocket(name string) string { return name + ".agent.socket" }

// AgentTemplate is the service systemd starts per agent-check connection
// (Accept=yes): "hello.agent@.service".
func AgentTemplate(name string) string { return name + ".agent@.service" }

// DefaultSysroll is the sysroll binary the agent units run when Paths
// names none: the Debian package's.
const DefaultSysroll = "/usr/bin/sysroll"

// agentSocket renders NAME.agent.socket: systemd listens, and starts
// `sysroll agent NAME` per connection, so there is no daemon to keep
// running. Connections are bounded (a flood cannot fork without limit);
// past the trigger limit systemd stops the socket, HAProxy's agent checks
// then fail, which HAProxy ignores (the server keeps its state), and the
// next drain refuses to begin.
func (r renderer) agentSocket() string {
	a := r.svc.Rollout.HAProxyAgent
	u := &unit{}
	r.header(u)
	u.comment("HAProxy's agent-check asks here (agent-send \"" + r.svc.Name + "/INSTANCE\\n\"): a line per")
	u.comment("connection, answered by `sysroll agent " + r.svc.Name + "` from what the rollout marked.")
	u.section("Unit")
	u.set("Description", escapeSpecifiers(r.svc.Description)+" (HAProxy agent-check)")
	u.section("Socket")
	u.set("ListenStream", escapeSpecifiers(a.Listen))
	u.set("Accept", "yes")
	u.set("MaxConnections", "64")
	u.set("MaxConnectionsPerSource", "32")
	u.set("TriggerLimitIntervalSec", "1s")
	u.set("TriggerLimitBurst", "500")
	u.section("Install")
	u.set("WantedBy", "sockets.target")
	return u.String()
}

// agentService renders NAME.agent@.service, one short process per
// connection. It needs no network of its own (the connection is passed
// as stdin/stdout, which works inside PrivateNetwork=yes), no
// capabilities, and write access only to the agent directory (its "-"
// lets the unit start before the first drain creates it).
func (r renderer) agentService() string {
	name := r.svc.Name
	root := path.Dir(r.p.StateDir)
	u := &unit{}
	r.header(u)
	u.section("Unit")
	u.set("Description", escapeSpecifiers(r.svc.Description)+" (HAProxy agent-check answer)")
	u.set("CollectMode", "inactive-or-failed")
	u.section("Service")
	u.set("ExecStart", escapeSpecifiers(r.p.Sysroll)+" agent --state-dir "+escapeSpecifiers(root)+" "+name)
	u.set("StandardInput", "socket")
	u.set("StandardOutput", "socket")
	u.set("StandardError", "journal")
	u.set("RuntimeMaxSec", "10s")
	u.set("UMask", "0077")
	u.set("NoNewPrivileges", "yes")
	u.set("LockPersonality", "yes")
	u.set("MemoryDenyWriteExecute", "yes")
	u.set("RestrictAddressFamilies", "AF_UNIX")
	u.set("SystemCallArchitectures", "native")
	u.set("SystemCallFilter", "@system-service")
	u.set("SystemCallErrorNumber", "EPERM")
	if r.p.User {
		// A user manager sandboxes only inside a user namespace, and
		// without the settings that need the system manager (as the
		// instances' template).
		u.set("PrivateUsers", "yes")
	}
	u.set("ProtectSystem", "strict")
	u.set("ReadWritePaths", "-"+escapeSpecifiers(drain.AgentDir(r.p.StateDir)))
	if r.p.User {
		u.set("ProtectHome", "read-only") // the state directory is in it
	} else {
		u.set("ProtectHome", "yes")
	}
	u.set("PrivateNetwork", "yes")
	u.set("PrivateTmp", "yes")
	u.set("PrivateDevices", "yes")
	u.set("ProtectKernelTunables", "yes")
	u.set("ProtectKernelModules", "yes")
	u.set("ProtectClock", "yes")
	u.set("ProtectHostname", "yes")
	u.set("RestrictNamespaces", "yes")
	u.set("RestrictRealtime", "yes")
	u.set("RestrictSUIDSGID", "yes")
	u.set("CapabilityBoundingSet", "")
	if !r.p.User {
		u.set("ProtectKernelLogs", "yes")
		u.set("ProtectControlGroups", "yes")
		u.set("ProtectProc", "invisible")
		u.set("ProcSubset", "pid")
	}
	return u.String()
}
