package config

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// durationLimit is the range of one duration setting, and whether it reaches
// a unit file (where systemd sees it at its own resolution).
type durationLimit struct {
	min, max time.Duration
	zeroOK   bool // 0 has a meaning of its own (restart at once, no hold)
	rendered bool // written into a unit file as a systemd time span
}

// systemdResolution is the resolution of systemd time spans: the renderer
// (unitfile) writes whole seconds, milliseconds or microseconds, so a value
// below 1us would become 0, which systemd reads as "no timeout".
const systemdResolution = time.Microsecond

// Bounds of a timed pause of rollout.steps (validateSteps): shorter than a
// second watches nothing (a bake needs several health checks); longer than
// a day is a forgotten rollout holding the lock, which an approval gate (a
// later version) will express better. schema.json states them.
const (
	MinPause = time.Second
	MaxPause = 24 * time.Hour
)

// durationLimits is every duration setting's range: one place, used by
// Validate and stated in schema.json. A wait sysroll does itself is bounded
// so that a typo (9999h) cannot make a command wait for a year, and so that
// products such as healthy_threshold*interval cannot overflow.
var durationLimits = map[string]durationLimit{
	"health.interval":               {min: 10 * time.Millisecond, max: time.Hour},
	"health.timeout":                {min: time.Millisecond, max: time.Hour},
	"health.healthy_for":            {zeroOK: true, max: 24 * time.Hour},
	"health.deadline":               {min: time.Second, max: 24 * time.Hour, rendered: true},
	"rollout.progress_deadline":     {min: time.Second, max: 7 * 24 * time.Hour},
	"rollout.drain_timeout":         {min: time.Millisecond, max: 24 * time.Hour},
	"rollout.pause_expiry":          {min: time.Second, max: 30 * 24 * time.Hour},
	"rollout.haproxy_agent.inter":   {min: 10 * time.Millisecond, max: time.Hour},
	"rollout.haproxy_agent.up_wait": {min: time.Millisecond, max: time.Hour},
	"stop_timeout":                  {min: time.Millisecond, max: 24 * time.Hour, rendered: true},
	"restart_sec":                   {zeroOK: true, min: time.Millisecond, max: time.Hour, rendered: true},
	// The analysis' (analysis.go): 0 takes package analysis' default.
	"analysis.initial_delay":      {zeroOK: true, min: time.Second, max: time.Hour},
	"analysis.interval":           {zeroOK: true, min: time.Second, max: time.Hour},
	"analysis.window":             {zeroOK: true, min: time.Second, max: 24 * time.Hour},
	"analysis.prometheus.timeout": {zeroOK: true, min: 10 * time.Millisecond, max: 5 * time.Minute},
}

// checkDuration reports a duration outside its setting's range, or one that
// systemd would see as a different value.
func checkDuration(e *errs, name string, d time.Duration) {
	l, ok := durationLimits[name]
	if !ok {
		panic("config: no durationLimits entry for " + name) // a programming error, caught by the tests
	}
	path := dotted(name)
	switch {
	case d == 0 && l.zeroOK:
	case d < 0:
		e.add(path, "%v must not be negative", d)
	case d == 0:
		e.add(path, "0s is not allowed: use at least %s", human(l.min))
	case l.rendered && d%systemdResolution != 0:
		e.add(path, "%s is not a whole number of microseconds, systemd's resolution: it would become %s in the unit file", human(d), human(d.Truncate(systemdResolution)))
	case d < l.min:
		e.add(path, "%s is too short: use at least %s", human(d), human(l.min))
	case d > l.max:
		e.add(path, "%s is too long: at most %s", human(d), human(l.max))
	}
}

// human renders a duration the way a service file would say it: "24h",
// "1m30s", "10ms", rather than time.Duration's "24h0m0s".
func human(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// intLimits is the range of every integer setting, used by the decoder (for
// a number too large for an int) and by Validate.
var intLimits = map[string][2]int{
	"instances.count":             {1, MaxInstances},
	"instances.first_port":        {1, 65535},
	"releases_keep":               {2, 1000},
	"health.healthy_threshold":    {1, 100},
	"health.unhealthy_threshold":  {1, 100},
	"health.http.status":          {100, 599},
	"rollout.failure_budget":      {0, MaxInstances - 1},
	"analysis.count":              {0, 1000},
	"analysis.failure_limit":      {0, 999},
	"analysis.consecutive_errors": {0, 1000},
}

// intRule says an integer setting's range, for messages.
func intRule(name string) string {
	if r, ok := intLimits[name]; ok {
		return fmt.Sprintf("must be between %d and %d", r[0], r[1])
	}
	return fmt.Sprintf("must be between %d and %d", math.MinInt32, math.MaxInt32)
}

// checkInt reports an integer setting outside its range.
func checkInt(e *errs, name string, v int) {
	r := intLimits[name]
	if v < r[0] || v > r[1] {
		e.add(dotted(name), "%d is out of range: %s %s", v, name, intRule(name))
	}
}

// dotted turns "health.interval" into a path for errs.add.
func dotted(name string) []any {
	var path []any
	start := 0
	for i := 0; i <= len(name); i++ {
		if i == len(name) || name[i] == '.' {
			path = append(path, name[start:i])
			start = i + 1
		}
	}
	return path
}

// durationSyntax is what time.ParseDuration accepts; a value that matches it
// but does not parse is out of range, not malformed.
var durationSyntax = regexp.MustCompile(`^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$`)

// maxDuration is the longest time.Duration, for messages.
const maxDuration = time.Duration(math.MaxInt64)

// short quotes s for a message, cut to 40 characters: a 300-character value
// quoted back whole would push the reason out of the message.
func short(s string) string {
	const n = 40
	if utf8.RuneCountInString(s) <= n {
		return strconv.Quote(s)
	}
	r := []rune(s)
	return strconv.Quote(string(r[:n])) + "…"
}

// lengthNote is ": it is N characters long, ..." when s is longer than max.
func lengthNote(s string, max int) string {
	if why := lengthProblem(s, max); why != "" {
		return "; " + why
	}
	return ""
}

// lengthProblem says how long s is when it is longer than max characters.
func lengthProblem(s string, max int) string {
	if n := utf8.RuneCountInString(s); n > max {
		return fmt.Sprintf("it is %d characters long, more than the %d allowed", n, max)
	}
	return ""
}
