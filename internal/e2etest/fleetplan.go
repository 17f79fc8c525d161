package e2etest

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// maxFleetHosts bounds a fleet: host addresses run from .11 to .(10+n), and
// "srPREFIX-vNN" must fit in an interface name.
const maxFleetHosts = 99

var fleetPrefixRE = regexp.MustCompile(`^[a-z0-9]{1,6}$`)

// fleetPlan is every name and address of one fleet.
type fleetPlan struct {
	Prefix     string
	Bridge     string       // bridge interface on the machine
	Controller netip.Prefix // the machine's address on the bridge, 10.231.X.1/24
	Hosts      []hostPlan
}

// hostPlan is one host's share of the plan.
type hostPlan struct {
	Name  string     // "h1", ...: the ssh_config alias and the key for tests
	NetNS string     // network namespace, /run/netns/NAME
	Veth  string     // host end of the veth, on the bridge
	Addr  netip.Addr // the container's address on eth0
}

// planFleet decides a fleet's names and addresses for n hosts, without
// touching the machine (StartFleet, in fleet.go under the integration build
// tag, then makes them).
//
// # Allocation: one prefix and one subnet per test package
//
// Every fleet lives on a bridge of its own with the /24 10.231.SUBNET.0:
// the machine (the controller) is 10.231.SUBNET.1 on the bridge, host i
// (1-based) is 10.231.SUBNET.(10+i). Every interface and namespace it makes
// is named "sr" + PREFIX + "-" + role: the bridge "srPREFIX-br", host i's
// network namespace "srPREFIX-hI" and the host end of its veth
// "srPREFIX-vI" (the container end is eth0 inside the namespace). The
// stale-resource sweep removes exactly the names that start with
// "srPREFIX-", which is why PREFIX may hold no "-": no package's names
// then start with another's.
//
// Test packages run in parallel (go test ./...), so each picks a PREFIX
// (1 to 6 lowercase letters or digits, so that "srPREFIX-v99" fits the
// kernel's 15 bytes) and a SUBNET (2 to 254) that no other package uses,
// and adds its row here:
//
//	package                   prefix   subnet
//	internal/e2e/fleetbed     fbed     10
//	internal/e2e/fleetbed     fbsh     11   (its FleetMain child process)
//	internal/e2e/push         fpush    12
//	internal/e2e/fleetctl     fctl     13
//	internal/e2e/fleetstatus  fstat    14
//	internal/e2e/fleetlb      flb      15
//	internal/e2e/fleetverbs   fverb    16
//	internal/e2e/fleetbench   fbnch    17   (only when a benchmark runs)
//
// 10.231.0.0/24 and 10.231.1.0/24 are left to hand-made examples
// (testbed.md, notes/fleet.md). A run fails at the start, naming the
// interface, if its subnet is already on one of the machine's interfaces,
// and if another process holds the same prefix (a lock in /run).
func planFleet(prefix string, n, subnet int) (fleetPlan, error) {
	var errs []error
	if !fleetPrefixRE.MatchString(prefix) {
		errs = append(errs, fmt.Errorf("fleet prefix %q: want 1 to 6 lowercase letters or digits (no '-'), unique among the test packages (see the table in fleetplan.go)", prefix))
	}
	if n < 1 || n > maxFleetHosts {
		errs = append(errs, fmt.Errorf("fleet of %d hosts: want 1 to %d", n, maxFleetHosts))
	}
	if subnet < 2 || subnet > 254 {
		errs = append(errs, fmt.Errorf("fleet subnet %d: want 2 to 254 (10.231.SUBNET.0/24; 0 and 1 are for hand-made examples), unique among the test packages (see the table in fleetplan.go)", subnet))
	}
	if err := errors.Join(errs...); err != nil {
		return fleetPlan{}, err
	}
	base := fleetNamePrefix(prefix)
	p := fleetPlan{
		Prefix:     prefix,
		Bridge:     base + "br",
		Controller: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 231, byte(subnet), 1}), 24),
	}
	for i := 1; i <= n; i++ {
		p.Hosts = append(p.Hosts, hostPlan{
			Name:  fmt.Sprintf("h%d", i),
			NetNS: fmt.Sprintf("%sh%d", base, i),
			Veth:  fmt.Sprintf("%sv%d", base, i),
			Addr:  netip.AddrFrom4([4]byte{10, 231, byte(subnet), byte(10 + i)}),
		})
	}
	return p, nil
}

// fleetNamePrefix is what every interface and namespace of the prefix's
// fleets starts with.
func fleetNamePrefix(prefix string) string { return "sr" + prefix + "-" }

// ownedByFleet reports whether an interface or namespace name belongs to
// the fleets of prefix (and so may be swept as left over by a killed run).
func ownedByFleet(prefix, name string) bool {
	return strings.HasPrefix(name, fleetNamePrefix(prefix))
}

// knownHostsLine is one known_hosts line for a host key (an OpenSSH public
// key line, "TYPE BASE64 [COMMENT]") at addr:port, without its comment.
func knownHostsLine(addr netip.Addr, port int, pubKey string) (string, error) {
	f := strings.Fields(pubKey)
	if len(f) < 2 {
		return "", fmt.Errorf("known_hosts for %s: %q is not an OpenSSH public key line", addr, pubKey)
	}
	host := addr.String()
	if port != 22 {
		host = fmt.Sprintf("[%s]:%d", addr, port)
	}
	return host + " " + f[0] + " " + f[1], nil
}

// sshConfigHost is one Host block of the ssh_config the tests use.
type sshConfigHost struct {
	Alias string
	Addr  netip.Addr
	Port  int
}

// renderSSHConfig writes an ssh_config for the system ssh client: every
// host by its alias, as root, with the fleet's client key and only the
// fleet's known_hosts (strict: no trust on first use, and no
// ~/.ssh/known_hosts of whoever runs the tests).
func renderSSHConfig(hosts []sshConfigHost, identity, knownHosts string) string {
	var b strings.Builder
	for _, h := range hosts {
		fmt.Fprintf(&b, "Host %s\n", h.Alias)
		fmt.Fprintf(&b, "  HostName %s\n", h.Addr)
		fmt.Fprintf(&b, "  Port %d\n", h.Port)
		b.WriteString("  User root\n")
		fmt.Fprintf(&b, "  IdentityFile %s\n", identity)
		b.WriteString("  IdentitiesOnly yes\n")
		fmt.Fprintf(&b, "  UserKnownHostsFile %s\n", knownHosts)
		b.WriteString("  GlobalKnownHostsFile /dev/null\n")
		b.WriteString("  StrictHostKeyChecking yes\n")
		b.WriteString("  BatchMode yes\n")
		b.WriteString("  ConnectTimeout 5\n")
		b.WriteString("  LogLevel ERROR\n")
	}
	return b.String()
}

// renderSSHDConfig is the minimal sshd_config of a fleet host (see
// notes/fleet.md §5): keys only, no PAM (the volatile /etc has no
// /etc/pam.d), SFTP served in-process, Unix-socket forwarding for the load
// balancer channel, and dead clients reaped after a few seconds. extra is
// written first: sshd takes the first value it reads for a keyword, so a
// test's own "MaxStartups 1" or "ClientAliveInterval 1" wins over these.
func renderSSHDConfig(hostKeys []string, extra string) string {
	var b strings.Builder
	if extra != "" {
		b.WriteString(strings.TrimRight(extra, "\n") + "\n")
	}
	for _, k := range hostKeys {
		fmt.Fprintf(&b, "HostKey %s\n", k)
	}
	b.WriteString(`Port 22
PermitRootLogin prohibit-password
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
Subsystem sftp internal-sftp
AllowStreamLocalForwarding yes
StreamLocalBindUnlink yes
ClientAliveInterval 5
`)
	return b.String()
}

// cutTable is the nftables table CutNetwork adds in a host's namespace.
const cutTable = "sysroll_cut"

// nftCutScript drops every packet between the host and the controller, in
// both directions, established connections included: packets vanish, no
// RST and no ICMP, like a pulled cable. Declaring the table before deleting
// it makes the script work whether or not the table exists.
func nftCutScript(controller netip.Addr) string {
	return fmt.Sprintf(`table inet %[1]s
delete table inet %[1]s
table inet %[1]s {
	chain in {
		type filter hook input priority 0; policy accept;
		ip saddr %[2]s drop
	}
	chain out {
		type filter hook output priority 0; policy accept;
		ip daddr %[2]s drop
	}
}
`, cutTable, controller)
}

// nftRestoreScript removes the cut, whether or not there is one.
func nftRestoreScript() string {
	return fmt.Sprintf("table inet %[1]s\ndelete table inet %[1]s\n", cutTable)
}

// fleetMachinePID tells whether name is the machine name testbed gave one
// of the prefix's hosts ("PREFIX-hN-PID-RANDOM", see testbed's
// machineName), or a directory named after one ("testbed-NAME-DIGITS"
// with the "testbed-" taken off), and returns the PID of the test process
// that booted it.
func fleetMachinePID(prefix, name string) (int, bool) {
	m := fleetMachineRE.FindStringSubmatch(name)
	if m == nil || m[1] != prefix {
		return 0, false
	}
	pid, err := strconv.Atoi(m[2])
	return pid, err == nil
}

var fleetMachineRE = regexp.MustCompile(`^([a-z0-9]{1,6})-h[0-9]+-([0-9]+)-[0-9a-f]{6}(-[0-9]+)?$`)

// fleetDirOf tells whether name is a fleet directory of the prefix
// ("sysroll-fleet-PREFIX-" and os.MkdirTemp's digits).
func fleetDirOf(prefix, name string) bool {
	rest, ok := strings.CutPrefix(name, "sysroll-fleet-"+prefix+"-")
	if !ok || rest == "" {
		return false
	}
	for _, r := range rest {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
