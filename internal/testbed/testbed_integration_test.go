//go:build integration

package testbed_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/testbed"
)

func TestMain(m *testing.M) {
	testbed.Main(m, testbed.Options{Name: "sysroll-testbed"})
}

func TestSharedContainer(t *testing.T) {
	c := testbed.Shared(t)
	ctx := t.Context()

	out, err := c.Exec(ctx, "systemctl", "is-system-running")
	if got := strings.TrimSpace(string(out)); got != "running" {
		t.Errorf("is-system-running = %q (%v), want running; failed units: %v", got, err, c.Failed())
	}
	if out, err := c.Exec(ctx, "hostname"); err != nil || strings.TrimSpace(string(out)) != c.Name() {
		t.Errorf("hostname = %q, %v; want %q", out, err, c.Name())
	}
	// Inside, our command is not PID 1 and init is systemd.
	if out, err := c.Exec(ctx, "cat", "/proc/1/comm"); err != nil || strings.TrimSpace(string(out)) != "systemd" {
		t.Errorf("/proc/1/comm = %q, %v; want systemd", out, err)
	}
	for _, addr := range []string{c.BusAddress(), c.SystemBusAddress()} {
		if _, err := os.Stat(strings.TrimPrefix(addr, "unix:path=")); err != nil {
			t.Errorf("bus socket: %v", err)
		}
	}

	// WriteFile lands inside; a failing command reports its stderr.
	if err := c.WriteFile("/etc/sysroll-testbed/hello.txt", []byte("hi\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := c.Exec(ctx, "stat", "-c", "%a %s", "/etc/sysroll-testbed/hello.txt"); err != nil || string(out) != "600 3\n" {
		t.Errorf("stat = %q, %v; want \"600 3\"", out, err)
	}
	_, err = c.Exec(ctx, "cat", "/nonexistent")
	var ee *exec.ExitError
	if !errors.As(err, &ee) || !strings.Contains(err.Error(), "No such file") {
		t.Errorf("Exec of a failing command: err = %v, want an *exec.ExitError with stderr", err)
	}
	if err := c.RemoveFile("/etc/sysroll-testbed/hello.txt"); err != nil {
		t.Error(err)
	}
	if err := c.WriteFile("relative", nil, 0o644); err == nil {
		t.Error("WriteFile of a relative path: no error")
	}

	// Only the statically wanted units run: no host daemon was preset-enabled.
	out, _ = c.Exec(ctx, "systemctl", "list-units", "--type=service", "--state=running", "--plain", "--no-legend")
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		unit := strings.Fields(line)[0]
		if !strings.HasPrefix(unit, "systemd-") && unit != "dbus.service" && unit != "console-getty.service" && unit != "sysroll-testbed-bus.service" {
			t.Errorf("unexpected service running in the container: %s", line)
		}
	}
}

// A command outliving its context is killed, inside the container too.
func TestExecContext(t *testing.T) {
	c := testbed.Shared(t)
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Exec(ctx, "sleep", "27.5")
	if err == nil {
		t.Fatal("Exec of sleep 27.5 with a 300ms context succeeded")
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Exec returned %s after its context ended", took)
	}
	time.Sleep(100 * time.Millisecond)
	if out, err := c.Exec(t.Context(), "pgrep", "-f", "sleep 27.5"); err == nil {
		t.Errorf("the command still runs inside: %s", out)
	}
}

func TestBootBindsAndClose(t *testing.T) {
	rw, ro := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(ro, "in.txt"), []byte("from host"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := testbed.Boot(t.Context(), testbed.Options{
		Name: "sysroll-binds",
		Binds: []testbed.Bind{
			{Host: rw, Container: "/srv/rw"},
			{Host: ro, Container: "/srv/ro", ReadOnly: true},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	t.Logf("booted %s in %s", c.Name(), c.BootTime())
	ctx := t.Context()

	if out, err := c.Exec(ctx, "cat", "/srv/ro/in.txt"); err != nil || string(out) != "from host" {
		t.Errorf("read-only bind: %q, %v", out, err)
	}
	if _, err := c.Exec(ctx, "touch", "/srv/ro/x"); err == nil {
		t.Error("wrote into a read-only bind")
	}
	if _, err := c.Exec(ctx, "sh", "-c", "echo out > /srv/rw/out.txt"); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(rw, "out.txt")); err != nil || string(b) != "out\n" {
		t.Errorf("rw bind seen from host: %q, %v", b, err)
	}

	init, log := c.InitPID(), c.LogPath()
	start := time.Now()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("halted in %s", time.Since(start))
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", init)); err == nil {
		t.Errorf("init pid %d still exists after Close", init)
	}
	if _, err := os.Stat(log); err == nil {
		t.Errorf("log %s left behind", log)
	}
	assertNoContainer(t, "sysroll-binds")
}

// A unit that fails at boot makes the system "degraded"; Boot still
// succeeds and names the unit.
func TestBootDegraded(t *testing.T) {
	etc := t.TempDir()
	unit := "[Service]\nType=oneshot\nExecStart=/bin/false\n[Install]\nWantedBy=multi-user.target\n"
	must(t, os.WriteFile(filepath.Join(etc, "sysroll-bootfail.service"), []byte(unit), 0o644))
	must(t, os.Mkdir(filepath.Join(etc, "multi-user.target.wants"), 0o755))
	must(t, os.Symlink("../sysroll-bootfail.service", filepath.Join(etc, "multi-user.target.wants", "sysroll-bootfail.service")))

	c, err := testbed.Boot(t.Context(), testbed.Options{
		Name:  "sysroll-degraded",
		Binds: []testbed.Bind{{Host: etc, Container: "/etc/systemd/system", ReadOnly: true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !slices.Equal(c.Failed(), []string{"sysroll-bootfail.service"}) {
		t.Errorf("Failed() = %q, want [sysroll-bootfail.service]", c.Failed())
	}
}

// A boot that does not finish in time is an error that shows the boot log,
// and leaves nothing running, whatever stage the boot had reached.
func TestBootTimeout(t *testing.T) {
	for _, timeout := range []time.Duration{time.Millisecond, 20 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond} {
		t.Run(timeout.String(), func(t *testing.T) {
			start := time.Now()
			c, err := testbed.Boot(t.Context(), testbed.Options{Name: "sysroll-timeout", BootTimeout: timeout})
			if err == nil {
				c.Close()
				t.Skipf("booted within %s; nothing to test", timeout)
			}
			took := time.Since(start)
			if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "systemd-nspawn log") {
				t.Errorf("err = %v; want a deadline error with the log", err)
			}
			if took > 5*time.Second {
				t.Errorf("failed boot took %s to clean up", took)
			}
			assertNoContainer(t, "sysroll-timeout")
			if timeout == 100*time.Millisecond {
				t.Logf("error looks like:\n%v", err)
			}
		})
	}
}

func TestBootNetNS(t *testing.T) {
	if _, err := exec.LookPath("ip"); err != nil {
		t.Fatal("ip (iproute2) is needed for network namespaces:", err)
	}
	ns := fmt.Sprintf("sysroll-tb-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "delete", ns).Run() })

	c, err := testbed.Boot(t.Context(), testbed.Options{Name: "sysroll-netns", NetNS: ns})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	out, err := c.Exec(t.Context(), "ip", "-o", "link")
	if err != nil {
		t.Fatal(err)
	}
	links := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(links) != 1 || !strings.Contains(links[0], ": lo:") {
		t.Errorf("links in the namespace = %q, want only lo", links)
	}
}

func BenchmarkBoot(b *testing.B) {
	var boot, halt time.Duration
	n := 0
	for b.Loop() {
		c, err := testbed.Boot(b.Context(), testbed.Options{Name: "sysroll-bench"})
		if err != nil {
			b.Fatal(err)
		}
		boot += c.BootTime()
		start := time.Now()
		if err := c.Close(); err != nil {
			b.Fatal(err)
		}
		halt += time.Since(start)
		n++
	}
	b.ReportMetric(float64(boot.Milliseconds())/float64(n), "boot-ms/op")
	b.ReportMetric(float64(halt.Milliseconds())/float64(n), "halt-ms/op")
}

// assertNoContainer fails if a systemd-nspawn of this process with the
// given name prefix still runs, or a container's init that lost its nspawn
// (its parent is then the host's init).
func assertNoContainer(t *testing.T, prefix string) {
	t.Helper()
	needle := fmt.Sprintf("--machine=%s-%d-", prefix, os.Getpid())
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		b, _ := os.ReadFile(p + "/cmdline")
		cmdline := strings.ReplaceAll(string(b), "\x00", " ")
		if strings.Contains(cmdline, needle) {
			t.Errorf("container left behind: %s: %q", p, cmdline)
		}
		if strings.Contains(cmdline, "systemd systemd.firstboot=off") && ppid(p) == 1 {
			t.Errorf("container init without its nspawn: %s: %q", p, cmdline)
		}
	}
	left, _ := filepath.Glob(fmt.Sprintf("/run/systemd/nspawn/propagate/%s-%d-*", prefix, os.Getpid()))
	left2, _ := filepath.Glob(fmt.Sprintf("/sys/fs/cgroup/*/%s-%d-*", prefix, os.Getpid()))
	if left = append(left, left2...); len(left) > 0 {
		t.Errorf("left behind on the host: %q", left)
	}
}

// ppid reads the parent PID from /proc/PID/stat.
func ppid(proc string) int {
	b, _ := os.ReadFile(proc + "/stat")
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		if f := strings.Fields(s[i+1:]); len(f) > 1 {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
