//go:build integration

package e2etest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sysroll/sysroll/internal/testbed"
)

// FleetOptions say how to build a fleet beyond its prefix and size.
type FleetOptions struct {
	// Subnet is X of the fleet's 10.231.X.0/24, 2 to 254, unique among the
	// test packages (the allocation rule and table are on planFleet in
	// fleetplan.go). Required.
	Subnet int
	// Binds are host paths to bring into every host, besides BinDir (which
	// always holds the sysroll and hello binaries, built once per fleet).
	Binds []testbed.Bind
	// HostKeyTypes are the ssh-keygen -t types of the keys each host's sshd
	// gets, a fresh set per host and run; nil means ed25519 only.
	HostKeyTypes []string
	// SSHDConfig goes at the top of every host's sshd_config, where it wins
	// over the defaults (sshd takes a keyword's first value).
	SSHDConfig string
	// SSHDUnit names the transient unit sshd runs as in each host; "" means
	// "test-sshd". Stop it with h.Exec(ctx, "systemctl", "stop", UNIT).
	SSHDUnit string
	// Timeout bounds the whole start (build, network, boots, sshd up);
	// 0 means 2 minutes (the machines are shared).
	Timeout time.Duration
}

const (
	defaultSSHDUnit     = "test-sshd"
	defaultFleetTimeout = 2 * time.Minute
)

// Fleet is a set of hosts, each a volatile systemd-nspawn container in a
// network namespace of its own with its own address and a real sshd,
// joined by a bridge on the machine (the controller). Close removes all of
// it; StartFleet and FleetMain close it also when a test fails or the
// process gets SIGINT or SIGTERM. Whatever a killed run leaves (the
// containers halt by themselves, see testbed; namespaces, links and the
// bridge stay) the next start with the same prefix sweeps away.
type Fleet struct {
	plan     fleetPlan
	opts     FleetOptions
	dir      string // keys, known_hosts, ssh_config, binaries
	lock     *os.File
	bootTime time.Duration
	hosts    []*Host

	// A Close on a signal may come while the start is still under way: it
	// cancels the start and waits for it, then removes what it made.
	cancel    context.CancelFunc
	startDone chan struct{}

	closeOnce sync.Once
	closeErr  error
}

// Host is one member of a fleet.
type Host struct {
	fleet    *Fleet
	plan     hostPlan
	c        *testbed.Container
	hostKeys []string // public key lines, one per type
}

// BootFleet makes a fleet of n hosts named h1..hN: see the allocation rule
// on planFleet for the names and addresses prefix and opts.Subnet give. On
// an error nothing is left behind. Most tests want StartFleet or FleetMain,
// which also tear the fleet down on a signal.
func BootFleet(ctx context.Context, prefix string, n int, opts FleetOptions) (*Fleet, error) {
	plan, err := planFleet(prefix, n, opts.Subnet)
	if err != nil {
		return nil, err
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("fleet: network namespaces and containers need root; run the integration tests as root")
	}
	if err := fleetTools(); err != nil {
		return nil, err
	}
	if opts.HostKeyTypes == nil {
		opts.HostKeyTypes = []string{"ed25519"}
	}
	if opts.SSHDUnit == "" {
		opts.SSHDUnit = defaultSSHDUnit
	}
	if opts.Timeout == 0 {
		opts.Timeout = defaultFleetTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	f := &Fleet{plan: plan, opts: opts, startDone: make(chan struct{})}
	ctx, f.cancel = context.WithCancel(ctx)
	for _, hp := range plan.Hosts {
		f.hosts = append(f.hosts, &Host{fleet: f, plan: hp})
	}
	track(f)
	err = f.start(ctx)
	close(f.startDone)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("fleet %s: %w", prefix, err), f.Close())
	}
	return f, nil
}

// start does BootFleet's work; on an error the caller closes f.
func (f *Fleet) start(ctx context.Context) error {
	begin := time.Now()
	lock, err := lockFleet(f.plan.Prefix)
	if err != nil {
		return err
	}
	f.lock = lock
	if err := sweepFleet(ctx, f.plan.Prefix); err != nil {
		return err
	}
	if err := checkSubnetFree(ctx, f.plan.Controller); err != nil {
		return err
	}
	if f.dir, err = os.MkdirTemp("", "sysroll-fleet-"+f.plan.Prefix+"-"); err != nil {
		return err
	}
	bin := filepath.Join(f.dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		return err
	}
	built := make(chan error, 1)
	go func() { built <- Build(bin) }()
	netErr := setUpNetwork(ctx, f.plan)
	keyErr := f.makeKeys(ctx)
	if err := errors.Join(<-built, netErr, keyErr); err != nil {
		return err
	}
	bootStart := time.Now()
	binds := append([]testbed.Bind{{Host: bin, Container: BinDir, ReadOnly: true}}, f.opts.Binds...)
	errs := make([]error, len(f.hosts))
	var wg sync.WaitGroup
	for i, h := range f.hosts {
		wg.Go(func() { errs[i] = h.boot(ctx, binds) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	f.bootTime = time.Since(bootStart)
	if err := f.WriteKnownHosts(f.KnownHostsPath()); err != nil {
		return err
	}
	if err := f.WriteSSHConfig(f.SSHConfigPath(), f.KnownHostsPath()); err != nil {
		return err
	}
	if testingVerbose() {
		fmt.Fprintf(os.Stderr, "fleet %s: %d hosts up (boot and sshd) in %s, %s in all\n",
			f.plan.Prefix, len(f.hosts), f.bootTime.Round(time.Millisecond), time.Since(begin).Round(time.Millisecond))
	}
	return nil
}

// boot starts the host's container in its namespace and its sshd.
func (h *Host) boot(ctx context.Context, binds []testbed.Bind) error {
	c, err := testbed.Boot(ctx, testbed.Options{
		Name:  h.fleet.plan.Prefix + "-" + h.plan.Name,
		Binds: binds,
		NetNS: h.plan.NetNS,
	})
	if err != nil {
		return fmt.Errorf("host %s: %w", h.plan.Name, err)
	}
	h.c = c
	if len(c.Failed()) > 0 && testingVerbose() {
		fmt.Fprintf(os.Stderr, "fleet host %s booted degraded; failed units: %s\n", h.plan.Name, strings.Join(c.Failed(), " "))
	}
	if err := h.startSSHD(ctx); err != nil {
		return fmt.Errorf("host %s (%s): %w", h.plan.Name, h.plan.Addr, err)
	}
	return nil
}

// Close halts every host and removes the namespaces, links, bridge and
// files. Calling it again returns the first result.
func (f *Fleet) Close() error {
	f.closeOnce.Do(func() {
		f.cancel()
		<-f.startDone
		var cs []*testbed.Container
		for _, h := range f.hosts {
			if h.c != nil {
				cs = append(cs, h.c)
			}
		}
		errs := make([]error, len(cs))
		var wg sync.WaitGroup
		for i, c := range cs {
			wg.Go(func() { errs[i] = c.Close() })
		}
		wg.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if f.lock != nil {
			// Only a start that got the lock made anything.
			errs = append(errs, tearDownNetwork(ctx, f.plan))
		}
		if f.dir != "" {
			errs = append(errs, os.RemoveAll(f.dir))
		}
		if f.lock != nil {
			errs = append(errs, unlockFleet(f.lock))
		}
		untrack(f)
		if err := errors.Join(errs...); err != nil {
			f.closeErr = fmt.Errorf("fleet %s: teardown: %w", f.plan.Prefix, err)
		}
	})
	return f.closeErr
}

// Hosts are the fleet's hosts, h1 first.
func (f *Fleet) Hosts() []*Host { return f.hosts }

// Host returns the host named name ("h1", ...), or nil.
func (f *Fleet) Host(name string) *Host {
	for _, h := range f.hosts {
		if h.plan.Name == name {
			return h
		}
	}
	return nil
}

// Controller is the machine's address on the fleet's bridge: where the
// hosts see the tests' connections come from.
func (f *Fleet) Controller() netip.Addr { return f.plan.Controller.Addr() }

// Bridge is the name of the fleet's bridge on the machine.
func (f *Fleet) Bridge() string { return f.plan.Bridge }

// Dir holds the fleet's generated files; Close removes it.
func (f *Fleet) Dir() string { return f.dir }

// ClientKey is the private key every host's root accepts (its public half
// is ClientKey()+".pub").
func (f *Fleet) ClientKey() string { return filepath.Join(f.dir, "client_key") }

// KnownHostsPath is a known_hosts file with every host's keys.
func (f *Fleet) KnownHostsPath() string { return filepath.Join(f.dir, "known_hosts") }

// SSHConfigPath is an ssh_config naming every host by its name (ssh -F
// PATH h1 ...), using KnownHostsPath strictly.
func (f *Fleet) SSHConfigPath() string { return filepath.Join(f.dir, "ssh_config") }

// BootTime is how long booting the hosts and starting their sshd took
// (they boot at the same time).
func (f *Fleet) BootTime() time.Duration { return f.bootTime }

// Name is the host's name in the fleet: "h1", ...
func (h *Host) Name() string { return h.plan.Name }

// Addr is the host's own address, reachable from the machine and from
// the other hosts.
func (h *Host) Addr() netip.Addr { return h.plan.Addr }

// Port is where its sshd listens.
func (h *Host) Port() int { return 22 }

// ClientKey is the private key its root accepts: the fleet's ClientKey.
func (h *Host) ClientKey() string { return h.fleet.ClientKey() }

// NetNS is the name of its network namespace (/run/netns/NAME).
func (h *Host) NetNS() string { return h.plan.NetNS }

// Container is the host's testbed container.
func (h *Host) Container() *testbed.Container { return h.c }

// HostKeys are its sshd's public keys, one OpenSSH line per key type.
func (h *Host) HostKeys() []string { return h.hostKeys }

// KnownHosts are the known_hosts lines for its keys at Addr:Port.
func (h *Host) KnownHosts() []string {
	var out []string
	for _, k := range h.hostKeys {
		// The keys come from ssh-keygen: a malformed one failed the start.
		if l, err := knownHostsLine(h.plan.Addr, h.Port(), k); err == nil {
			out = append(out, l)
		}
	}
	return out
}

// Exec runs argv inside the host (nsenter into all its namespaces) and
// returns its standard output; see testbed.Container.Exec.
func (h *Host) Exec(ctx context.Context, argv ...string) ([]byte, error) {
	return h.c.Exec(ctx, argv...)
}

// WriteKnownHosts writes a known_hosts file with the keys of the named
// hosts, or of every host when names is empty.
func (f *Fleet) WriteKnownHosts(path string, names ...string) error {
	var b strings.Builder
	for _, h := range f.hosts {
		if len(names) > 0 && !slices.Contains(names, h.plan.Name) {
			continue
		}
		for _, l := range h.KnownHosts() {
			b.WriteString(l + "\n")
		}
	}
	return writeFleetFile(path, b.String())
}

// WriteSSHConfig writes an ssh_config for every host (Host h1 ...) with the
// fleet's client key and the given known_hosts file.
func (f *Fleet) WriteSSHConfig(path, knownHosts string) error {
	var hosts []sshConfigHost
	for _, h := range f.hosts {
		hosts = append(hosts, sshConfigHost{Alias: h.plan.Name, Addr: h.plan.Addr, Port: h.Port()})
	}
	return writeFleetFile(path, renderSSHConfig(hosts, f.ClientKey(), knownHosts))
}

func writeFleetFile(path, content string) error {
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return fmt.Errorf("fleet: write %s: %w", path, err)
	}
	return nil
}
