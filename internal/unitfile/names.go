package unitfile

import "path"

// Default locations of the system manager.
const (
	// DefaultUnitDir is where system units rendered by sysroll go.
	DefaultUnitDir = "/etc/systemd/system"
	// DefaultStateRoot holds one state directory per service (NAME below it).
	DefaultStateRoot = "/var/lib/sysroll"
)

// TemplateUnit is the template every instance is made from: "hello@.service".
func TemplateUnit(name string) string { return name + "@.service" }

// InstanceUnit is the unit of one instance: InstanceUnit("hello", "8081") is
// "hello@8081.service". Instance names are validated by package config to need
// no unit name escaping.
func InstanceUnit(name, instance string) string { return name + "@" + instance + ".service" }

// TargetUnit is the group of all instances: "hello.target".
func TargetUnit(name string) string { return name + ".target" }

// SocketUnit is the shared listening socket: "hello.socket".
func SocketUnit(name string) string { return name + ".socket" }

// DefaultStateDir is the state directory of a system service: /var/lib/sysroll/NAME.
func DefaultStateDir(name string) string { return path.Join(DefaultStateRoot, name) }
