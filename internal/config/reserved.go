package config

import (
	"fmt"
	"slices"
	"strings"
)

// sysroll installs NAME@.service, NAME.target and NAME.socket in
// /etc/systemd/system, where a unit file overrides the one of the same name
// systemd and the distribution ship in /usr/lib/systemd/system. A service
// named like one of those would replace it for the whole host: name:
// multi-user replaced multi-user.target (the next boot starts almost
// nothing), name: user replaced user@.service (every login's user manager),
// name: dbus with listen: replaced dbus.socket. These names are systemd's:
// its special units (systemd.special(7), systemd 252) and the templates it
// ships; "systemd-" is its prefix for everything else.

// reservedTargets are the special targets (NAME.target).
var reservedTargets = []string{
	"basic", "blockdev", "bluetooth", "boot-complete", "cryptsetup", "cryptsetup-pre",
	"ctrl-alt-del", "default", "emergency", "exit", "factory-reset", "final",
	"first-boot-complete", "getty", "getty-pre", "graphical", "halt", "hibernate",
	"hybrid-sleep", "initrd", "initrd-fs", "initrd-root-device", "initrd-root-fs",
	"initrd-switch-root", "initrd-usr-fs", "integritysetup", "integritysetup-pre",
	"kbrequest", "kexec", "local-fs", "local-fs-pre", "machines", "multi-user",
	"network", "network-online", "network-pre", "nss-lookup", "nss-user-lookup",
	"paths", "poweroff", "printer", "reboot", "remote-cryptsetup", "remote-fs",
	"remote-fs-pre", "remote-integritysetup", "remote-veritysetup", "rescue", "rpcbind",
	"runlevel0", "runlevel1", "runlevel2", "runlevel3", "runlevel4", "runlevel5",
	"runlevel6", "shutdown", "sigpwr", "sleep", "slices", "smartcard", "sockets",
	"soft-reboot", "sound", "suspend", "suspend-then-hibernate", "swap", "sysinit",
	"system-update", "system-update-pre", "time-set", "time-sync", "timers", "umount",
	"usb", "veritysetup", "veritysetup-pre",
}

// reservedOthers are systemd's templates (NAME@.service), special sockets
// (NAME.socket) and slices and scopes.
var reservedOthers = []string{
	"autovt", "capsule", "container-getty", "dbus", "emergency", "getty", "init",
	"machine", "modprobe", "rescue", "serial-getty", "syslog", "system", "user",
	"user-runtime-dir",
}

// reservedNameProblem says why name would replace one of systemd's units,
// or "".
func reservedNameProblem(name string) string {
	switch {
	case name == "sysroll":
		// Each instance's StateDirectory= is NAME/INSTANCE: /var/lib/sysroll/8081
		// would lie in sysroll's own store, handed to the instance's user.
		return "it is sysroll's own: every instance gets the state directory /var/lib/NAME/INSTANCE, and /var/lib/sysroll holds sysroll's releases and records"
	case strings.HasPrefix(name, "systemd-"):
		return "systemd- starts the names of systemd's own units, which NAME@.service, NAME.target or NAME.socket in /etc/systemd/system would replace"
	case slices.Contains(reservedTargets, name):
		return fmt.Sprintf("it is systemd's: sysroll's %s.target in /etc/systemd/system would replace systemd's %s.target for the whole host", name, name)
	case slices.Contains(reservedOthers, name):
		return fmt.Sprintf("it is systemd's: sysroll's %s@.service, %s.target or %s.socket in /etc/systemd/system would replace systemd's unit of that name", name, name, name)
	}
	return ""
}

// ReservedName says why name, valid as a name, would replace one of
// systemd's own units (see reservedTargets), or "". Validate refuses such a
// service file; `sysroll init` refuses to write one.
func ReservedName(name string) string { return reservedNameProblem(name) }
