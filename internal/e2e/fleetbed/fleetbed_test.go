//go:build integration

package fleetbed

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// The package's allocation (see planFleet in internal/e2etest/fleetplan.go).
const (
	prefix = "fbed"
	subnet = 10
	// ourNames is what every interface and namespace of our fleet starts with.
	ourNames = "sr" + prefix + "-"
)

// hostname is what a host's kernel calls itself: its container's machine
// name, distinct per host.
const hostname = "cat /proc/sys/kernel/hostname"

// TestFleetbed boots three hosts and checks, in order: each answers the
// system ssh client under strict host-key checking (and a host whose key
// is not known is refused); hosts reach each other over the bridge; a cut
// host times out while the others answer, and answers again once
// restored; the teardown leaves no namespace, link or container.
func TestFleetbed(t *testing.T) {
	// Leftovers of a "killed earlier run", for the sweep to remove.
	leftNS, leftLink := ourNames+"h9", ourNames+"v9"
	t.Cleanup(func() { // in case the sweep did not
		exec.Command("ip", "netns", "del", leftNS).Run()
		exec.Command("ip", "link", "del", leftLink).Run()
	})
	mustRun(t, "ip", "netns", "add", leftNS)
	mustRun(t, "ip", "link", "add", leftLink, "type", "veth", "peer", "name", "eth0", "netns", leftNS)

	// ... and its files: a fleet directory, and testbed's log directory of
	// a host booted by a test process that is gone.
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	leftDirs := []string{
		filepath.Join(os.TempDir(), "sysroll-fleet-"+prefix+"-1"),
		filepath.Join(os.TempDir(), fmt.Sprintf("testbed-%s-h9-%d-abcdef-1", prefix, gone.Process.Pid)),
	}
	for _, d := range leftDirs {
		if err := os.MkdirAll(filepath.Join(d, "sub"), 0o700); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(d) })
	}

	start := time.Now()
	// Two key types per host: known_hosts then holds both, and either
	// one must be what sshd really serves.
	f := e2etest.StartFleet(t, prefix, 3, e2etest.FleetOptions{Subnet: subnet, HostKeyTypes: []string{"ed25519", "ecdsa"}})
	t.Logf("3 hosts booted with sshd up in %s (whole start, with the build: %s)",
		f.BootTime().Round(time.Millisecond), time.Since(start).Round(time.Millisecond))

	links, netns := ours(t, ourNames)
	for _, gone := range []string{leftNS, leftLink} {
		if strings.Contains(links+netns, gone+"\n") {
			t.Errorf("the sweep left %s of an earlier run", gone)
		}
	}
	for _, d := range leftDirs {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the sweep left %s of an earlier run (%v)", d, err)
		}
	}

	cfg := f.SSHConfigPath()
	t.Run("ssh each host", func(t *testing.T) {
		for _, h := range f.Hosts() {
			r := ssh(t, cfg, h.Name(), hostname+"; systemctl is-system-running")
			if r.err != nil {
				t.Fatalf("ssh %s (%s): %v\n%s", h.Name(), h.Addr(), r.err, r.stderr)
			}
			want := h.Container().Name() + "\nrunning"
			if r.out != want {
				t.Errorf("ssh %s: got %q, want %q", h.Name(), r.out, want)
			}
		}
	})

	t.Run("each host key type served", func(t *testing.T) {
		for _, h := range f.Hosts() {
			if n := len(h.KnownHosts()); n != 2 {
				t.Errorf("%s: %d known_hosts lines, want one per key type (2)", h.Name(), n)
			}
		}
		for _, alg := range []string{"ssh-ed25519", "ecdsa-sha2-nistp256"} {
			r := sshWith(t, cfg, []string{"-o", "HostKeyAlgorithms=" + alg}, "h1", "true")
			if r.err != nil {
				t.Errorf("ssh h1 accepting only %s: %v\n%s", alg, r.err, r.stderr)
			}
		}
	})

	t.Run("unknown host key refused", func(t *testing.T) {
		// A known_hosts with h1's keys only: h2's key is unknown.
		kh := filepath.Join(t.TempDir(), "known_hosts")
		if err := f.WriteKnownHosts(kh, "h1"); err != nil {
			t.Fatal(err)
		}
		only := filepath.Join(t.TempDir(), "ssh_config")
		if err := f.WriteSSHConfig(only, kh); err != nil {
			t.Fatal(err)
		}
		if r := ssh(t, only, "h1", "true"); r.err != nil {
			t.Fatalf("ssh h1 with its key known: %v\n%s", r.err, r.stderr)
		}
		r := ssh(t, only, "h2", "true")
		if exitCode(r.err) != 255 || !strings.Contains(r.stderr, "Host key verification failed") {
			t.Errorf("ssh h2 with its key unknown: %v, stderr %q; want exit 255 and a host key verification failure", r.err, r.stderr)
		}
	})

	// Every host gets the client key and known_hosts, to reach the others.
	kh, err := os.ReadFile(f.KnownHostsPath())
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(f.ClientKey())
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range f.Hosts() {
		if err := h.Container().WriteFile("/root/.ssh/fleet_key", key, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := h.Container().WriteFile("/root/.ssh/known_hosts", kh, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	hostToHost := func(t *testing.T, from, to *e2etest.Host) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, err := from.Exec(ctx, "ssh", "-i", "/root/.ssh/fleet_key", "-o", "IdentitiesOnly=yes",
			"-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "ConnectTimeout=2",
			"root@"+to.Addr().String(), hostname)
		if err != nil {
			t.Fatalf("%s -> %s: %v", from.Name(), to.Name(), err)
		}
		if got := strings.TrimSpace(string(out)); got != to.Container().Name() {
			t.Errorf("%s -> %s answered as %q, want %q", from.Name(), to.Name(), got, to.Container().Name())
		}
	}
	h1, h2, h3 := f.Host("h1"), f.Host("h2"), f.Host("h3")
	t.Run("host to host over the bridge", func(t *testing.T) {
		hostToHost(t, h2, h3)
	})

	t.Run("cut and restore", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// Twice: a second cut is no error and no second set of rules.
		for range 2 {
			if err := h2.CutNetwork(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if out, err := h2.Exec(ctx, "nft", "list", "ruleset"); err != nil || strings.Count(string(out), " drop") != 2 {
			t.Errorf("h2's ruleset after two cuts (%v), want two drop rules:\n%s", err, out)
		}
		r := ssh(t, cfg, "h2", "true")
		if r.err == nil || !strings.Contains(r.stderr, "timed out") {
			t.Errorf("ssh to the cut h2: %v, stderr %q; want a connect timeout", r.err, r.stderr)
		}
		// ConnectTimeout=2: not refused at once, and not hung past it.
		if r.took < 1500*time.Millisecond || r.took > 6*time.Second {
			t.Errorf("ssh to the cut h2 gave up after %s; want about 2s (ConnectTimeout)", r.took)
		}
		for _, h := range []*e2etest.Host{h1, h3} {
			if r := ssh(t, cfg, h.Name(), "true"); r.err != nil {
				t.Errorf("ssh %s while h2 is cut: %v\n%s", h.Name(), r.err, r.stderr)
			}
		}
		// Only the controller is cut off: the other hosts still reach h2.
		hostToHost(t, h3, h2)

		for range 2 {
			if err := h2.RestoreNetwork(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if out, err := h2.Exec(ctx, "nft", "list", "ruleset"); err != nil || strings.TrimSpace(string(out)) != "" {
			t.Errorf("h2's ruleset after restore (%v), want none:\n%s", err, out)
		}
		if r := ssh(t, cfg, "h2", hostname); r.err != nil || r.out != h2.Container().Name() {
			t.Errorf("ssh h2 after restore: %v, %q\n%s", r.err, r.out, r.stderr)
		}
	})

	// Two runs on one prefix or one subnet would break each other: the
	// second is refused before it touches anything.
	t.Run("same prefix or subnet refused", func(t *testing.T) {
		for _, c := range []struct {
			prefix string
			want   string
		}{
			{prefix, "another test process uses the fleet prefix"},
			{"fbedz", "subnet 10.231.10.0/24 is taken: " + ourNames + "br has 10.231.10.1/24"},
		} {
			g, err := e2etest.BootFleet(context.Background(), c.prefix, 1, e2etest.FleetOptions{Subnet: subnet})
			if err == nil {
				g.Close()
				t.Fatalf("second fleet %s on subnet %d started", c.prefix, subnet)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("second fleet %s: %v; want it to say %q", c.prefix, err, c.want)
			}
		}
		// And the first fleet is untouched.
		if r := ssh(t, cfg, "h1", "true"); r.err != nil {
			t.Errorf("ssh h1 after the refused starts: %v\n%s", r.err, r.stderr)
		}
	})

	t.Run("teardown leaves nothing", func(t *testing.T) {
		dir := f.Dir()
		var inits []int
		for _, h := range f.Hosts() {
			inits = append(inits, h.Container().InitPID())
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		for _, l := range leftovers(t, prefix) {
			t.Errorf("after Close: %s remains", l)
		}
		for _, pid := range inits {
			if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid))); err == nil {
				t.Errorf("after Close: a host's init (pid %d) still runs", pid)
			}
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("after Close: %s remains (%v)", dir, err)
		}
	})
}
