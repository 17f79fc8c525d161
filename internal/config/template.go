package config

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sysroll/sysroll/internal/strategy"
)

// Placeholders usable in command, working_directory, health probes, hooks,
// environment values, environment_files and unit:/service: values.
const (
	// PlaceholderRelease is the directory of the release an instance runs.
	PlaceholderRelease = "release"
	// PlaceholderInstance is the instance name.
	PlaceholderInstance = "instance"
	// PlaceholderPort is the instance name when instances are ports.
	PlaceholderPort = "port"
)

// MaxInstances bounds the instances of one service.
const MaxInstances = strategy.MaxInstances

// InstanceNames lists the instance names in order; none when Count is out of
// range (1..MaxInstances), which Validate reports.
func (s *Service) InstanceNames() []string {
	in := s.Instances
	if in.Count == 0 {
		return append([]string(nil), in.List...)
	}
	if in.Count < 0 || in.Count > MaxInstances {
		return nil
	}
	names := make([]string, 0, in.Count)
	for i := range in.Count {
		if in.FirstPort != 0 {
			names = append(names, strconv.Itoa(in.FirstPort+i))
		} else {
			names = append(names, strconv.Itoa(i+1))
		}
	}
	return names
}

// PortInstances reports whether the instance names are ports: the list form
// with numeric names, or {count, first_port}.
func (s *Service) PortInstances() bool {
	if s.Instances.Count != 0 {
		return s.Instances.FirstPort != 0
	}
	if len(s.Instances.List) == 0 {
		return false
	}
	for _, name := range s.Instances.List {
		if _, ok := parsePort(name); !ok {
			return false
		}
	}
	return true
}

// Port is the port of an instance, when instances are ports.
func (s *Service) Port(instance string) (int, bool) {
	if !s.PortInstances() {
		return 0, false
	}
	for _, name := range s.InstanceNames() {
		if name == instance {
			return parsePort(name)
		}
	}
	return 0, false
}

// parsePort accepts a canonical decimal port: 1-65535, no sign, no leading zero.
func parsePort(s string) (int, bool) {
	if s == "" || s[0] == '0' || len(s) > 5 {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != s {
		return 0, false
	}
	return n, true
}

// Expand replaces {release}, {instance} and {port} in template. {port} becomes
// the instance's port, or stays empty when instances are not ports (Validate
// rejects {port} then). Other text, including other braces, is kept.
func (s *Service) Expand(template, release, instance string) string {
	return MapTemplate(template, func(lit string) string { return lit }, func(name string) string {
		switch name {
		case PlaceholderRelease:
			return release
		case PlaceholderInstance:
			return instance
		}
		if p, ok := s.Port(instance); ok {
			return strconv.Itoa(p)
		}
		return ""
	})
}

// MapTemplate rewrites template piece by piece: literal text goes through lit,
// each known placeholder name through ph. The unit renderer uses it to escape
// literal text for systemd while turning {instance} into %i.
func MapTemplate(template string, lit func(string) string, ph func(name string) string) string {
	var b strings.Builder
	rest := template
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			b.WriteString(lit(rest))
			return b.String()
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			b.WriteString(lit(rest))
			return b.String()
		}
		name := rest[i+1 : i+j]
		if !isPlaceholder(name) {
			b.WriteString(lit(rest[:i+1]))
			rest = rest[i+1:]
			continue
		}
		b.WriteString(lit(rest[:i]))
		b.WriteString(ph(name))
		rest = rest[i+j+1:]
	}
}

func isPlaceholder(name string) bool {
	return name == PlaceholderRelease || name == PlaceholderInstance || name == PlaceholderPort
}

// placeholders lists the {word} tokens of s (word = [a-z_]+), known or not, so
// Validate can catch typos such as {relase}.
func placeholders(s string) []string {
	var out []string
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			return out
		}
		s = s[i+1:]
		j := strings.IndexByte(s, '}')
		if j < 0 {
			return out
		}
		word := s[:j]
		if word != "" && strings.Trim(word, "abcdefghijklmnopqrstuvwxyz_") == "" {
			out = append(out, word)
			s = s[j+1:]
		}
	}
}

// SplitCommand splits a command line into argv like a POSIX shell would, but
// without any expansion: words are separated by blanks; 'single quotes' keep
// everything literally; "double quotes" keep everything but \" and \\; outside
// quotes a backslash keeps the next character. Newlines and other control
// characters are rejected: a command is one line.
func SplitCommand(s string) ([]string, error) {
	var (
		args    []string
		cur     strings.Builder
		inWord  bool
		quote   rune // 0, '\'' or '"'
		escaped bool
	)
	for i, r := range s {
		if r < 0x20 && r != '\t' || r == 0x7f {
			return nil, fmt.Errorf("control character %q at byte %d: a command is one line", r, i)
		}
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case quote == '"':
			switch r {
			case '"':
				quote = 0
			case '\\':
				if i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
					escaped = true
				} else {
					cur.WriteRune(r)
				}
			default:
				cur.WriteRune(r)
			}
		case r == ' ' || r == '\t':
			if inWord {
				args = append(args, cur.String())
				cur.Reset()
				inWord = false
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == '\\':
			escaped, inWord = true, true
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote", quote)
	}
	if escaped {
		return nil, fmt.Errorf("command ends with a lone backslash")
	}
	if inWord {
		args = append(args, cur.String())
	}
	return args, nil
}
