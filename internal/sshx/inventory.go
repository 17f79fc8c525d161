package sshx

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Overrides are the connection values an inventory gives for a host. They
// win over the SSH config the way OpenSSH's command line does (-l, -p, -i,
// -J, -o HostName=): the inventory is the more specific, per-invocation
// statement, and the config is the user's general default.
//
//   - Address, Port, User replace the config's HostName, Port, User.
//   - Identity is tried before the config's IdentityFiles (as `ssh -i` puts
//     its file first) rather than replacing them; IdentitiesOnly still
//     comes from the config.
//   - Jump replaces the config's ProxyJump; "none" removes it.
//
// Zero fields leave the config's value.
type Overrides struct {
	Address  string
	Port     int
	User     string
	Identity string
	Jump     string
}

// Apply returns t with o applied.
func (o Overrides) Apply(t Target) Target {
	if o.Address != "" {
		t.HostName = o.Address
	}
	if o.Port != 0 {
		t.Port = o.Port
	}
	if o.User != "" {
		t.User = o.User
	}
	if o.Identity != "" {
		files := []string{o.Identity}
		for _, f := range t.IdentityFiles {
			if f != o.Identity {
				files = append(files, f)
			}
		}
		t.IdentityFiles = files
	}
	switch o.Jump {
	case "":
	case "none":
		t.ProxyJump = nil
	default:
		t.ProxyJump = splitList(o.Jump, ",")
	}
	return t
}

// Inventory is a Resolver that resolves through another Resolver (normally
// OpenSSHResolver) and applies per-host Overrides on top.
type Inventory struct {
	Base  Resolver
	Hosts map[string]Overrides
}

var _ Resolver = (*Inventory)(nil)

// Resolve implements Resolver.
func (inv *Inventory) Resolve(ctx context.Context, host string) (Target, error) {
	t, err := inv.Base.Resolve(ctx, host)
	if err != nil {
		return Target{}, err
	}
	return inv.Hosts[host].Apply(t), nil
}

// JumpSpec is one ProxyJump hop, "[user@]host[:port]".
type JumpSpec struct {
	User string
	Host string
	Port int
}

// ParseJump parses one ProxyJump hop. ssh:// URIs are accepted as OpenSSH
// does.
func ParseJump(s string) (JumpSpec, error) {
	var j JumpSpec
	rest := strings.TrimPrefix(s, "ssh://")
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		j.User, rest = rest[:at], rest[at+1:]
		if j.User == "" {
			return JumpSpec{}, fmt.Errorf("jump host %q: empty user", s)
		}
	}
	host, port := rest, ""
	if strings.HasPrefix(rest, "[") {
		end := strings.Index(rest, "]")
		if end < 0 {
			return JumpSpec{}, fmt.Errorf("jump host %q: unclosed [", s)
		}
		host, port = rest[1:end], strings.TrimPrefix(rest[end+1:], ":")
	} else if i := strings.LastIndex(rest, ":"); i >= 0 && strings.Count(rest, ":") == 1 {
		host, port = rest[:i], rest[i+1:]
	}
	if host == "" || strings.HasPrefix(host, "-") || strings.ContainsAny(host, " \t/") {
		return JumpSpec{}, fmt.Errorf("jump host %q: not a host name", s)
	}
	j.Host = host
	if port != "" {
		p, err := strconv.Atoi(port)
		if err != nil || p < 1 || p > 65535 {
			return JumpSpec{}, fmt.Errorf("jump host %q: port %q is not a TCP port", s, port)
		}
		j.Port = p
	}
	return j, nil
}

// resolveJump resolves a hop through r (so the hop's own Host block in the
// SSH config applies) and then applies the spec's user and port, which
// OpenSSH also treats as command-line values for the hop.
func resolveJump(ctx context.Context, r Resolver, spec string) (Target, error) {
	j, err := ParseJump(spec)
	if err != nil {
		return Target{}, err
	}
	t, err := r.Resolve(ctx, j.Host)
	if err != nil {
		return Target{}, fmt.Errorf("jump host %s: %w", spec, err)
	}
	if j.User != "" {
		t.User = j.User
	}
	if j.Port != 0 {
		t.Port = j.Port
	}
	// A hop's own ProxyJump is not followed: the chain is the one listed.
	t.ProxyJump = nil
	return t, nil
}
