// Package unitfile renders the systemd units of a service from its service
// file (package config). It is pure: Render returns file contents and writes
// nothing; installing them (and daemon-reload) is the caller's job.
//
// # The units
//
// For a service "hello" with instances 8081 and 8082:
//
//	hello@.service  one template for every instance (%i = the instance name)
//	hello.target    the group: Wants= every instance, never Requires=
//	hello.socket    only with listen: one listening socket shared by all instances
//
// There are no dependencies between instances: restarting one never touches
// another. Each instance is PartOf=hello.target, so `systemctl stop/start
// hello.target` acts on all of them; sysroll never restarts the target during a
// rollout (that would restart everything at once).
//
// Which release an instance runs is a per-instance symlink,
// STATEDIR/instances/INSTANCE/current (release.LinkPath), which {release} in the
// service file stands for. Switching a release is a symlink swap plus a
// restart of that one instance: the unit itself never changes, so there is no
// daemon-reload in a rollout.
//
// A socket unit must name one service to start when traffic arrives and no
// instance runs; hello.socket names the first instance (Service=). Every
// instance receives the same listening socket (Sockets=), so the kernel queues
// connections while any one of them restarts.
//
// # Escaping
//
// Package config refuses whatever could break out of a line (newlines, control
// characters, a trailing backslash) or a path. Render then escapes systemd's own
// syntax: '%' becomes "%%" everywhere text is literal; in ExecStart= '$' becomes
// "$$" (no variable expansion: the command means what the service file says)
// and words with blanks, quotes or backslashes are double-quoted; Environment=
// values are double-quoted with \ and " escaped. unit: and service: values are
// systemd syntax already and are written as they are.
//
// Placeholders are filled in wherever a value reaches a unit (ExecStart=,
// WorkingDirectory=, Environment=, EnvironmentFile=, unit: and service:
// values): {instance} and {port} become %i, {release} the instance's release
// link, StateDir/instances/%i/current; so PORT: "{port}" renders
// Environment="PORT=%i" while a literal "%i" renders "%%i".
//
// # Hardening
//
// Instances run sandboxed by default. The defaults rate "OK" in `systemd-analyze
// security` (1.1 for the example hello@8081.service; 0.6 "SAFE" with
// hardening.private_network on a shared socket) and were measured to run a Go
// HTTP server with sd_notify and socket activation under systemd 252:
//
//	DynamicUser=yes              (unless user: is set) a fresh UID per start
//	ProtectSystem=strict         everything read-only but /dev, /proc, /sys
//	ProtectHome=yes              (read-only when the state dir is under a home)
//	PrivateTmp=yes PrivateDevices=yes DevicePolicy=closed PrivateUsers=yes
//	PrivateMounts=yes ProtectKernelTunables/Modules/Logs=yes
//	ProtectControlGroups=yes ProtectClock=yes ProtectHostname=yes
//	ProtectProc=invisible ProcSubset=pid NoNewPrivileges=yes
//	CapabilityBoundingSet= AmbientCapabilities=     no capabilities at all
//	RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX (AF_UNIX: READY=1)
//	SystemCallFilter=@system-service ~@privileged @resources, EPERM, native
//	MemoryDenyWriteExecute=yes LockPersonality=yes RestrictNamespaces=yes
//	RestrictRealtime=yes RestrictSUIDSGID=yes RemoveIPC=yes UMask=0077
//
// Not set, on purpose: PrivateNetwork= (an app must be reachable on its port;
// turn it on with hardening.private_network when it only serves a shared
// socket and calls nothing), IPAddressDeny= (an app talks to peers sysroll
// cannot know; hardening.ip_address_allow sets an allow list, which must
// include localhost for the health probes).
//
// Every setting is relaxed through hardening: in the service file, never by
// hand: unit: and service: refuse the keys sysroll writes, keys systemd does
// not read, '+'/'!' prefixes on Exec* commands (run as root) and keys that
// widen the sandbox (SupplementaryGroups=, BindPaths=, ReadWritePaths=, ...,
// see config's sandboxKeys) unless hardening.allow_raw names them. Every
// relaxation is listed in a comment at the top of NAME@.service (and by
// `sysroll status`). Render also runs sysroll's lint rules on what it
// renders: unit: {Requires: NAME@OTHER.service} and the other pitfalls of
// hand-written units are refused. What apps most often relax:
//
//   - memory_deny_write_execute: false for JIT runtimes (Java, Node.js, .NET,
//     LuaJIT, PCRE2 with JIT). Go, Rust and C programs do not need it.
//   - capabilities: [CAP_NET_BIND_SERVICE] to bind a port below 1024 without
//     listen: (a shared socket is opened by systemd and needs no capability).
//   - address_families: add AF_NETLINK for programs that enumerate interfaces
//     (some resolvers, anything calling getifaddrs).
//   - proc_subset: all for programs reading /proc/meminfo, /proc/cpuinfo or
//     /proc/loadavg (JVM, some metrics libraries).
//   - system_call_allow: ["@resources"] for programs that must raise their
//     limits or priority (setrlimit fails with EPERM otherwise; the Go runtime
//     copes with that at start).
//   - protect_home: read-only (or a user:) for data under /home.
//   - Writable directories: add StateDirectory= or CacheDirectory= under
//     service: (the service's own, created by systemd), since
//     ProtectSystem=strict makes the rest read-only; a host path needs
//     ReadWritePaths= and hardening.allow_raw: [ReadWritePaths].
//
// With a dynamic user, systemd enforces ProtectSystem=strict, ProtectHome=
// read-only or stricter, PrivateTmp=, NoNewPrivileges= and RestrictSUIDSGID=
// whatever the unit says; Render refuses to relax them unless user: is set.
//
// # User mode
//
// Paths.User renders for a per-user manager: no User=/DynamicUser=,
// WantedBy=default.target, and none of the settings a user manager cannot apply
// (ProtectProc=, ProcSubset=, ProtectControlGroups=, RemoveIPC=,
// AmbientCapabilities=). ProtectKernelLogs= is left out too: under a user
// manager in systemd-nspawn it failed every start, and an unprivileged user
// cannot read the kernel log anyway. PrivateUsers= must stay on (sandboxing in
// a user manager works only inside a user namespace).
package unitfile
