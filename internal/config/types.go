package config

import (
	"time"

	"github.com/sysroll/sysroll/internal/strategy"
)

// Service is one service file: everything sysroll needs to render the units of a
// replicated service and to roll a new release over its instances. Load or Parse
// it, which fills in defaults; Validate reports every problem at once.
type Service struct {
	// Name of the service; the units are NAME@.service, NAME.target and NAME.socket.
	// [a-z0-9][a-z0-9_-]{0,62} (at most 63 characters): safe as a unit name, a
	// file name and a path element.
	Name string `yaml:"name"`
	// Description goes into the units' Description= ("NAME" when empty).
	Description string `yaml:"description"`
	// Command starts one instance. Split shell-like (quotes, backslash) into argv,
	// never run through a shell. Placeholders: {release} {instance} {port}.
	Command string `yaml:"command"`
	// Instances are the stable instance names, usually the ports.
	Instances Instances `yaml:"instances"`
	// Type is how systemd knows an instance started: notify (default), exec or simple.
	Type ServiceType `yaml:"type"`
	// User to run as; empty means a DynamicUser (a fresh, unprivileged UID).
	User string `yaml:"user"`
	// Group to run as; empty means the user's primary group.
	Group string `yaml:"group"`
	// Environment variables for every instance. Values are literal (no $ or %
	// expansion) but for the placeholders {release} {instance} {port}, so
	// PORT: "{port}" gives each instance its own; another {word} stays as written.
	// They are copied into the unit file and the installed service.yaml, which
	// anyone on the host can read, so a name that looks like a secret gets a
	// warning (see Warnings): secrets belong in EnvironmentFiles (mode 0600) or
	// systemd credentials (service: {LoadCredential: ...}, which
	// hardening.allow_raw must name).
	Environment map[string]string `yaml:"environment"`
	// EnvironmentFiles are read by systemd at start (as root, so they can be
	// mode 0600); a leading "-" makes one optional. {instance} or {port} names
	// a file per instance (-/etc/NAME/{instance}.env).
	EnvironmentFiles []string `yaml:"environment_files"`
	// WorkingDirectory of an instance (default "{release}").
	WorkingDirectory string `yaml:"working_directory"`
	// Listen, when set, makes NAME.socket own this address (ip:port, :port, port or
	// a unix socket path, /run/NAME.sock or under /run/NAME/: systemd removes any
	// file already at the path) and hands the same socket to every instance.
	// systemd binds it as root, so a port below 1024 works here; port instances
	// below 1024 without it get a warning (see Warnings).
	Listen string `yaml:"listen"`
	// Health says when a restarted instance counts as healthy.
	Health Health `yaml:"health"`
	// Rollout says how instances are batched and what a failure does.
	Rollout Rollout `yaml:"rollout"`
	// Hooks run around each instance's restart.
	Hooks Hooks `yaml:"hooks"`
	// ReleasesKeep is how many releases to keep on disk, 2-1000 (releases in use
	// are always kept).
	ReleasesKeep int `yaml:"releases_keep"`
	// StopTimeout is how long an instance may take to stop before SIGKILL
	// (TimeoutStopSec=): 1ms to 24h, in whole microseconds, systemd's resolution
	// (1ns would be rendered 0, which systemd reads as no timeout).
	StopTimeout time.Duration `yaml:"stop_timeout"`
	// RestartDelay (restart_sec) is systemd's delay before restarting a crashed
	// instance (RestartSec=): 0 (at once) or 1ms to 1h, in whole microseconds.
	RestartDelay time.Duration `yaml:"restart_sec"`
	// Hardening relaxes (or tightens) the sandbox every instance runs in.
	Hardening Hardening `yaml:"hardening"`
	// UnitExtra are extra [Unit] settings, written verbatim after sysroll's own
	// but for the placeholders {release} {instance} {port} (a '%' is a systemd
	// specifier there, so %i works too).
	UnitExtra Directives `yaml:"unit"`
	// ServiceExtra are extra [Service] settings, written like UnitExtra.
	ServiceExtra Directives `yaml:"service"`
	// Hosts are the machines a fleet rollout runs the service on, inline in
	// sysroll's inventory format (see package inventory); single-host verbs
	// ignore them.
	Hosts Hosts `yaml:"hosts"`
	// Fleet says how a fleet rollout batches the hosts (fleet.hosts) and
	// may name an inventory file instead of hosts: (fleet.inventory).
	Fleet Fleet `yaml:"fleet"`
	// Analysis, when set, judges each batch of a deploy by its metrics once
	// it is back in traffic (analysis.go); nil: no analysis.
	Analysis *Analysis `yaml:"analysis"`

	// src remembers where the file came from, so Validate can name file:line:column.
	src *source
}

// ServiceType is the systemd Type= of the instances.
type ServiceType string

// Service types sysroll supports.
const (
	// TypeNotify: the instance is started once it sends READY=1 (sd_notify).
	// The only type where "started" means "ready"; the default.
	TypeNotify ServiceType = "notify"
	// TypeExec: started once the binary was executed successfully.
	TypeExec ServiceType = "exec"
	// TypeSimple: started as soon as systemd forked (even if exec then fails).
	TypeSimple ServiceType = "simple"
)

// FailureAction is what a rollout does when a batch fails (strategy's,
// which a fleet applies to host batches too).
type FailureAction = strategy.FailureAction

// Failure actions.
const (
	// ActionRollback moves the failed batch back to its previous release and stops.
	ActionRollback = strategy.ActionRollback
	// ActionRollbackAll also moves the batches that had already succeeded back.
	ActionRollbackAll = strategy.ActionRollbackAll
	// ActionHalt stops where it is and leaves the failed batch as it is, for a human.
	ActionHalt = strategy.ActionHalt
)

// Health configures the gate every restarted instance must pass. All configured
// probes must pass; with none, the gate is systemd's own state (active, READY=1
// for notify, no restart) held for HealthyFor.
type Health struct {
	// HTTP probe: GET the URL, expect Status and (optionally) Body as a substring.
	HTTP *HTTPProbe `yaml:"http"`
	// TCP probe: connect to the address.
	TCP *TCPProbe `yaml:"tcp"`
	// Exec probe: run the command (argv, no shell); exit status 0 passes.
	Exec *ExecProbe `yaml:"exec"`
	// Interval between two probes: 10ms to 1h.
	Interval time.Duration `yaml:"interval"`
	// Timeout of one probe: 1ms to 1h, and at most Interval.
	Timeout time.Duration `yaml:"timeout"`
	// HealthyThreshold is how many consecutive passes make an instance pass (1-100).
	HealthyThreshold int `yaml:"healthy_threshold"`
	// UnhealthyThreshold is how many consecutive failures make an instance fail (1-100).
	UnhealthyThreshold int `yaml:"unhealthy_threshold"`
	// HealthyFor is how long probes must keep passing, with no restart of the unit,
	// before the instance counts as healthy (catches crashes just after start):
	// 0 (no hold) to 24h.
	HealthyFor time.Duration `yaml:"healthy_for"`
	// Deadline per instance: ready and healthy within this, or the instance
	// failed; also TimeoutStartSec=. 1s to 24h, in whole microseconds.
	Deadline time.Duration `yaml:"deadline"`
}

// HTTPProbe is an HTTP GET health check.
type HTTPProbe struct {
	// URL to GET; placeholders {instance} and {port}.
	URL string `yaml:"url"`
	// Status expected (default 200).
	Status int `yaml:"status"`
	// Body, when set, must occur in the response body.
	Body string `yaml:"body"`
}

// TCPProbe is a TCP connect health check.
type TCPProbe struct {
	// Address host:port to connect to; placeholders {instance} and {port}.
	Address string `yaml:"address"`
}

// ExecProbe runs a command as a health check.
type ExecProbe struct {
	// Command split like Service.Command; placeholders {release} {instance} {port}.
	Command string `yaml:"command"`
}

// Rollout configures batching, failure handling and draining.
type Rollout struct {
	// Batch is how many instances restart at once: a count or a percentage ("25%").
	Batch Step `yaml:"batch"`
	// Ramp, when set, overrides Batch: one batch size per step, the last one repeats
	// (e.g. [1, "25%", "100%"] = a canary, then a quarter, then the rest).
	Ramp []Step `yaml:"ramp"`
	// Steps, when set, replaces Batch and Ramp: batch entries (sizes, with
	// ramp's semantics: the last batch entry repeats until every instance is
	// done) and timed pauses after a batch, during which the instances
	// already updated are watched (steps.go). Setting it with batch or ramp
	// is refused.
	Steps []RolloutStep `yaml:"steps"`
	// PauseExpiry is how long an approval gate (pause: {}) waits before
	// OnPauseExpiry runs (default 24h, see Expiry): a transient systemd
	// timer runs it with no sysroll process alive.
	PauseExpiry   *time.Duration `yaml:"pause_expiry"`
	OnPauseExpiry ExpiryAction   `yaml:"on_pause_expiry"`
	// FailureAction when an instance fails its gate (default rollback).
	FailureAction FailureAction `yaml:"failure_action"`
	// FailureBudget is how many failed instances are tolerated before acting.
	FailureBudget int `yaml:"failure_budget"`
	// ProgressDeadline bounds the whole rollout: 1s to 168h.
	ProgressDeadline time.Duration `yaml:"progress_deadline"`
	// DrainTimeout bounds waiting for in-flight work after taking an instance
	// out of traffic: 1ms to 24h. 0 is refused rather than given a meaning: it
	// never meant "do not wait" (the engine read 0 as its 30s default), and a
	// wait of 1ms says "barely wait" without a special case.
	DrainTimeout time.Duration `yaml:"drain_timeout"`
	// HAProxy, when set, drains instances through HAProxy's runtime API.
	HAProxy *HAProxy `yaml:"haproxy"`
	// HAProxyAgent, when set, drains instances through HAProxy's agent-check:
	// sysroll renders a socket-activated responder that HAProxy asks, and
	// Drain and Undrain change what it answers. For a balancer on another
	// machine, without its admin socket on the network. May be combined
	// with HAProxy (both are told; drain in order, undrain in reverse).
	HAProxyAgent *HAProxyAgent `yaml:"haproxy_agent"`
}

// HAProxyAgent configures the agent-check responder (docs/haproxy-fleet.md).
type HAProxyAgent struct {
	// Listen is where HAProxy reaches the responder, ip:port (e.g.
	// 0.0.0.0:9700); the server lines' agent-addr and agent-port.
	Listen string `yaml:"listen"`
	// Inter is the agent-inter of the server lines (default 2s, HAProxy's):
	// how often HAProxy asks, which bounds how long a drain takes to be seen.
	Inter time.Duration `yaml:"inter"`
	// UpWait is how long Undrain waits after HAProxy was answered "ready"
	// before the next instance is drained: the host cannot see HAProxy's own
	// health checks, so set it to rise × inter of the server lines' check
	// (default 4s: HAProxy's rise 2 × inter 2s).
	UpWait time.Duration `yaml:"up_wait"`
	// From lists the balancers' addresses: Drain waits until no connection
	// from one of them to the instance's port remains. Default: any peer
	// that is not loopback.
	From []string `yaml:"from"`
}

// HAProxy names the runtime API socket and the server of each instance.
type HAProxy struct {
	// Socket is the admin socket path (default /run/haproxy/admin.sock).
	Socket string `yaml:"socket"`
	// Backend holding the instances (default the service name).
	Backend string `yaml:"backend"`
	// Server name of an instance in Backend (default "{instance}").
	Server string `yaml:"server"`
}

// Hooks are shell commands (/bin/sh -c) run by sysroll around an instance's
// restart, with SYSROLL_SERVICE, SYSROLL_INSTANCE, SYSROLL_PORT and
// SYSROLL_RELEASE in their environment. A failing hook fails the instance.
type Hooks struct {
	// PreStop runs before the instance is stopped (e.g. take it out of a load balancer).
	PreStop string `yaml:"pre_stop"`
	// PostStart runs after the instance passed its gate (e.g. put it back).
	PostStart string `yaml:"post_start"`
}

// Hardening is the sandbox of every instance. Each field maps to the systemd
// directive of the same name (snake_case); the defaults are strict and each can
// be relaxed. See package unitfile for what apps most often relax.
type Hardening struct {
	// ProtectSystem: strict (default), full, yes or no.
	ProtectSystem Mode `yaml:"protect_system"`
	// ProtectHome: yes (default), read-only, tmpfs or no.
	ProtectHome Mode `yaml:"protect_home"`
	// PrivateTmp gives the instance its own /tmp (default true).
	PrivateTmp bool `yaml:"private_tmp"`
	// PrivateDevices hides hardware devices; also sets DevicePolicy=closed (default true).
	PrivateDevices bool `yaml:"private_devices"`
	// PrivateUsers maps every other user to nobody (default true).
	PrivateUsers bool `yaml:"private_users"`
	// PrivateNetwork cuts the instance off all networks but its own loopback
	// (default false: an app must be reachable; with listen: set, the shared socket
	// still works, since it is opened by systemd outside the sandbox).
	PrivateNetwork bool `yaml:"private_network"`
	// PrivateMounts gives the instance its own mount namespace (default true).
	PrivateMounts bool `yaml:"private_mounts"`
	// ProtectKernel sets ProtectKernelTunables, ProtectKernelModules and
	// ProtectKernelLogs (default true).
	ProtectKernel bool `yaml:"protect_kernel"`
	// ProtectControlGroups makes the cgroup tree read-only (default true).
	ProtectControlGroups bool `yaml:"protect_control_groups"`
	// ProtectClock forbids setting the clock (default true).
	ProtectClock bool `yaml:"protect_clock"`
	// ProtectHostname forbids changing the hostname (default true).
	ProtectHostname bool `yaml:"protect_hostname"`
	// ProtectProc: invisible (default), noaccess, ptraceable or default.
	ProtectProc string `yaml:"protect_proc"`
	// ProcSubset: pid (default; hides /proc/meminfo, /proc/cpuinfo...) or all.
	ProcSubset string `yaml:"proc_subset"`
	// NoNewPrivileges forbids gaining privileges through setuid binaries (default true).
	NoNewPrivileges bool `yaml:"no_new_privileges"`
	// Capabilities kept in the bounding and ambient sets (default none), e.g.
	// [CAP_NET_BIND_SERVICE] to bind a port below 1024 without listen:.
	Capabilities []string `yaml:"capabilities"`
	// AddressFamilies the instance may open sockets in (default AF_INET AF_INET6 AF_UNIX).
	AddressFamilies []string `yaml:"address_families"`
	// IPAddressAllow, when set, allows IP traffic only to/from these (IPAddressDeny=any
	// plus IPAddressAllow=); default empty: no IP filter, since an app usually talks
	// to peers sysroll cannot know.
	IPAddressAllow []string `yaml:"ip_address_allow"`
	// SystemCallFilter allows @system-service minus @privileged and @resources,
	// denied calls fail with EPERM (default true).
	SystemCallFilter bool `yaml:"system_call_filter"`
	// SystemCallAllow adds system calls or @groups back to the filter, e.g. ["@resources"].
	SystemCallAllow []string `yaml:"system_call_allow"`
	// MemoryDenyWriteExecute forbids writable+executable memory; JITs (Java, Node,
	// LuaJIT, PCRE JIT) need false (default true).
	MemoryDenyWriteExecute bool `yaml:"memory_deny_write_execute"`
	// LockPersonality locks the execution domain (default true).
	LockPersonality bool `yaml:"lock_personality"`
	// RestrictNamespaces forbids creating namespaces (default true).
	RestrictNamespaces bool `yaml:"restrict_namespaces"`
	// RestrictRealtime forbids realtime scheduling (default true).
	RestrictRealtime bool `yaml:"restrict_realtime"`
	// RestrictSUIDSGID forbids creating setuid/setgid files (default true).
	RestrictSUIDSGID bool `yaml:"restrict_suid_sgid"`
	// UMask for files the instance creates (default "0077").
	UMask string `yaml:"umask"`
	// AllowRaw names the unit:/service: keys allowed to weaken the sandbox
	// (e.g. [SupplementaryGroups, ReadWritePaths]), and the Exec* keys allowed
	// a '+'/'!' prefix (run as root), and keys of a systemd newer than
	// SystemdVersion (sysroll cannot judge them; apply checks them with the
	// host's systemd-analyze). Each shows in render and status.
	AllowRaw []string `yaml:"allow_raw"`
}

// Mode is a setting that is either a boolean or a word (protect_home: read-only).
// true and false are stored as "yes" and "no".
type Mode string

// Directives are extra unit file settings: key -> one or more values, each value
// written as its own "Key=value" line (keys sorted, values in order).
type Directives map[string]StringList

// StringList is a list of strings that may also be written as a single scalar.
type StringList []string
