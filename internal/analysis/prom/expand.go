package prom

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"
)

// Labels maps instances to their `instance` label values through the
// instance_label template ({instance} and {port} both stand for the
// instance's name, which is its port for port instances). Two instances
// with the same label could not be told apart, so that is an error.
func Labels(template string, instances []string) ([]string, error) {
	if !strings.Contains(template, "{instance}") && !strings.Contains(template, "{port}") {
		return nil, fmt.Errorf("instance_label %q has neither {instance} nor {port}", template)
	}
	out := make([]string, len(instances))
	seen := map[string]string{}
	for i, name := range instances {
		l := strings.NewReplacer("{instance}", name, "{port}", name).Replace(template)
		if other, dup := seen[l]; dup {
			return nil, fmt.Errorf("instance_label %q maps both %s and %s to %q", template, other, name, l)
		}
		seen[l] = name
		out[i] = l
	}
	return out, nil
}

// Vars are the values of a query's placeholders.
type Vars struct {
	// Labels are the set's `instance` label values ({instances}).
	Labels []string
	// Window is {window}, already clipped (see ClipWindow).
	Window time.Duration
	// Service is {service}.
	Service string
}

// InstancesRegex is the anchored-by-PromQL alternation of the labels, each
// regex-quoted: 127.0.0.1:8081 matches itself and not 127.0.0.1:80810 or
// 127a0a0a1:8081. An empty set matches nothing, not even the empty
// string (which in PromQL would select every series without the label).
func InstancesRegex(labels []string) string {
	if len(labels) == 0 {
		return `[^\s\S]`
	}
	q := make([]string, len(labels))
	for i, l := range labels {
		q[i] = regexp.QuoteMeta(l)
	}
	return strings.Join(q, "|")
}

// ClipWindow is {window} at now: the configured window, clipped to the time
// since the set went back in traffic (so a rate never straddles the
// restart), rounded up to whole seconds, at least 1s.
func ClipWindow(window time.Duration, since, now time.Time) time.Duration {
	if !since.IsZero() {
		if d := now.Sub(since); d < window {
			window = d
		}
	}
	s := math.Ceil(window.Seconds())
	if s < 1 {
		s = 1
	}
	return time.Duration(s) * time.Second
}

// Expand fills a query's placeholders. {instances} is written for where it
// stands: raw inside a PromQL backtick string, otherwise escaped for a
// quoted one (a regex's backslash is "\\" in "..." or '...').
func Expand(query string, v Vars) string {
	re := InstancesRegex(v.Labels)
	quoted := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `'`, `\'`).Replace(re)
	var b strings.Builder
	rest := query
	for {
		i := strings.Index(rest, "{instances}")
		if i < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:i])
		if i > 0 && rest[i-1] == '`' {
			b.WriteString(re)
		} else {
			b.WriteString(quoted)
		}
		rest = rest[i+len("{instances}"):]
	}
	return strings.NewReplacer(
		"{window}", fmt.Sprintf("%ds", int64(v.Window/time.Second)),
		"{service}", v.Service,
	).Replace(b.String())
}
