package config

import (
	"fmt"
	"net"
	"net/netip"
	"path"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// Small value checkers shared by Validate. Each returns "" when the value is
// fine, or the reason it is not.

var (
	nameRe     = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	instanceRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)
	userRe     = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)
	envKeyRe   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	directRe   = regexp.MustCompile(`^[A-Za-z]{1,64}$`)
	capRe      = regexp.MustCompile(`^CAP_[A-Z_]+$`)
	afRe       = regexp.MustCompile(`^AF_[A-Z0-9]+$`)
	syscallRe  = regexp.MustCompile(`^@?[a-z0-9_-]+$`)
	umaskRe    = regexp.MustCompile(`^0?[0-7]{3}$`)
	lbNameRe   = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)
	integerRe  = regexp.MustCompile(`^[+-]?[0-9]+$`)
)

// whyBadName explains what is wrong with a name that failed its pattern (of
// at most max characters), so the message says "'/' is not allowed" or how
// long it is rather than just "invalid".
func whyBadName(s string, max int) string {
	switch {
	case s == "":
		return "it is empty"
	case lengthProblem(s, max) != "":
		return lengthProblem(s, max)
	case hasControl(s):
		return "it contains a newline or control character"
	case strings.Contains(s, ".."):
		return "'..' would escape a directory"
	case strings.Contains(s, "/"):
		return "'/' would make it a path"
	case strings.Contains(s, "@"):
		return "'@' separates the instance in unit names"
	case strings.Contains(s, "%"):
		return "'%' starts a systemd specifier"
	case strings.ContainsFunc(s, unicode.IsSpace):
		return "it contains a space"
	}
	return "it has a character outside the allowed set"
}

// hasControl reports control characters (newline, NUL, escape, DEL...).
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// unitValueProblem checks a value written into a unit file as is (extra
// settings): one line, no line continuation, only known % specifiers.
func unitValueProblem(k, v string) string {
	if hasControl(v) {
		return "contains a newline or control character"
	}
	if why := textProblem(v); why != "" {
		return why
	}
	if strings.HasSuffix(v, `\`) {
		return "ends with a backslash, which would continue onto the next line of the unit file"
	}
	if slices.Contains(literalPercentKeys, k) {
		if strings.Contains(v, "%%") {
			return fmt.Sprintf("has %%%%, but systemd reads %s= without specifiers: %%%% stays two percent signs and the value is invalid; write a single %% (50%%)", k)
		}
		return ""
	}
	for i := 0; i < len(v); i++ {
		if v[i] != '%' {
			continue
		}
		if i+1 >= len(v) || !strings.ContainsRune(specifiers, rune(v[i+1])) {
			return "has a '%' that is not a systemd specifier: write %% for a literal percent sign"
		}
		i++
	}
	return ""
}

// literalPercentKeys are the keys whose values systemd parses without
// expanding specifiers (config_parse_memory_limit, _cpu_quota, _tasks_max,
// the memory pressure limit): a '%' there is a percent sign (MemoryMax=50%),
// and "%%" stays two of them, which systemd refuses.
var literalPercentKeys = []string{
	"CPUQuota", "DefaultMemoryLow", "DefaultMemoryMin", "ManagedOOMMemoryPressureLimit",
	"MemoryHigh", "MemoryLow", "MemoryMax", "MemoryMin", "MemorySwapMax", "TasksMax",
}

// specifiers are the % specifiers systemd 252 knows, plus %% itself.
const specifiers = "aAbBCdDEfgGhHiIjJlLmMnNopPqsStTuUvVwWyY%"

// pathProblem checks an absolute file path that goes into a unit file.
func pathProblem(p string) string {
	switch {
	case p == "":
		return "is empty"
	case hasControl(p):
		return "contains a newline or control character"
	case strings.ContainsFunc(p, unicode.IsSpace):
		return "contains a space"
	case !strings.HasPrefix(p, "/"):
		return "must be an absolute path"
	case path.Clean(p) != p:
		return fmt.Sprintf("is not clean (no '..', '//' or trailing '/'): did you mean %s?", path.Clean(p))
	}
	return ""
}

// listenProblem checks a ListenStream= address: "8080", ":8080", "IP:port",
// "[IPv6]:port" or an absolute unix socket path.
func listenProblem(addr string) string {
	if strings.HasPrefix(addr, "/") {
		return pathProblem(addr)
	}
	if hasControl(addr) || strings.ContainsFunc(addr, unicode.IsSpace) {
		return "contains a space or control character"
	}
	if _, ok := parsePort(addr); ok {
		return ""
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Sprintf("is not ip:port, :port, a port or a socket path (%v)", err)
	}
	if _, ok := parsePort(port); !ok {
		return fmt.Sprintf("port %q must be 1-65535", port)
	}
	if host != "" {
		if _, err := netip.ParseAddr(host); err != nil {
			return fmt.Sprintf("host %q must be an IP address: systemd does not resolve names", host)
		}
	}
	return ""
}

// hostPortProblem checks a probe's host:port after placeholders are filled in.
func hostPortProblem(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Sprintf("is not host:port (%v)", err)
	}
	if host == "" {
		return "needs a host (127.0.0.1:port)"
	}
	if _, ok := parsePort(port); !ok {
		return fmt.Sprintf("port %q must be 1-65535", port)
	}
	return ""
}

// ipAllowProblem checks one IPAddressAllow= entry.
func ipAllowProblem(v string) string {
	switch v {
	case "any", "localhost", "link-local", "multicast":
		return ""
	}
	if _, err := netip.ParseAddr(v); err == nil {
		return ""
	}
	if _, err := netip.ParsePrefix(v); err == nil {
		return ""
	}
	return "is not an IP address, a prefix (10.0.0.0/8) or one of any, localhost, link-local, multicast"
}

// oneOf says which words are allowed when v is not one of them.
func oneOf(v string, allowed ...string) string {
	for _, a := range allowed {
		if v == a {
			return ""
		}
	}
	return fmt.Sprintf("%q is not one of %s", v, strings.Join(allowed, ", "))
}

// textProblem finds a character no setting may hold, whatever it is for: a
// control character other than tab and newline (a carriage return or an
// escape sequence can rewrite what a terminal shows of a message, a log or
// `sysroll render`), a C1 control, or a bidirectional override (which makes
// text display in another order than it is). Settings that reach one line
// of a unit file refuse tab and newline too, each in its own check.
func textProblem(s string) string {
	for i, r := range s {
		switch {
		case r == '\t' || r == '\n':
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return fmt.Sprintf("contains the control character U+%04X at byte %d: settings are text; remove it (write a newline as a new line of a | block)", r, i)
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return fmt.Sprintf("contains the bidirectional control U+%04X at byte %d, which makes the text display in another order than it is", r, i)
		case r >= 0xfdd0 && r <= 0xfdef, r&0xfffe == 0xfffe:
			// systemd's utf8_is_valid refuses them: the whole line is
			// ignored ("String is not UTF-8 clean").
			return fmt.Sprintf("contains the Unicode noncharacter U+%04X at byte %d, which systemd refuses: it would ignore the whole setting", r, i)
		}
	}
	return ""
}
