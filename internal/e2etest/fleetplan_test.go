package e2etest

import (
	"net/netip"
	"strings"
	"testing"
)

func TestPlanFleet(t *testing.T) {
	p, err := planFleet("fbed", 3, 10)
	if err != nil {
		t.Fatal(err)
	}
	if p.Bridge != "srfbed-br" || p.Controller.String() != "10.231.10.1/24" {
		t.Errorf("bridge %s %s, want srfbed-br 10.231.10.1/24", p.Bridge, p.Controller)
	}
	want := []hostPlan{
		{"h1", "srfbed-h1", "srfbed-v1", netip.MustParseAddr("10.231.10.11")},
		{"h2", "srfbed-h2", "srfbed-v2", netip.MustParseAddr("10.231.10.12")},
		{"h3", "srfbed-h3", "srfbed-v3", netip.MustParseAddr("10.231.10.13")},
	}
	if len(p.Hosts) != len(want) {
		t.Fatalf("%d hosts, want %d", len(p.Hosts), len(want))
	}
	for i, h := range p.Hosts {
		if h != want[i] {
			t.Errorf("host %d: %+v, want %+v", i+1, h, want[i])
		}
	}
}

// The longest names a valid plan makes fit the kernel's interface names
// (15 bytes), and the last host's address stays inside the /24.
func TestPlanFleetLimits(t *testing.T) {
	p, err := planFleet("abcdef", maxFleetHosts, 254)
	if err != nil {
		t.Fatal(err)
	}
	last := p.Hosts[len(p.Hosts)-1]
	for _, name := range []string{p.Bridge, last.Veth, last.NetNS} {
		if len(name) > 15 {
			t.Errorf("%q is %d bytes, more than an interface name holds", name, len(name))
		}
	}
	if !p.Controller.Masked().Contains(last.Addr) || last.Addr.String() != "10.231.254.109" {
		t.Errorf("last host %s, want 10.231.254.109 in %s", last.Addr, p.Controller.Masked())
	}
}

func TestPlanFleetErrors(t *testing.T) {
	for _, c := range []struct {
		prefix    string
		n, subnet int
		want      []string
	}{
		{"fb-ed", 3, 10, []string{`prefix "fb-ed"`}},
		{"FBED", 3, 10, []string{`prefix "FBED"`}},
		{"abcdefg", 3, 10, []string{`prefix "abcdefg"`}},
		{"", 3, 10, []string{`prefix ""`}},
		{"fbed", 0, 10, []string{"fleet of 0 hosts"}},
		{"fbed", 100, 10, []string{"fleet of 100 hosts"}},
		{"fbed", 3, 1, []string{"subnet 1:"}},
		{"fbed", 3, 255, []string{"subnet 255:"}},
		// Every problem at once, not the first only.
		{"x-y", 0, 0, []string{`prefix "x-y"`, "fleet of 0 hosts", "subnet 0:"}},
	} {
		_, err := planFleet(c.prefix, c.n, c.subnet)
		if err == nil {
			t.Errorf("planFleet(%q, %d, %d): no error", c.prefix, c.n, c.subnet)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("planFleet(%q, %d, %d): %v; want it to say %q", c.prefix, c.n, c.subnet, err, w)
			}
		}
	}
}

// The sweep takes exactly our names: not a longer prefix's, not a
// shorter one's.
func TestOwnedByFleet(t *testing.T) {
	for _, c := range []struct {
		prefix, name string
		want         bool
	}{
		{"fbed", "srfbed-h1", true},
		{"fbed", "srfbed-br", true},
		{"fbed", "srfbedx-h1", false},
		{"fbed", "srfb-h1", false},
		{"fb", "srfbed-h1", false},
		{"fbed", "eth0", false},
		{"fbed", "srfbed", false},
	} {
		if got := ownedByFleet(c.prefix, c.name); got != c.want {
			t.Errorf("ownedByFleet(%q, %q) = %v, want %v", c.prefix, c.name, got, c.want)
		}
	}
}

func TestKnownHostsLine(t *testing.T) {
	addr := netip.MustParseAddr("10.231.10.11")
	for _, c := range []struct {
		port    int
		key     string
		want    string
		wantErr bool
	}{
		{22, "ssh-ed25519 AAAAC3Nz h1\n", "10.231.10.11 ssh-ed25519 AAAAC3Nz", false},
		{2222, "ecdsa-sha2-nistp256 AAAAE2Vj", "[10.231.10.11]:2222 ecdsa-sha2-nistp256 AAAAE2Vj", false},
		{22, "ssh-ed25519", "", true},
		{22, "", "", true},
	} {
		got, err := knownHostsLine(addr, c.port, c.key)
		if (err != nil) != c.wantErr || got != c.want {
			t.Errorf("knownHostsLine(%d, %q) = %q, %v; want %q (error: %v)", c.port, c.key, got, err, c.want, c.wantErr)
		}
	}
}

func TestRenderSSHConfig(t *testing.T) {
	got := renderSSHConfig([]sshConfigHost{
		{"h1", netip.MustParseAddr("10.231.10.11"), 22},
		{"h2", netip.MustParseAddr("10.231.10.12"), 2222},
	}, "/tmp/f/client_key", "/tmp/f/known_hosts")
	block := func(alias, addr, port string) string {
		return "Host " + alias + "\n" +
			"  HostName " + addr + "\n" +
			"  Port " + port + "\n" +
			"  User root\n" +
			"  IdentityFile /tmp/f/client_key\n" +
			"  IdentitiesOnly yes\n" +
			"  UserKnownHostsFile /tmp/f/known_hosts\n" +
			"  GlobalKnownHostsFile /dev/null\n" +
			"  StrictHostKeyChecking yes\n" +
			"  BatchMode yes\n" +
			"  ConnectTimeout 5\n" +
			"  LogLevel ERROR\n"
	}
	if want := block("h1", "10.231.10.11", "22") + block("h2", "10.231.10.12", "2222"); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// A test's own settings come before the defaults, so that sshd (which
// takes a keyword's first value) uses them.
func TestRenderSSHDConfig(t *testing.T) {
	got := renderSSHDConfig([]string{"/etc/ssh/ssh_host_ed25519_key", "/etc/ssh/ssh_host_ecdsa_key"}, "MaxStartups 1\n\n")
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if lines[0] != "MaxStartups 1" {
		t.Errorf("first line %q, want the extra setting", lines[0])
	}
	if lines[1] != "HostKey /etc/ssh/ssh_host_ed25519_key" || lines[2] != "HostKey /etc/ssh/ssh_host_ecdsa_key" {
		t.Errorf("host keys: %q", lines[1:3])
	}
	for _, want := range []string{"UsePAM no", "PasswordAuthentication no", "Subsystem sftp internal-sftp", "StreamLocalBindUnlink yes", "ClientAliveInterval 5"} {
		if !strings.Contains(got, "\n"+want+"\n") {
			t.Errorf("no %q line in:\n%s", want, got)
		}
	}
	if strings.Contains(got, "\n\n") {
		t.Errorf("blank line in:\n%s", got)
	}
}

// Both scripts first declare and delete the table, so they work whether
// or not a cut is in place; the cut drops both directions.
func TestNftScripts(t *testing.T) {
	ctl := netip.MustParseAddr("10.231.10.1")
	cut, restore := nftCutScript(ctl), nftRestoreScript()
	const reset = "table inet sysroll_cut\ndelete table inet sysroll_cut\n"
	if !strings.HasPrefix(cut, reset) || restore != reset {
		t.Errorf("scripts do not start by resetting the table:\n%s\n%s", cut, restore)
	}
	for _, want := range []string{"hook input", "ip saddr 10.231.10.1 drop", "hook output", "ip daddr 10.231.10.1 drop"} {
		if !strings.Contains(cut, want) {
			t.Errorf("cut script lacks %q:\n%s", want, cut)
		}
	}
}

// The sweep of files takes exactly our hosts' names and directories.
func TestFleetLeftoverNames(t *testing.T) {
	for _, c := range []struct {
		name    string
		wantPID int // 0: not ours
	}{
		{"fbed-h1-29206-6f3544", 29206},
		{"fbed-h12-29206-6f3544-4223224002", 29206}, // testbed's log dir, "testbed-" cut off
		{"fbedz-h1-29206-6f3544", 0},
		{"fb-h1-29206-6f3544", 0},
		{"fbed-h1-29206-6f354", 0},
		{"fbed-x1-29206-6f3544", 0},
		{"sysroll-e2e-apply-19095-d8b77d", 0},
	} {
		pid, ok := fleetMachinePID("fbed", c.name)
		if ok != (c.wantPID != 0) || pid != c.wantPID {
			t.Errorf("fleetMachinePID(fbed, %q) = %d, %v; want %d", c.name, pid, ok, c.wantPID)
		}
	}
	for _, c := range []struct {
		name string
		want bool
	}{
		{"sysroll-fleet-fbed-2455650329", true},
		{"sysroll-fleet-fbed-", false},
		{"sysroll-fleet-fbedz-2455650329", false},
		{"sysroll-fleet-fbed-x", false},
		{"sysroll-e2e-bin-13000534", false},
	} {
		if got := fleetDirOf("fbed", c.name); got != c.want {
			t.Errorf("fleetDirOf(fbed, %q) = %v, want %v", c.name, got, c.want)
		}
	}
}
