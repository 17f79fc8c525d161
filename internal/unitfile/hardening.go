package unitfile

import (
	"slices"
	"strings"
)

// identity writes who the instance runs as.
func (r renderer) identity(u *unit) {
	if r.p.User {
		return // a user manager runs everything as its own user
	}
	if r.svc.User == "" {
		u.set("DynamicUser", "yes")
		return
	}
	u.set("User", r.svc.User)
	if r.svc.Group != "" {
		u.set("Group", r.svc.Group)
	}
}

// homePrefixes are hidden by ProtectHome=yes and tmpfs.
var homePrefixes = []string{"/home/", "/root/", "/run/user/"}

// protectHome is the configured ProtectHome=, except that a state directory
// under a home directory (the usual case in user mode) must stay readable, or
// the instance could not even exec its binary: then read-only is the strictest
// setting that works.
func (r renderer) protectHome() string {
	v := string(r.svc.Hardening.ProtectHome)
	if v != "yes" && v != "tmpfs" {
		return v
	}
	for _, p := range homePrefixes {
		if strings.HasPrefix(r.p.StateDir+"/", p) {
			return "read-only"
		}
	}
	return v
}

// hardening writes the sandbox. Each line maps to one field of
// config.Hardening; "no" values are written out too, so the unit says exactly
// what applies (and systemd-analyze security sees the same).
func (r renderer) hardening(u *unit) {
	h := r.svc.Hardening
	user := r.p.User
	yn := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	u.comment("Sandbox: relax it with hardening: in the service file, not here.")
	u.set("ProtectSystem", string(h.ProtectSystem))
	u.set("ProtectHome", r.protectHome())
	u.set("PrivateTmp", yn(h.PrivateTmp))
	u.set("PrivateDevices", yn(h.PrivateDevices))
	if h.PrivateDevices {
		u.set("DevicePolicy", "closed")
	}
	u.set("PrivateUsers", yn(h.PrivateUsers))
	u.set("PrivateNetwork", yn(h.PrivateNetwork))
	u.set("PrivateMounts", yn(h.PrivateMounts))
	u.set("ProtectKernelTunables", yn(h.ProtectKernel))
	u.set("ProtectKernelModules", yn(h.ProtectKernel))
	if !user {
		// Under a user manager (in a user namespace) it failed every start with
		// "Failed to set up mount namespacing: .../proc/kmsg" (measured, systemd
		// 252 in nspawn); an unprivileged user cannot read the kernel log anyway.
		u.set("ProtectKernelLogs", yn(h.ProtectKernel))
	}
	if !user { // system managers only
		u.set("ProtectControlGroups", yn(h.ProtectControlGroups))
	}
	u.set("ProtectClock", yn(h.ProtectClock))
	u.set("ProtectHostname", yn(h.ProtectHostname))
	if !user { // system managers only
		u.set("ProtectProc", h.ProtectProc)
		u.set("ProcSubset", h.ProcSubset)
	}
	u.set("NoNewPrivileges", yn(h.NoNewPrivileges))
	caps := strings.Join(h.Capabilities, " ")
	u.set("CapabilityBoundingSet", caps)
	if !user {
		u.set("AmbientCapabilities", caps)
	}
	if len(h.AddressFamilies) == 0 {
		u.set("RestrictAddressFamilies", "none")
	} else {
		u.set("RestrictAddressFamilies", strings.Join(h.AddressFamilies, " "))
	}
	if len(h.IPAddressAllow) > 0 {
		u.set("IPAddressDeny", "any")
		u.set("IPAddressAllow", strings.Join(h.IPAddressAllow, " "))
	}
	if h.SystemCallFilter {
		r.syscallFilter(u)
	}
	u.set("MemoryDenyWriteExecute", yn(h.MemoryDenyWriteExecute))
	u.set("LockPersonality", yn(h.LockPersonality))
	u.set("RestrictNamespaces", yn(h.RestrictNamespaces))
	u.set("RestrictRealtime", yn(h.RestrictRealtime))
	u.set("RestrictSUIDSGID", yn(h.RestrictSUIDSGID))
	if !user && r.svc.User == "" {
		// Implied by DynamicUser= anyway; a static user may own IPC objects of
		// other programs, which RemoveIPC= would delete when an instance stops.
		u.set("RemoveIPC", "yes")
	}
	if user {
		// The system manager's default already; a user manager's is "inherit".
		u.set("KeyringMode", "private")
	}
	u.set("UMask", h.UMask)
}

// deniedGroups are removed from @system-service: no web service needs to
// change users, mount, load modules (@privileged) or raise its limits and
// priority (@resources).
var deniedGroups = []string{"@privileged", "@resources"}

// syscallFilter allows @system-service minus deniedGroups, then adds back what
// the service file allows (a later allow-list line re-adds calls the deny line
// removed). Denied calls fail with EPERM instead of killing the process: the Go
// runtime, for one, tries setrlimit at start and copes with EPERM.
func (r renderer) syscallFilter(u *unit) {
	allow := r.svc.Hardening.SystemCallAllow
	deny := slices.DeleteFunc(slices.Clone(deniedGroups), func(g string) bool { return slices.Contains(allow, g) })
	u.set("SystemCallFilter", "@system-service")
	if len(deny) > 0 {
		u.set("SystemCallFilter", "~"+strings.Join(deny, " "))
	}
	if len(allow) > 0 {
		u.set("SystemCallFilter", strings.Join(allow, " "))
	}
	u.set("SystemCallErrorNumber", "EPERM")
	u.set("SystemCallArchitectures", "native")
}
