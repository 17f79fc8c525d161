package testbed

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Bind makes a host path visible inside the container.
type Bind struct {
	// Host is an absolute path on the host.
	Host string
	// Container is the absolute path inside; "" means the same as Host.
	Container string
	// ReadOnly binds with --bind-ro.
	ReadOnly bool
}

// Options say what container to boot. The zero value is a plain container
// sharing the host's network.
type Options struct {
	// Name prefixes the machine name (also the container's hostname); the
	// process ID and a random suffix are appended so that test packages
	// running in parallel never clash. "" means "sysroll-test".
	Name string
	// Binds are host paths to bring in; the container's own / is empty.
	Binds []Bind
	// NetNS, when set, is a network namespace for the container: a name
	// under /run/netns (as made by `ip netns add NAME`) or an absolute path.
	// "" shares the host's network.
	NetNS string
	// BootTimeout bounds the wait for the boot to finish; 0 means 60s (a
	// boot takes well under a second, but the test machines are shared).
	BootTimeout time.Duration
	// Args are extra arguments for the container's systemd, in kernel
	// command line style (e.g. "systemd.log_level=debug").
	Args []string
	// Overlays are host directories (absolute; e.g. "/usr") that appear
	// writable at the same path inside: an overlay file system over the
	// host's directory with a throwaway upper layer (systemd-nspawn
	// --overlay=DIR::DIR, which keeps it under the host's /var/tmp and
	// removes it when the container stops). Writes inside never reach the
	// host's directory. The directory's parent must exist in the container
	// before anything is copied in ("/usr" does, "/var/lib/dpkg" does not:
	// use Copies for that).
	Overlays []string
	// Copies are host paths (absolute) copied to the same path inside once
	// the container has booted (cp -a), for state the container may change
	// without the host's changing, e.g. /var/lib/dpkg for a test that
	// installs a package.
	Copies []string
}

// Container is a booted systemd-nspawn container. Close it when done.
type Container struct {
	name     string
	cmd      *exec.Cmd
	dir      string   // holds the nspawn log
	cgroups  []string // made for this container; removed by Close
	initPID  int
	initTime uint64 // start time of init, to tell it from a reused PID
	bootTime time.Duration
	failed   []string

	exited  chan struct{} // closed when systemd-nspawn has exited
	waitErr error         // its exit status, valid once exited is closed

	closeOnce sync.Once
	closeErr  error
}

// enterCgroups is a shell script that moves itself into the cgroup
// directories listed in $TESTBED_CGROUPS (one a line), then executes its
// arguments: systemd-nspawn then starts in a cgroup of its own.
const enterCgroups = `IFS='
'
for d in $TESTBED_CGROUPS; do echo $$ >"$d/cgroup.procs" || exit 125; done
exec "$0" "$@"`

const (
	defaultBootTimeout = 60 * time.Second
	// haltTimeout bounds an orderly halt before Close kills the container.
	haltTimeout = 15 * time.Second
	// sigRTMin3 is systemd's "halt" signal, SIGRTMIN+3 as glibc numbers it
	// (glibc reserves the first two real-time signals, so SIGRTMIN is 34).
	sigRTMin3 = syscall.Signal(37)
)

// Boot starts a container and waits until its systemd has finished booting
// (`systemctl is-system-running` says running or degraded; Failed lists the
// failed units of a degraded boot). On any error nothing is left running and
// the error carries the tail of the boot log.
func Boot(ctx context.Context, opts Options) (*Container, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("testbed: booting a systemd-nspawn container needs root; run the integration tests as root")
	}
	nspawn, err := ensureTools(ctx)
	if err != nil {
		return nil, err
	}
	name := machineName(opts.Name)
	args, err := nspawnArgs(name, opts)
	if err != nil {
		return nil, fmt.Errorf("testbed %s: %w", name, err)
	}
	dir, err := os.MkdirTemp("", "testbed-"+name+"-")
	if err != nil {
		return nil, fmt.Errorf("testbed %s: %w", name, err)
	}
	c := &Container{name: name, dir: dir, exited: make(chan struct{})}
	start := time.Now()
	if err := c.start(nspawn, args); err != nil {
		os.RemoveAll(dir)
		removeCgroups(c.cgroups)
		return nil, fmt.Errorf("testbed %s: start systemd-nspawn: %w", name, err)
	}

	timeout := opts.BootTimeout
	if timeout == 0 {
		timeout = defaultBootTimeout
	}
	bctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := c.waitBooted(bctx); err != nil {
		// Read the log before Close removes it.
		tail := c.LogTail(25)
		// Nothing inside is worth an orderly halt.
		c.closeOnce.Do(func() {
			if c.closeErr = c.kill(); c.closeErr == nil {
				c.cleanup()
			}
		})
		return nil, fmt.Errorf("testbed %s: boot: %w\n--- systemd-nspawn log (last lines) ---\n%s", name, err, tail)
	}
	if err := c.copyIn(bctx, opts.Copies); err != nil {
		c.Close()
		return nil, fmt.Errorf("testbed %s: %w", name, err)
	}
	if err := c.startBusProxy(bctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("testbed %s: %w", name, err)
	}
	c.bootTime = time.Since(start)
	return c, nil
}

// start starts systemd-nspawn in cgroups of its own, its output to the log.
func (c *Container) start(nspawn string, args []string) error {
	logf, err := os.Create(c.LogPath())
	if err != nil {
		return err
	}
	defer logf.Close() // the child has its own copy

	cgroups, err := containerCgroups(c.name)
	if err != nil {
		// Not fatal: only containers booted at the same time interfere.
		removeCgroups(cgroups)
		cgroups = nil
		fmt.Fprintf(logf, "testbed: no cgroup of its own for this container (%v); containers booted concurrently may interfere\n", err)
	}
	c.cgroups = cgroups
	cmd := exec.Command(nspawn, args...)
	if len(cgroups) > 0 {
		// Enter the cgroups, then become systemd-nspawn.
		cmd = exec.Command("/bin/sh", append([]string{"-c", enterCgroups, nspawn}, args...)...)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	// TERM=dumb keeps colour codes out of the boot log (nspawn passes TERM on).
	cmd.Env = append(os.Environ(), "TERM=dumb", "TESTBED_CGROUPS="+strings.Join(cgroups, "\n"))
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// Its own process group: a Ctrl-C at the terminal reaches the test,
		// which halts the container in order, and not nspawn directly.
		Setpgid: true,
		// If the test process dies without closing (panic, timeout, kill -9),
		// nspawn gets SIGTERM, which halts the container. (The signal is tied
		// to the forking OS thread; Go ends threads only of goroutines that
		// exit locked to them, which Boot's callers do not do.)
		Pdeathsig: syscall.SIGTERM,
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	c.cmd = cmd
	go func() {
		c.waitErr = cmd.Wait()
		close(c.exited)
	}()
	return nil
}

// Name is the machine name, also the container's hostname.
func (c *Container) Name() string { return c.name }

// InitPID is the host PID of the container's systemd (PID 1 inside).
func (c *Container) InitPID() int { return c.initPID }

// Root is the container's / as seen from the host.
func (c *Container) Root() string { return fmt.Sprintf("/proc/%d/root", c.initPID) }

// Path is the host path of a path inside the container.
func (c *Container) Path(p string) string { return c.Root() + filepath.Join("/", p) }

// BusAddress is the D-Bus address of the container's systemd private socket,
// for systemd.Options.Address: peer-to-peer, no dbus-daemon and no Hello,
// and systemd sends its signals (JobRemoved, ...) to every private
// connection, as for root on a real host.
//
// It is a relay inside the container (see busProxy), not
// /run/systemd/private itself: systemd refuses private connections from
// processes outside its PID namespace ("Incoming private connection from
// unprivileged client, refusing: No data available": the peer's PID reads
// as 0 there).
func (c *Container) BusAddress() string { return "unix:path=" + c.Path(busProxySocket) }

// SystemBusAddress is the address of the container's D-Bus system bus
// (dbus-daemon), for clients that need a real bus.
func (c *Container) SystemBusAddress() string {
	return "unix:path=" + c.Path("/run/dbus/system_bus_socket")
}

// BootTime is how long Boot took, from starting systemd-nspawn until the
// boot had finished.
func (c *Container) BootTime() time.Duration { return c.bootTime }

// Failed lists the units that had failed when the boot finished; empty when
// the system came up "running" rather than "degraded".
func (c *Container) Failed() []string { return c.failed }

// LogPath is the file holding systemd-nspawn's output (the container's
// console). Close removes it.
func (c *Container) LogPath() string { return filepath.Join(c.dir, "nspawn.log") }

// waitBooted finds the container's init and polls its boot state.
func (c *Container) waitBooted(ctx context.Context) error {
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	var last string
	for {
		select {
		case <-c.exited:
			return fmt.Errorf("systemd-nspawn exited early: %v", c.waitErr)
		case <-ctx.Done():
			if last == "" {
				last = "no answer yet"
			}
			return fmt.Errorf("not booted (last state: %s): %w", last, ctx.Err())
		case <-tick.C:
		}
		if c.initPID == 0 {
			c.initPID, c.initTime = findInit(c.cmd.Process.Pid)
			continue
		}
		if _, err := os.Stat(c.Path("/run/systemd/private")); err != nil {
			continue
		}
		out, _ := c.Exec(ctx, "systemctl", "is-system-running")
		last = strings.TrimSpace(string(out))
		switch last {
		case "running":
			return nil
		case "degraded":
			out, err := c.Exec(ctx, "systemctl", "list-units", "--state=failed", "--plain", "--no-legend", "--full")
			if err != nil {
				return fmt.Errorf("list failed units: %w", err)
			}
			for _, line := range strings.Split(string(out), "\n") {
				if f := strings.Fields(line); len(f) > 0 {
					c.failed = append(c.failed, f[0])
				}
			}
			return nil
		case "maintenance", "stopping", "offline":
			return fmt.Errorf("system is %s", last)
		}
	}
}
