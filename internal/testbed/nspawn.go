package testbed

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// bootArgs go to the container's systemd. firstboot=off stops
// systemd-firstboot from prompting on the console; condition-first-boot=false
// stops the empty /etc from triggering "preset-all", which would start every
// daemon installed on the host inside the container, on the host's network.
var bootArgs = []string{"systemd.firstboot=off", "systemd.condition-first-boot=false"}

// nspawnArgs builds the systemd-nspawn command line (see testbed.md).
func nspawnArgs(name string, opts Options) ([]string, error) {
	args := []string{
		"--quiet",
		"--register=no",  // no machined on the host to register with
		"--keep-unit",    // and no host systemd to make a scope unit
		"--directory=/",  // the host's own OS...
		"--volatile=yes", // ...with a fresh tmpfs for / (only /usr from the host)
		"--boot",
		"--console=read-only", // console output to our log, whatever our stdin is
		"--machine=" + name,
	}
	for _, b := range opts.Binds {
		dst := b.Container
		if dst == "" {
			dst = b.Host
		}
		if !filepath.IsAbs(b.Host) || !filepath.IsAbs(dst) {
			return nil, fmt.Errorf("bind %q:%q: paths must be absolute", b.Host, dst)
		}
		if _, err := os.Stat(b.Host); err != nil {
			return nil, fmt.Errorf("bind %s: %w", b.Host, err)
		}
		flag := "--bind="
		if b.ReadOnly {
			flag = "--bind-ro="
		}
		args = append(args, flag+escapeColon(b.Host)+":"+escapeColon(dst))
	}
	for _, dir := range opts.Overlays {
		if !filepath.IsAbs(dir) {
			return nil, fmt.Errorf("overlay %q: path must be absolute", dir)
		}
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("overlay %s: not a directory on the host (%v)", dir, err)
		}
		// lower:upper:destination, the upper left empty: a temporary one.
		args = append(args, "--overlay="+escapeColon(dir)+"::"+escapeColon(dir))
	}
	for _, p := range opts.Copies {
		if !filepath.IsAbs(p) {
			return nil, fmt.Errorf("copy %q: path must be absolute", p)
		}
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("copy %s: %w", p, err)
		}
	}
	if opts.NetNS != "" {
		p := opts.NetNS
		if !filepath.IsAbs(p) {
			p = filepath.Join("/run/netns", p)
		}
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("network namespace: %w", err)
		}
		args = append(args, "--network-namespace-path="+p)
	}
	args = append(args, "--")
	args = append(args, bootArgs...)
	return append(args, opts.Args...), nil
}

// escapeColon escapes the ':' that separates --bind's source and target.
func escapeColon(p string) string { return strings.ReplaceAll(p, ":", `\:`) }

var notHostname = regexp.MustCompile(`[^a-zA-Z0-9-]+`)

// machineName makes a valid, unique machine name (a hostname of at most 64
// characters) from prefix, this process's ID and a random suffix.
func machineName(prefix string) string {
	prefix = strings.Trim(notHostname.ReplaceAllString(prefix, "-"), "-")
	if prefix == "" {
		prefix = "sysroll-test"
	}
	var r [3]byte
	rand.Read(r[:])
	suffix := fmt.Sprintf("-%d-%s", os.Getpid(), hex.EncodeToString(r[:]))
	if max := 64 - len(suffix); len(prefix) > max {
		prefix = strings.TrimRight(prefix[:max], "-")
	}
	return prefix + suffix
}

var installMu sync.Mutex

// ensureTools finds systemd-nspawn, installing it (Debian package
// systemd-container) when it is missing and we are root, and checks nsenter.
func ensureTools(ctx context.Context) (string, error) {
	installMu.Lock()
	defer installMu.Unlock()
	if _, err := exec.LookPath("nsenter"); err != nil {
		return "", errors.New("testbed: nsenter not found; install util-linux")
	}
	if p, err := exec.LookPath("systemd-nspawn"); err == nil {
		return p, nil
	}
	if os.Geteuid() != 0 {
		return "", errors.New("testbed: systemd-nspawn not found; install it as root: apt-get install -y systemd-container")
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return "", errors.New("testbed: systemd-nspawn not found and there is no apt-get; install your distribution's systemd-nspawn (systemd-container)")
	}
	install := func() ([]byte, error) {
		cmd := exec.CommandContext(ctx, "apt-get", "install", "-y", "-q", "--no-install-recommends", "systemd-container")
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		return cmd.CombinedOutput()
	}
	if _, err := install(); err != nil {
		// A fresh machine may have no package lists yet.
		if out, err := exec.CommandContext(ctx, "apt-get", "update", "-q").CombinedOutput(); err != nil {
			return "", fmt.Errorf("testbed: apt-get update: %w\n%s", err, out)
		}
		if out, err := install(); err != nil {
			return "", fmt.Errorf("testbed: apt-get install systemd-container: %w\n%s", err, out)
		}
	}
	p, err := exec.LookPath("systemd-nspawn")
	if err != nil {
		return "", fmt.Errorf("testbed: systemd-container installed but systemd-nspawn still not found: %w", err)
	}
	return p, nil
}

// findInit returns the host PID of the container's init, the child of
// systemd-nspawn that is PID 1 in its own PID namespace, and its start time;
// 0 while there is none yet.
func findInit(nspawn int) (pid int, start uint64) {
	for _, child := range children(nspawn) {
		if isNSInit(child) {
			return child, startTime(child)
		}
	}
	return 0, 0
}

// children lists the child processes of pid.
func children(pid int) []int {
	var out []int
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, t := range tasks {
		b, _ := os.ReadFile(t)
		for _, f := range strings.Fields(string(b)) {
			if child, err := strconv.Atoi(f); err == nil {
				out = append(out, child)
			}
		}
	}
	return out
}

// isNSInit reports whether pid is PID 1 of a PID namespace below ours.
func isNSInit(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if ids, ok := strings.CutPrefix(line, "NSpid:"); ok {
			f := strings.Fields(ids)
			return len(f) > 1 && f[len(f)-1] == "1"
		}
	}
	return false
}

// startTime is field 22 of /proc/PID/stat (clock ticks after boot), which
// tells a process from a later one that reused its PID; 0 if it is gone.
func startTime(pid int) uint64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces; count from its ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return 0
	}
	n, _ := strconv.ParseUint(f[19], 10, 64)
	return n
}

// LogTail returns the last n lines of systemd-nspawn's output.
func (c *Container) LogTail(n int) string {
	b, err := os.ReadFile(c.LogPath())
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
