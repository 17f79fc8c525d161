//go:build integration

package e2etest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// makeKeys generates the fleet's client key and each host's host keys on
// the machine, fresh for every run, so that host-key tests mean something.
func (f *Fleet) makeKeys(ctx context.Context) error {
	if err := sshKeygen(ctx, "ed25519", f.ClientKey(), "sysroll-fleet-"+f.plan.Prefix); err != nil {
		return err
	}
	for _, h := range f.hosts {
		dir := filepath.Join(f.dir, h.plan.Name)
		if err := os.Mkdir(dir, 0o700); err != nil {
			return err
		}
		for _, typ := range f.opts.HostKeyTypes {
			key := filepath.Join(dir, "ssh_host_"+typ+"_key")
			if err := sshKeygen(ctx, typ, key, h.plan.Name); err != nil {
				return err
			}
			pub, err := os.ReadFile(key + ".pub")
			if err != nil {
				return err
			}
			line := strings.TrimSpace(string(pub))
			if _, err := knownHostsLine(h.plan.Addr, h.Port(), line); err != nil {
				return err
			}
			h.hostKeys = append(h.hostKeys, line)
		}
	}
	return nil
}

func sshKeygen(ctx context.Context, typ, path, comment string) error {
	if _, err := runTool(ctx, "", "ssh-keygen", "-q", "-t", typ, "-N", "", "-C", comment, "-f", path); err != nil {
		return fmt.Errorf("host key: %w", err)
	}
	return nil
}

// startSSHD gives the booted host what its empty /etc lacks for sshd (see
// testbed.md) and starts sshd as a transient unit, then waits until it
// answers with an SSH banner from the machine.
func (h *Host) startSSHD(ctx context.Context) error {
	f, c := h.fleet, h.c
	dir := filepath.Join(f.dir, h.plan.Name)
	var keyPaths []string
	for _, typ := range f.opts.HostKeyTypes {
		name := "ssh_host_" + typ + "_key"
		for _, file := range []struct {
			name string
			mode os.FileMode
		}{{name, 0o600}, {name + ".pub", 0o644}} {
			b, err := os.ReadFile(filepath.Join(dir, file.name))
			if err != nil {
				return err
			}
			if err := c.WriteFile("/etc/ssh/"+file.name, b, file.mode); err != nil {
				return err
			}
		}
		keyPaths = append(keyPaths, "/etc/ssh/"+name)
	}
	if err := c.WriteFile("/etc/ssh/sshd_config", []byte(renderSSHDConfig(keyPaths, f.opts.SSHDConfig)), 0o644); err != nil {
		return err
	}
	pub, err := os.ReadFile(f.ClientKey() + ".pub")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.Path("/root/.ssh"), 0o700); err != nil {
		return err
	}
	if err := c.WriteFile("/root/.ssh/authorized_keys", pub, 0o600); err != nil {
		return err
	}
	// The privilege separation directory: root's, not writable by others.
	if err := os.MkdirAll(c.Path("/run/sshd"), 0o755); err != nil {
		return err
	}
	if err := h.addSSHDUser(); err != nil {
		return err
	}
	if err := h.unlockRoot(); err != nil {
		return err
	}
	if _, err := c.Exec(ctx, "/usr/sbin/sshd", "-t"); err != nil {
		return fmt.Errorf("sshd_config rejected: %w", err)
	}
	if _, err := c.Exec(ctx, "systemd-run", "--quiet", "--unit="+f.opts.SSHDUnit, "/usr/sbin/sshd", "-D", "-e"); err != nil {
		return fmt.Errorf("start sshd: %w", err)
	}
	if err := waitSSHBanner(ctx, netip.AddrPortFrom(h.plan.Addr, uint16(h.Port()))); err != nil {
		log, _ := c.Exec(context.Background(), "journalctl", "--no-pager", "-n", "20", "-u", f.opts.SSHDUnit)
		return fmt.Errorf("sshd does not answer: %w\n--- journal of %s ---\n%s", err, f.opts.SSHDUnit, log)
	}
	return nil
}

// addSSHDUser adds the unprivileged user sshd's pre-authentication child
// runs as, with a UID no user of the container has.
func (h *Host) addSSHDUser() error {
	b, err := os.ReadFile(h.c.Path("/etc/passwd"))
	if err != nil {
		return err
	}
	used := map[int]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 3 {
			continue
		}
		if f[0] == "sshd" {
			return nil
		}
		if uid, err := strconv.Atoi(f[2]); err == nil {
			used[uid] = true
		}
	}
	uid := 100
	for used[uid] {
		uid++
	}
	line := fmt.Sprintf("sshd:x:%d:65534::/run/sshd:/usr/sbin/nologin\n", uid)
	return h.c.WriteFile("/etc/passwd", []byte(strings.TrimRight(string(b), "\n")+"\n"+line), 0o644)
}

// unlockRoot sets root's password field to "*": no password works, but the
// account is not locked, which the default "!*" is and sshd refuses even
// for keys.
func (h *Host) unlockRoot() error {
	b, err := os.ReadFile(h.c.Path("/etc/shadow"))
	if err != nil {
		return err
	}
	lines := strings.Split(string(b), "\n")
	found := false
	for i, line := range lines {
		f := strings.Split(line, ":")
		if len(f) >= 2 && f[0] == "root" {
			f[1] = "*"
			lines[i] = strings.Join(f, ":")
			found = true
		}
	}
	if !found {
		return errors.New("no root line in the container's /etc/shadow")
	}
	return h.c.WriteFile("/etc/shadow", []byte(strings.Join(lines, "\n")), 0o640)
}

// waitSSHBanner connects to addr until an SSH server greets: the port is
// open and sshd, not just the kernel, answers.
func waitSSHBanner(ctx context.Context, addr netip.AddrPort) error {
	var last error
	for {
		if last = sshBanner(ctx, addr); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w (last: %v)", addr, ctx.Err(), last)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func sshBanner(ctx context.Context, addr netip.AddrPort) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr.String())
	if err != nil {
		return err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "SSH-") {
		return fmt.Errorf("not an SSH banner: %q", line)
	}
	return nil
}
