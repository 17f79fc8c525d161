package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/sysroll/sysroll/internal/safeio"
	"github.com/sysroll/sysroll/internal/strategy"
)

// Bounds on an inventory. A real fleet has tens to a few thousand hosts; the
// bounds are far above that and keep parsing any input, ranges included,
// within a fixed memory budget.
const (
	// MaxFileSize bounds an inventory file of any format (ansible-inventory
	// --list of a large cloud dumps a few KiB of hostvars per host).
	MaxFileSize = 32 << 20
	// MaxHosts bounds the hosts of one inventory, after ranges are expanded.
	MaxHosts = 10000
	// MaxGroups bounds the groups of an Ansible inventory.
	MaxGroups = 10000
	// MaxNameLength bounds a host name or address (a DNS name's length).
	MaxNameLength = 253
	// MaxGroupLength bounds a group name.
	MaxGroupLength = 128
	// MaxLabels bounds the labels of one host; MaxLabelLength one label's
	// key or value.
	MaxLabels      = 64
	MaxLabelLength = 128
	// MaxInstances bounds a host's instances override (config.MaxInstances).
	MaxInstances = strategy.MaxInstances
	// MaxYAMLFlowSize bounds a '{' document that is not JSON and is tried
	// as YAML (the line bounds of YAML do not apply to it: it may be one
	// line).
	MaxYAMLFlowSize = 1 << 20
	// MaxLineLength bounds one line of an INI or YAML inventory, MaxLines
	// their lines (a line a host: 20 times MaxHosts).
	MaxLineLength = 64 << 10
	MaxLines      = 200000
	// MaxGroupDepth bounds how deeply groups nest through children, and
	// MaxHostGroups the groups one host is in (directly or through
	// children): both keep the merge of variables, per host, small.
	MaxGroupDepth = 64
	MaxHostGroups = 1000
)

// Host is one machine sysroll rolls the service on. Empty fields are unset,
// not defaults: Port 0 and User "" leave the choice to the user's SSH
// configuration (~/.ssh/config or ssh -G), as ssh itself would.
type Host struct {
	// Name is the inventory name (Ansible's inventory_hostname): what
	// --limit, messages and the fleet journal use.
	Name string
	// Address is what to connect to (ansible_host); the Name when unset.
	Address string
	// Port of sshd (ansible_port); 0 when unset.
	Port int
	// User to log in as (ansible_user); "" when unset.
	User string
	// Identity is a private key file (ansible_ssh_private_key_file), as
	// written: a leading ~ is the SSH layer's to expand, as ssh does.
	Identity string
	// Jump is a ProxyJump chain, "[user@]host[:port][,...]" (-J in
	// ansible_ssh_common_args).
	Jump string
	// Become runs sysroll on the host through "sudo -n" (ansible_become);
	// sysroll never types a password, so sudo must be NOPASSWD.
	Become bool
	// Labels are the host's topology (zone, rack, role…), what batching by
	// label uses. Group membership is in Groups, matched as "group=NAME".
	Labels map[string]string
	// Groups the host is in, directly or through children, sorted; never
	// "all".
	Groups []string
	// Instances overrides the service's instances on this host (names, as
	// config lists them: "8081" or "web-1"); nil means the service's own.
	Instances []string
	// CountedInstances says Instances were written {count: N} with no
	// first_port: the names 1..N, which are not ports (as in the service
	// file), though they are digits.
	CountedInstances bool
	// Source is where the host is defined, "file:line".
	Source string
}

// PortInstances reports whether the host's instances are ports (as
// {port} needs), or the service's own (Instances nil).
func (h Host) PortInstances() bool {
	if h.CountedInstances {
		return false
	}
	for _, name := range h.Instances {
		if _, why := checkPort(name); why != "" {
			return false
		}
	}
	return true
}

// Inventory is a parsed, valid inventory.
type Inventory struct {
	// Hosts sorted by Name; names are unique.
	Hosts []Host
	// Groups is every group name, sorted, for --limit and its messages.
	Groups []string
}

// Format is an inventory's syntax.
type Format string

// The formats Parse knows.
const (
	// FormatAuto detects the format from the content.
	FormatAuto Format = ""
	// FormatNative is sysroll's own YAML (see the package doc).
	FormatNative Format = "sysroll"
	// FormatINI is Ansible's static INI inventory.
	FormatINI Format = "ini"
	// FormatYAML is Ansible's static YAML inventory.
	FormatYAML Format = "yaml"
	// FormatJSON is the output of ansible-inventory --list.
	FormatJSON Format = "json"
)

// ReadFile reads and parses the inventory at path: at most MaxFileSize
// bytes of a regular file (a FIFO or device is refused without blocking).
func ReadFile(path string) (*Inventory, error) {
	data, err := safeio.ReadFile(path, MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("read inventory: %w", err)
	}
	return Parse(path, data)
}

// Parse detects the format of data and parses it; file names it in errors.
func Parse(file string, data []byte) (*Inventory, error) {
	return ParseFormat(file, data, FormatAuto)
}

// ParseFormat parses data as the given format (FormatAuto detects it). The
// error lists every problem found (errors.Join of *Error).
func ParseFormat(file string, data []byte, f Format) (*Inventory, error) {
	if len(data) > MaxFileSize {
		return nil, &Error{File: file, Msg: fmt.Sprintf("file is %d bytes, more than the %s an inventory may have", len(data), safeio.Size(MaxFileSize))}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	auto := f == FormatAuto
	if auto {
		f = detect(data)
	}
	data, err := checkText(file, data, f != FormatJSON)
	if err != nil {
		return nil, err
	}
	if auto && f == FormatJSON && !json.Valid(data) && len(data) <= MaxYAMLFlowSize {
		// YAML in flow style ({all: {hosts: {a: }}}) starts with '{' too:
		// if it parses as YAML it is that, else the JSON error says why.
		if inv, yerr := parseYAML(file, data, FormatAuto); yerr == nil {
			return inv, nil
		}
	}
	switch f {
	case FormatINI:
		return parseINI(file, data)
	case FormatJSON:
		return parseJSON(file, data)
	case FormatNative, FormatYAML, FormatAuto: // auto: detect saw YAML
		return parseYAML(file, data, f)
	}
	return nil, &Error{File: file, Msg: fmt.Sprintf("unknown inventory format %q: use sysroll, ini, yaml or json", string(f))}
}

// detect tells the formats apart by their first significant line: JSON
// starts with '{', INI with a [section] or a bare host line, YAML with a
// "key:" (native and Ansible YAML are then told apart by their keys).
func detect(data []byte) Format {
	for line := range bytes.Lines(data) {
		s := strings.TrimSpace(string(line))
		switch {
		case s == "" || s[0] == '#' || s[0] == ';' || s == "---":
			continue
		case s[0] == '{' || jsonArray(s):
			return FormatJSON // a JSON array is refused by parseJSON, with its reason
		case s[0] == '[':
			return FormatINI
		case yamlKeyLine(s):
			return FormatAuto // parseYAML decides native or Ansible
		}
		return FormatINI
	}
	return FormatINI // empty: any format gives no hosts
}

// jsonArray tells a JSON array ("[", "[\"a\"", "[{", "[]") from an INI
// section header ("[web]").
func jsonArray(s string) bool {
	rest := strings.TrimSpace(strings.TrimPrefix(s, "["))
	return s[0] == '[' && (rest == "" || strings.IndexByte("\"{[]", rest[0]) >= 0)
}

// yamlKeyLine reports whether s looks like a YAML mapping key ("all:",
// "hosts: [...]"), not an INI host line ("web1 ansible_host=x" or
// "[::1]:22" or "host:2222").
func yamlKeyLine(s string) bool {
	if strings.HasPrefix(s, "- ") {
		return true
	}
	k, _, ok := strings.Cut(s, ":")
	if !ok || strings.ContainsAny(k, " \t=") {
		return false
	}
	rest := s[len(k)+1:]
	return rest == "" || rest[0] == ' ' || rest[0] == '\t'
}

// checkText refuses what no inventory holds: invalid UTF-8, NUL bytes,
// and (lines true) lines longer than MaxLineLength; JSON may come on one
// line.
func checkText(file string, data []byte, lines bool) ([]byte, error) {
	line, start := 1, 0
	for i := 0; i <= len(data); i++ {
		if i < len(data) && data[i] != '\n' {
			if data[i] == 0 {
				return nil, &Error{File: file, Line: line, Msg: "file contains a NUL byte; an inventory is text"}
			}
			continue
		}
		if lines && i-start > MaxLineLength {
			return nil, &Error{File: file, Line: line, Msg: fmt.Sprintf("line is %d bytes long, more than the %d allowed", i-start, MaxLineLength)}
		}
		if !utf8.Valid(data[start:i]) {
			return nil, &Error{File: file, Line: line, Msg: "invalid UTF-8: an inventory must be UTF-8 text"}
		}
		if line++; lines && line > MaxLines && i < len(data)-1 {
			return nil, &Error{File: file, Line: line, Msg: fmt.Sprintf("more than %d lines", MaxLines)}
		}
		start = i + 1
	}
	return data, nil
}

// finish sorts the hosts and builds the inventory.
func finish(hosts []Host, groups []string) *Inventory {
	for i := range hosts {
		if hosts[i].Address == "" {
			hosts[i].Address = hosts[i].Name
		}
	}
	slices.SortFunc(hosts, func(a, b Host) int { return strings.Compare(a.Name, b.Name) })
	slices.Sort(groups)
	return &Inventory{Hosts: hosts, Groups: slices.Compact(groups)}
}

// SameMachine reports hosts that reach one machine under two names (the
// same address and port): a fleet rollout would roll it twice, at once,
// and count its instances twice toward min_available. sysroll's own
// format refuses them; in an Ansible inventory two names for one machine
// may serve two roles, so the fleet code calls this on its --limit
// selection instead. Hosts with unset ports are compared as written (the
// SSH configuration may still map two names to one machine).
func (inv *Inventory) SameMachine() error {
	seen := make(map[string]string, len(inv.Hosts))
	var list []error
	for _, h := range inv.Hosts {
		if first, dup := seen[machineKey(h)]; dup {
			list = append(list, errors.New(sameMachine(first, h)))
			continue
		}
		seen[machineKey(h)] = h.Name
	}
	return errors.Join(list...)
}

func machineKey(h Host) string { return fmt.Sprintf("%s|%d", strings.ToLower(h.Address), h.Port) }

func sameMachine(first string, h Host) string {
	port := ""
	if h.Port != 0 {
		port = fmt.Sprintf(" port %d", h.Port)
	}
	return fmt.Sprintf("hosts %s and %s are one machine (address %s%s): a rollout would roll it twice; keep one name", first, h.Name, h.Address, port)
}

// Host returns the host named name, if there is one.
func (inv *Inventory) Host(name string) (Host, bool) {
	i, ok := slices.BinarySearchFunc(inv.Hosts, name, func(h Host, n string) int { return strings.Compare(h.Name, n) })
	if !ok {
		return Host{}, false
	}
	return inv.Hosts[i], true
}
