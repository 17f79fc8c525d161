//go:build integration

package e2etest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// fleetTools checks for the programs a fleet needs on the machine.
func fleetTools() error {
	var missing []string
	for _, p := range []string{"ip", "nsenter", "nft", "ssh-keygen", "/usr/sbin/sshd"} {
		if _, err := exec.LookPath(p); err != nil {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("fleet: %s not found; run scripts/deps.sh as root (it installs iproute2, nftables, openssh-server and openssh-client)", strings.Join(missing, ", "))
	}
	return nil
}

// lockFleet takes the prefix's lock, so that a second run of the same
// package cannot sweep away the first one's fleet: the sweep below runs
// only under the lock, and the kernel drops the lock of a killed run.
func lockFleet(prefix string) (*os.File, error) {
	path := filepath.Join("/run", "sysroll-fleet-"+prefix+".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w (another test process uses the fleet prefix %q: wait for it, or give this package its own prefix and subnet, see planFleet)", path, err, prefix)
	}
	return f, nil
}

func unlockFleet(f *os.File) error {
	// Remove the file while still holding the lock, then let go.
	err := os.Remove(f.Name())
	return errors.Join(err, f.Close())
}

// runTool runs a program on the machine (ip, nsenter, ssh-keygen) and
// returns its output, with its stderr in the error.
func runTool(ctx context.Context, stdin string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return out.String(), nil
}

// fleetLinks lists the machine's interface names and network namespaces.
func fleetLinks(ctx context.Context) (links, netns []string, err error) {
	out, err := runTool(ctx, "", "ip", "-o", "link", "show")
	if err != nil {
		return nil, nil, err
	}
	for _, line := range strings.Split(out, "\n") {
		// "7: srfbed-v1@if2: <BROADCAST,...> ..."
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
		links = append(links, name)
	}
	out, err = runTool(ctx, "", "ip", "netns", "list")
	if err != nil {
		return nil, nil, err
	}
	for _, line := range strings.Split(out, "\n") {
		// "srfbed-h1 (id: 3)" or "srfbed-h1"
		if f := strings.Fields(line); len(f) > 0 {
			netns = append(netns, f[0])
		}
	}
	return links, netns, nil
}

// removeLinks deletes the interfaces and namespaces for which del says
// yes: veths first (which takes their container ends along), then the
// namespaces, then the bridge.
func removeLinks(ctx context.Context, del func(string) bool) error {
	links, netns, err := fleetLinks(ctx)
	if err != nil {
		return err
	}
	var errs []error
	var bridges []string
	for _, l := range links {
		if !del(l) {
			continue
		}
		if strings.HasSuffix(l, "-br") {
			bridges = append(bridges, l)
			continue
		}
		_, err := runTool(ctx, "", "ip", "link", "del", l)
		errs = append(errs, err)
	}
	for _, ns := range netns {
		if del(ns) {
			_, err := runTool(ctx, "", "ip", "netns", "del", ns)
			errs = append(errs, err)
		}
	}
	for _, br := range bridges {
		_, err := runTool(ctx, "", "ip", "link", "del", br)
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// checkSubnetFree fails if an address of the fleet's /24 is on one of the
// machine's interfaces: another package picked the same subnet.
func checkSubnetFree(ctx context.Context, subnet netip.Prefix) error {
	out, err := runTool(ctx, "", "ip", "-o", "-4", "addr", "show")
	if err != nil {
		return err
	}
	for _, line := range strings.Split(out, "\n") {
		// "2: eth0    inet 10.0.0.2/24 brd ... scope global eth0"
		f := strings.Fields(line)
		if len(f) < 4 || f[2] != "inet" {
			continue
		}
		p, err := netip.ParsePrefix(f[3])
		if err == nil && p.Overlaps(subnet.Masked()) {
			return fmt.Errorf("subnet %s is taken: %s has %s (another test package uses this subnet; give each its own, see planFleet)", subnet.Masked(), f[1], p)
		}
	}
	return nil
}

// setUpNetwork makes the bridge with the controller's address, and per
// host a namespace and a veth whose host end is on the bridge and whose
// other end is eth0 in the namespace with the host's address.
func setUpNetwork(ctx context.Context, p fleetPlan) error {
	cmds := [][]string{
		{"link", "add", p.Bridge, "type", "bridge"},
		{"addr", "add", p.Controller.String(), "dev", p.Bridge},
		{"link", "set", p.Bridge, "up"},
	}
	for _, h := range p.Hosts {
		cidr := netip.PrefixFrom(h.Addr, p.Controller.Bits()).String()
		cmds = append(cmds,
			[]string{"netns", "add", h.NetNS},
			[]string{"link", "add", h.Veth, "type", "veth", "peer", "name", "eth0", "netns", h.NetNS},
			[]string{"link", "set", h.Veth, "master", p.Bridge, "up"},
			[]string{"-n", h.NetNS, "addr", "add", cidr, "dev", "eth0"},
			[]string{"-n", h.NetNS, "link", "set", "eth0", "up"},
			[]string{"-n", h.NetNS, "link", "set", "lo", "up"},
		)
	}
	for _, c := range cmds {
		if _, err := runTool(ctx, "", "ip", c...); err != nil {
			return fmt.Errorf("network: %w", err)
		}
	}
	return nil
}

// tearDownNetwork removes the plan's links and namespaces (and with the
// namespaces the nft rules in them).
func tearDownNetwork(ctx context.Context, p fleetPlan) error {
	mine := map[string]bool{p.Bridge: true}
	for _, h := range p.Hosts {
		mine[h.NetNS], mine[h.Veth] = true, true
	}
	return removeLinks(ctx, func(name string) bool { return mine[name] })
}

// CutNetwork drops all traffic between this host and the controller (the
// machine) with nftables rules in the host's network namespace; the other
// hosts still reach it. Cutting twice is the same as once.
func (h *Host) CutNetwork(ctx context.Context) error {
	return h.nft(ctx, nftCutScript(h.fleet.Controller()))
}

// RestoreNetwork undoes CutNetwork; without a cut it does nothing.
func (h *Host) RestoreNetwork(ctx context.Context) error {
	return h.nft(ctx, nftRestoreScript())
}

func (h *Host) nft(ctx context.Context, script string) error {
	ns := filepath.Join("/run/netns", h.plan.NetNS)
	if _, err := runTool(ctx, script, "nsenter", "--net="+ns, "nft", "-f", "-"); err != nil {
		return fmt.Errorf("host %s: nft in %s: %w", h.plan.Name, ns, err)
	}
	return nil
}
