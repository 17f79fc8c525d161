package sshx

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Target is everything needed to reach one host, as resolved from the SSH
// config and the inventory.
type Target struct {
	// Name is the host as the inventory/user gave it; it keys the Pool and
	// names the host in errors.
	Name string
	// HostName is the address dialled.
	HostName string
	// Port is the TCP port (22 when unset).
	Port int
	// User is the remote login.
	User string
	// IdentityFiles are private key paths tried in order after the agent
	// ("~/" is expanded when reading).
	IdentityFiles []string
	// IdentitiesOnly restricts the agent's keys to those whose public half
	// matches one of IdentityFiles, as OpenSSH does.
	IdentitiesOnly bool
	// ProxyJump are the jump hosts in order, each "[user@]host[:port]";
	// each is itself resolved through the Resolver.
	ProxyJump []string
	// UserKnownHostsFiles are read and, with AcceptNew, the first one is
	// appended to.
	UserKnownHostsFiles []string
	// GlobalKnownHostsFiles are read only.
	GlobalKnownHostsFiles []string
	// HostKeyAlias, when set, is the name looked up in known_hosts instead
	// of HostName[:Port].
	HostKeyAlias string
	// ConnectTimeout bounds TCP connect, and the handshake too (0: the
	// Pool's default).
	ConnectTimeout time.Duration
	// ServerAliveInterval is the keepalive period (0: the Pool's default;
	// sysroll always sends keepalives, a dead link must be noticed).
	ServerAliveInterval time.Duration
	// ServerAliveCountMax is how many unanswered keepalives mean the link
	// is dead (0: the Pool's default).
	ServerAliveCountMax int
	// Warnings are config values sysroll does not honour (e.g.
	// StrictHostKeyChecking no), for the controller to show.
	Warnings []string
}

// Addr is HostName:Port for net.Dial.
func (t Target) Addr() string {
	port := t.Port
	if port == 0 {
		port = 22
	}
	return joinHostPort(t.HostName, port)
}

// KnownHostsName is the name looked up in known_hosts: HostKeyAlias, else
// HostName with the port, as OpenSSH does ("[host]:port" off port 22 is the
// knownhosts package's normalization of "host:port").
func (t Target) KnownHostsName() string {
	if t.HostKeyAlias != "" {
		return joinHostPort(t.HostKeyAlias, 22)
	}
	return t.Addr()
}

// Resolver turns a host name into a Target. The real one runs `ssh -G`; tests
// use a map.
type Resolver interface {
	Resolve(ctx context.Context, host string) (Target, error)
}

// Runner runs a command and returns its stdout; the seam between
// OpenSSHResolver and os/exec.
type Runner func(ctx context.Context, name string, args ...string) ([]byte, error)

// OpenSSHResolver resolves hosts with `ssh -G HOST`, so the answer is
// OpenSSH's own (Include, Match, %-tokens, defaults).
type OpenSSHResolver struct {
	// SSH is the ssh binary ("ssh" when empty).
	SSH string
	// ConfigFile, when set, is passed as -F (tests, or a fleet's own file).
	ConfigFile string
	// Run executes the command (exec.CommandContext when nil).
	Run Runner
}

var _ Resolver = (*OpenSSHResolver)(nil)

// Resolve implements Resolver.
func (r *OpenSSHResolver) Resolve(ctx context.Context, host string) (Target, error) {
	if host == "" || strings.HasPrefix(host, "-") {
		return Target{}, fmt.Errorf("resolve ssh host %q: not a host name", host)
	}
	bin := r.SSH
	if bin == "" {
		bin = "ssh"
	}
	args := []string{"-G"}
	if r.ConfigFile != "" {
		args = append(args, "-F", r.ConfigFile)
	}
	args = append(args, "--", host)
	run := r.Run
	if run == nil {
		run = execRun
	}
	out, err := run(ctx, bin, args...)
	if err != nil {
		return Target{}, fmt.Errorf("resolve ssh host %s: %s -G: %w (check the SSH config with `ssh -G %s`)", host, bin, err, host)
	}
	t, err := ParseSSHG(host, out)
	if err != nil {
		return Target{}, fmt.Errorf("resolve ssh host %s: %w", host, err)
	}
	return t, nil
}

func execRun(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return nil, fmt.Errorf("%w: %s", err, msg)
		}
		return nil, err
	}
	return out, nil
}

// ParseSSHG reads the "key value" lines `ssh -G` prints (keys lower-case).
// Unknown keys are ignored; a malformed number is an error naming the key.
func ParseSSHG(name string, out []byte) (Target, error) {
	t := Target{Name: name}
	var errs []error
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		key, val, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		val = strings.TrimSpace(val)
		switch strings.ToLower(key) {
		case "hostname":
			t.HostName = val
		case "user":
			t.User = val
		case "port":
			p, err := strconv.Atoi(val)
			if err != nil || p < 1 || p > 65535 {
				errs = append(errs, fmt.Errorf("port %q: not a TCP port", val))
				continue
			}
			t.Port = p
		case "identityfile":
			t.IdentityFiles = append(t.IdentityFiles, val)
		case "identitiesonly":
			t.IdentitiesOnly = isYes(val)
		case "proxyjump":
			if val != "" && val != "none" {
				t.ProxyJump = splitList(val, ",")
			}
		case "userknownhostsfile":
			t.UserKnownHostsFiles = noneList(strings.Fields(val))
		case "globalknownhostsfile":
			t.GlobalKnownHostsFiles = noneList(strings.Fields(val))
		case "hostkeyalias":
			t.HostKeyAlias = val
		case "connecttimeout":
			d, err := seconds(val)
			if err != nil {
				errs = append(errs, fmt.Errorf("connecttimeout: %w", err))
			}
			t.ConnectTimeout = d
		case "serveraliveinterval":
			d, err := seconds(val)
			if err != nil {
				errs = append(errs, fmt.Errorf("serveraliveinterval: %w", err))
			}
			t.ServerAliveInterval = d
		case "serveralivecountmax":
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 {
				errs = append(errs, fmt.Errorf("serveralivecountmax %q: not a count", val))
				continue
			}
			t.ServerAliveCountMax = n
		case "stricthostkeychecking":
			switch strings.ToLower(val) {
			case "no", "off", "false":
				t.Warnings = append(t.Warnings, fmt.Sprintf(
					"host %s: StrictHostKeyChecking %s is ignored: sysroll always verifies host keys (add the key to known_hosts, or use accept-new for first contact)", name, val))
			case "accept-new":
				t.Warnings = append(t.Warnings, fmt.Sprintf(
					"host %s: StrictHostKeyChecking accept-new in the SSH config is ignored: sysroll adds unknown keys only when asked to on its command line", name))
			}
		}
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, err)
	}
	if t.HostName == "" {
		t.HostName = name
	}
	if t.Port == 0 {
		t.Port = 22
	}
	if len(errs) > 0 {
		return Target{}, fmt.Errorf("ssh -G output: %w", errors.Join(errs...))
	}
	return t, nil
}

// isYes is OpenSSH's yes/true.
func isYes(v string) bool {
	switch strings.ToLower(v) {
	case "yes", "true":
		return true
	}
	return false
}

// seconds parses an OpenSSH time value as ssh -G prints it: "none", or
// seconds.
func seconds(v string) (time.Duration, error) {
	if v == "" || v == "none" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q: not a number of seconds", v)
	}
	return time.Duration(n) * time.Second, nil
}

func splitList(v, sep string) []string {
	var out []string
	for _, s := range strings.Split(v, sep) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// noneList maps OpenSSH's "none" (no file) to an empty list.
func noneList(v []string) []string {
	if len(v) == 1 && v[0] == "none" {
		return nil
	}
	return v
}

func joinHostPort(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}
