package config

import (
	"slices"
	"strings"
)

// weakening is a raw unit:/service: key that gives an instance more than
// hardening: says. hardening: is the one place the sandbox is described (and
// what render and status show), so such a key is refused unless
// hardening.allow_raw names it.
type weakening struct {
	// why says what the key grants, for the error and for render/status.
	why string
	// weak decides per value; nil means every non-empty value weakens.
	weak func(v string) bool
}

// sandboxKeys are the keys of systemd.exec(5), systemd.resource-control(5)
// and systemd.unit(5) (systemd 252) that widen what an instance may see or
// do beyond the sandbox sysroll renders. The keys that only narrow it
// (ReadOnlyPaths=, InaccessiblePaths=, NoExecPaths=, TemporaryFileSystem=,
// PrivateIPC=, RestrictFileSystems=, RestrictNetworkInterfaces=,
// SocketBindAllow/Deny=, IPIngress/EgressFilterPath=, SystemCallLog=) and
// the ones sysroll writes itself (managedKeys) are not here. Limits and
// resource settings (LimitNOFILE=, MemoryMax=, ...) change how much, not what
// (but LimitNICE=, which lets the instance take a negative Nice= itself),
// and stay free.
//
// BindPaths= and BindReadOnlyPaths= are refused whatever their source:
// Validate does not know the state directory (Render is given it), and what
// the instance owns needs no bind.
//
// The writable directories of the service's own (StateDirectory=,
// CacheDirectory=, LogsDirectory=, RuntimeDirectory=,
// ConfigurationDirectory=) stay free as well when they are the service's own
// names (ownDirKeys): systemd creates them under /var/lib, /var/cache, ...
// owned by its user, and takes over one that already exists.
var sandboxKeys = map[string]weakening{
	// Identity and credentials.
	"SupplementaryGroups": {why: "adds groups, and with them every file those groups may read or write, e.g. /etc/shadow with shadow"},
	"PAMName":             {why: "opens a PAM session for the user, which runs PAM modules as root and may grant more"},
	"KeyringMode":         {why: "shares a kernel keyring with the manager or other units instead of a private one"},
	"SecureBits":          {why: "changes the securebits, which can keep or regain capabilities across exec"},
	"LoadCredential":      {why: "systemd reads the named host file as root and hands it to the instance, whoever may read it"},
	"LoadCredentialEncrypted": {
		why: "systemd reads and decrypts the named host file as root and hands it to the instance"},
	// File system.
	"ReadWritePaths":    {why: "makes host paths writable that protect_system: strict keeps read-only; StateDirectory= and CacheDirectory= are the service's own and need no allowing"},
	"BindPaths":         {why: "mounts host paths into the sandbox, writable, whatever protect_system and protect_home hide"},
	"BindReadOnlyPaths": {why: "mounts host paths into the sandbox, including ones protect_home or private_tmp hide"},
	"ExecPaths":         {why: "allows executing programs from paths NoExecPaths= forbids"},
	"RootDirectory":     {why: "runs the instance in another root file system, whose /usr sysroll's sandbox did not see"},
	"RootImage":         {why: "runs the instance from a disk image, whose contents sysroll's sandbox did not see"},
	"RootDirectoryStartOnly": {
		why: "runs only ExecStart= in RootDirectory=, the other commands on the host's root"},
	"MountImages":          {why: "mounts disk images into the sandbox"},
	"ExtensionImages":      {why: "overlays system extension images on /usr and /opt"},
	"ExtensionDirectories": {why: "overlays host directories on /usr and /opt"},
	"MountFlags":           {why: "shared or slave propagation lets mounts cross between the sandbox and the host", weak: func(v string) bool { return v != "private" }},
	"StandardInput":        {why: "systemd opens a file or terminal as root and hands it to the instance", weak: opensAsRoot},
	"StandardOutput":       {why: "systemd opens a file or terminal as root and lets the instance write it", weak: opensAsRoot},
	"StandardError":        {why: "systemd opens a file or terminal as root and lets the instance write it", weak: opensAsRoot},
	"TTYPath":              {why: "hands the instance a terminal device, opened as root"},
	// Devices, cgroups, namespaces.
	"DeviceAllow":          {why: "opens device nodes that private_devices closes"},
	"Delegate":             {why: "hands the instance its own cgroup subtree to manage", weak: func(v string) bool { return !isFalse(v) }},
	"BPFProgram":           {why: "attaches a BPF program to the instance's cgroup, which can override the device and network filters"},
	"NetworkNamespacePath": {why: "joins another network namespace, bypassing private_network and the IP filter of this one"},
	"IPCNamespacePath":     {why: "joins another IPC namespace, sharing its message queues and shared memory"},
	"JoinsNamespaceOf":     {why: "shares /tmp, the network and IPC namespaces of another unit"},
	// Privilege.
	"PermissionsStartOnly": {why: "runs ExecStartPre=, ExecStartPost=, ExecReload=, ExecStop= and ExecStopPost= as root, outside user: and its credentials", weak: func(v string) bool { return !isFalse(v) }},
	"CPUSchedulingPolicy":  {why: "systemd grants realtime scheduling, which restrict_realtime keeps the instance from taking", weak: notOneOf("other", "batch", "idle", "0", "3", "5")},
	"IOSchedulingClass":    {why: "systemd grants realtime I/O priority", weak: notOneOf("none", "best-effort", "idle", "0", "2", "3")},
	"Nice":                 {why: "systemd raises the priority above other processes, which needs privilege", weak: func(v string) bool { return strings.HasPrefix(v, "-") }},
	"OOMScoreAdjust":       {why: "systemd protects the instance from the OOM killer at other processes' expense", weak: func(v string) bool { return strings.HasPrefix(v, "-") }},
	"LimitNICE":            {why: "lets the instance raise its own priority above other processes (RLIMIT_NICE), as a negative Nice= does", weak: raisesNice},
	// Host actions: one instance's failure (or exit) would act on the whole host.
	"FailureAction":    {why: "a failing instance reboots, powers off or exits the host's manager", weak: notNone},
	"SuccessAction":    {why: "an instance that exits reboots, powers off or exits the host's manager", weak: notNone},
	"StartLimitAction": {why: "an instance hitting its start limit reboots or powers off the host", weak: notNone},
	"JobTimeoutAction": {why: "a job timeout of an instance reboots or powers off the host", weak: notNone},
	// The same through a dependency: starting or failing an instance starts
	// a unit that reboots, powers off, suspends or isolates the host.
	"Wants":            {why: hostUnitWhy, weak: namesHostUnit},
	"Requires":         {why: hostUnitWhy, weak: namesHostUnit},
	"BindsTo":          {why: hostUnitWhy, weak: namesHostUnit},
	"Upholds":          {why: hostUnitWhy, weak: namesHostUnit},
	"OnFailure":        {why: "a failing instance starts a unit that reboots, powers off, suspends or rescues the host", weak: namesHostUnit},
	"OnSuccess":        {why: "an instance that exits starts a unit that reboots, powers off, suspends or rescues the host", weak: namesHostUnit},
	"OnFailureJobMode": {why: "a failing instance isolates the host: every unit its OnFailure= unit does not need is stopped", weak: isIsolate},
	"OnSuccessJobMode": {why: "an instance that exits isolates the host: every unit its OnSuccess= unit does not need is stopped", weak: isIsolate},
	// MAC labels.
	"SELinuxContext":    {why: "runs the instance under another SELinux context, which may be less confined"},
	"AppArmorProfile":   {why: "runs the instance under another AppArmor profile, which may be less confined"},
	"SmackProcessLabel": {why: "runs the instance under another SMACK label, which may be less confined"},
}

// aliasKeys are old spellings systemd still reads as another key. They are
// refused for the current name, so the checks here and sysroll's lint rules
// (which know a key by its current name) cannot be walked around:
// ReadWriteDirectories= is ReadWritePaths=, BindTo= is BindsTo=.
var aliasKeys = map[string]string{
	"BindTo":                  "BindsTo",
	"RequiresOverridable":     "Requires",
	"RequisiteOverridable":    "Requisite",
	"OnFailureIsolate":        "OnFailureJobMode",
	"ReadWriteDirectories":    "ReadWritePaths",
	"ReadOnlyDirectories":     "ReadOnlyPaths",
	"InaccessibleDirectories": "InaccessiblePaths",
	"StartLimitInterval":      "StartLimitIntervalSec",
}

// opensAsRoot: StandardInput/Output/Error= values that make systemd open a
// path or a terminal with its own privileges.
func opensAsRoot(v string) bool {
	for _, p := range []string{"file:", "append:", "truncate:", "tty"} {
		if strings.HasPrefix(v, p) {
			return true
		}
	}
	return false
}

func notNone(v string) bool { return v != "none" }

// notOneOf weakens unless the value is one of the harmless ones. systemd
// reads a number as well as a name for a policy or class, in any base
// (CPUSchedulingPolicy=1 is fifo, IOSchedulingClass=0x1 is realtime), so
// the harmless values are listed rather than the weakening ones.
func notOneOf(harmless ...string) func(string) bool {
	return func(v string) bool { return !slices.Contains(harmless, v) }
}

func isFalse(v string) bool {
	switch strings.ToLower(v) {
	case "0", "no", "n", "false", "f", "off", "":
		return true
	}
	return false
}

// weakens reports whether value v of key k widens the sandbox, and why.
// v is judged as systemd reads it, without the blanks around it that its
// parser strips (" -10" is Nice=-10).
func weakens(k, v string) (string, bool) {
	v = strings.TrimSpace(v)
	w, ok := sandboxKeys[k]
	if !ok || v == "" {
		return "", false // an empty value resets the setting
	}
	if w.weak != nil && !w.weak(v) {
		return "", false
	}
	return w.why, true
}

// execKeys are the commands of [Service] besides ExecStart= (written from
// command:, without a prefix). systemd reads '+', '!' and '!!' in front of
// each as "run with full privileges" or "run as root, outside User=".
var execKeys = []string{"ExecCondition", "ExecStartPre", "ExecStartPost", "ExecReload", "ExecStop", "ExecStopPost"}

// privilegeWhy is shown for an Exec* line with '+', '!' or '!!'.
const privilegeWhy = "runs the command as root or with full privileges, outside the sandbox"
