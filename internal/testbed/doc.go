// Package testbed boots a throwaway systemd for integration tests.
//
// The machines sysroll is developed and tested on do not run systemd as PID 1,
// so the integration tests get a real one from systemd-nspawn: a volatile
// container of the host's own OS (its / is a fresh tmpfs, only /usr comes
// read-only from the host) that boots in well under a second and vanishes
// when it halts. See /work/shared/testbed.md for the measurements behind it.
//
// A test package boots one container in TestMain and shares it:
//
//	func TestMain(m *testing.M) {
//		testbed.Main(m, testbed.Options{Name: "sysroll-systemd"})
//	}
//
//	func TestSomething(t *testing.T) {
//		c := testbed.Shared(t)
//		m, err := systemd.Connect(ctx, systemd.Options{Address: c.BusAddress()})
//		...
//	}
//
// Tests share the container, so each uses its own unit names and ports. A
// TestMain with more to clean up (say, binaries built for the container)
// calls Run instead of Main and exits itself.
//
// BusAddress reaches the container's systemd over its private socket,
// through a relay inside the container: systemd refuses private connections
// from outside its PID namespace. Jobs and their results work over it as on
// a real host.
//
// The container shares the host's network unless Options.NetNS names a
// network namespace: a service listening on 127.0.0.1:18081 inside is
// reachable on the host at 127.0.0.1:18081.
//
// The container boots with systemd.condition-first-boot=false. Its /etc is
// empty, which systemd would otherwise treat as a first boot and run
// "preset-all": every daemon installed on the host (sshd, haproxy,
// postgresql, ...) would be enabled and started inside, binding the host's
// ports. Without it only the units the OS wants statically run (journald,
// dbus, logind), and /etc/systemd/system starts out missing.
//
// Each container gets cgroups of its own: started from the same cgroup,
// systemd-nspawn puts every container in the same "payload" cgroup, where
// concurrent containers break each other's units.
//
// Nothing is left behind: Close halts the container (SIGRTMIN+3 to its init,
// SIGKILL after a timeout), Main closes it after the tests and on SIGINT or
// SIGTERM, and if the test process dies anyway the kernel sends
// systemd-nspawn SIGTERM (parent-death signal), which halts the container.
//
// Everything here needs root.
package testbed
