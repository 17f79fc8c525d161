package inventory

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

var (
	// hostRe is a DNS name, an IPv4 address or a bracket-less IPv6 one.
	// No leading '-': every value here ends up in an ssh command line.
	hostRe  = regexp.MustCompile(`^[A-Za-z0-9_:][A-Za-z0-9_.:%-]*$`)
	userRe  = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$`)
	groupRe = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)
	labelRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_./-]*$`)
	// instanceRe and the port rule are config's (instances: in the service file).
	instanceRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)
)

// checkHostName says what is wrong with a host name or address, or "".
func checkHostName(s string) string {
	switch {
	case s == "":
		return "is empty"
	case len(s) > MaxNameLength:
		return fmt.Sprintf("is %d bytes long, more than the %d a host name may have", len(s), MaxNameLength)
	case strings.Contains(s, "{{") || strings.Contains(s, "{%"):
		return "is a Jinja template: sysroll does not evaluate Jinja; run ansible-inventory --list and give sysroll its JSON"
	case s[0] == '-':
		return "starts with '-', which ssh would read as an option"
	case !hostRe.MatchString(s):
		return "is not a host name or IP address (letters, digits, '.', '-', '_', ':')"
	case strings.Contains(s, ":") && !isIPv6(s):
		// a ':' is a port or a --limit separator anywhere but in an IPv6 address
		return "has a ':' but is not an IPv6 address (a port goes in port: or ansible_port)"
	}
	return ""
}

func checkGroupName(s string) string {
	switch {
	case s == "":
		return "is empty"
	case len(s) > MaxGroupLength:
		return fmt.Sprintf("is %d bytes long, more than the %d a group name may have", len(s), MaxGroupLength)
	case !groupRe.MatchString(s):
		return "is not a valid group name (letters, digits, '_', '.', '-')"
	}
	return ""
}

func checkUser(s string) string {
	if !userRe.MatchString(s) {
		return "is not a valid user name (letters, digits, '_', '.', '-', at most 32, not starting with '-')"
	}
	return ""
}

// checkPath says what is wrong with a key file path.
func checkPath(s string) string {
	switch {
	case s == "":
		return "is empty"
	case len(s) > 4096:
		return "is longer than 4096 bytes"
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "contains a control character"
	case s[0] == '-':
		return "starts with '-', which ssh would read as an option"
	}
	return ""
}

// checkJump checks a ProxyJump chain: "[user@]host[:port]", comma-separated.
func checkJump(s string) string {
	if s == "" || len(s) > 1024 {
		return "must be [user@]host[:port][,...] and at most 1024 bytes"
	}
	for _, hop := range strings.Split(s, ",") {
		if u, h, ok := strings.Cut(hop, "@"); ok {
			if why := checkUser(u); why != "" {
				return fmt.Sprintf("user %s %s", short(u), why)
			}
			hop = h
		}
		host, port := splitHostPort(hop)
		if port != "" {
			if _, why := checkPort(port); why != "" {
				return fmt.Sprintf("hop %s: %s", short(hop), why)
			}
		}
		if why := checkHostName(host); why != "" {
			return fmt.Sprintf("hop %s %s", short(hop), why)
		}
	}
	return ""
}

// checkLabel says what is wrong with a label key or value.
func checkLabel(k, v string) string {
	switch {
	case len(k) > MaxLabelLength || len(v) > MaxLabelLength:
		return fmt.Sprintf("key and value may have at most %d bytes each", MaxLabelLength)
	case !labelRe.MatchString(k):
		return fmt.Sprintf("key %s is not a label name (letters, digits, '_', '.', '/', '-')", short(k))
	case k == "group":
		return `key "group" is reserved: group membership is matched as group=NAME; put the host in a group instead`
	case strings.ContainsAny(v, ",=") || strings.IndexFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return fmt.Sprintf("value %s may not hold spaces, ',' or '='", short(v))
	case !utf8.ValidString(v):
		return "value is not UTF-8"
	}
	return ""
}

// checkPort parses a port number as written.
func checkPort(s string) (int, string) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != s {
		return 0, fmt.Sprintf("port %s is not a number between 1 and 65535", short(s))
	}
	return n, ""
}

// checkInstances applies config's rules for instances: ports 1-65535 without
// leading zeros, or names; no duplicates; at most MaxInstances; not empty.
func checkInstances(list []string) string {
	if len(list) == 0 {
		return "instances is empty: leave it out to run the service's own instances"
	}
	if len(list) > MaxInstances {
		return fmt.Sprintf("%d instances, more than the %d allowed", len(list), MaxInstances)
	}
	seen := make(map[string]bool, len(list))
	for _, name := range list {
		if name != "" && name[0] >= '0' && name[0] <= '9' && strings.Trim(name, "0123456789") == "" {
			if _, why := checkPort(name); why != "" {
				return fmt.Sprintf("instance %s", why)
			}
		} else if !instanceRe.MatchString(name) {
			return fmt.Sprintf("%s is not a valid instance name: use a port or letters, digits, '-' and '_', at most 64", short(name))
		}
		if seen[name] {
			return fmt.Sprintf("duplicate instance %q", name)
		}
		seen[name] = true
	}
	return ""
}

// expandCount turns {count, first_port} into instance names, as config does.
func expandCount(count, firstPort int) ([]string, string) {
	if count < 1 || count > MaxInstances {
		return nil, fmt.Sprintf("count %d is out of range: between 1 and %d", count, MaxInstances)
	}
	if firstPort < 0 || firstPort > 65535 || firstPort+count-1 > 65535 {
		return nil, fmt.Sprintf("ports %d..%d are out of range 1-65535", firstPort, firstPort+count-1)
	}
	names := make([]string, count)
	for i := range names {
		if firstPort != 0 {
			names[i] = strconv.Itoa(firstPort + i)
		} else {
			names[i] = strconv.Itoa(i + 1)
		}
	}
	return names, ""
}

// checkHost checks every field of a host, reporting each problem at p.
func checkHost(e *errs, p pos, h *Host) {
	if why := checkHostName(h.Name); why != "" {
		e.add(p, "host name %s %s", short(h.Name), why)
	}
	if h.Address != "" {
		if why := checkHostName(h.Address); why != "" {
			e.add(p, "host %s: address %s %s", h.Name, short(h.Address), why)
		}
	}
	if h.User != "" {
		if why := checkUser(h.User); why != "" {
			e.add(p, "host %s: user %s %s", h.Name, short(h.User), why)
		}
	}
	if h.Identity != "" {
		if why := checkPath(h.Identity); why != "" {
			e.add(p, "host %s: identity file %s", h.Name, why)
		}
	}
	if h.Jump != "" {
		if why := checkJump(h.Jump); why != "" {
			e.add(p, "host %s: jump %s", h.Name, why)
		}
	}
	if len(h.Labels) > MaxLabels {
		e.add(p, "host %s has %d labels, more than the %d allowed", h.Name, len(h.Labels), MaxLabels)
	}
	for _, k := range sortedKeys(h.Labels) {
		if why := checkLabel(k, h.Labels[k]); why != "" {
			e.add(p, "host %s: label %s", h.Name, why)
		}
	}
	if h.Instances != nil {
		if why := checkInstances(h.Instances); why != "" {
			e.add(p, "host %s: %s", h.Name, why)
		}
	}
}
