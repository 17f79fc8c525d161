package lint

import (
	"slices"
	"strconv"
	"time"
)

// Service types and restart policies systemd 252 accepts (systemd.service(5)).
var (
	serviceTypes    = []string{"simple", "exec", "forking", "oneshot", "dbus", "notify", "notify-reload", "idle"}
	restartPolicies = []string{"no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always"}
)

// Defaults systemd applies when a unit does not say (systemd-system.conf(5)).
const (
	defaultRestartDelay       = 100 * time.Millisecond
	defaultStartLimitInterval = 10 * time.Second
	defaultStartLimitBurst    = 5
)

// setting is the effective value of a single-valued setting: systemd applies
// assignments in order and ignores the ones it cannot parse.
type setting[T any] struct {
	value T
	line  int  // line of the assignment that won, 0 if none did
	set   bool // some valid assignment exists
	// bad is the last assignment systemd ignored as unparseable, if any.
	bad *Assignment
}

func effective[T any](u *Unit, section, key string, def T, parse func(string) (T, bool)) setting[T] {
	s := setting[T]{value: def}
	for _, a := range u.Get(section, key) {
		v, ok := parse(a.Value)
		if !ok {
			s.bad = &a
			continue
		}
		s.value, s.line, s.set = v, a.Line, true
	}
	return s
}

func oneOf(words []string) func(string) (string, bool) {
	return func(v string) (string, bool) { return v, slices.Contains(words, v) }
}

func parseSpan(v string) (time.Duration, bool) {
	d, err := ParseTimespan(v)
	return d, err == nil
}

func parseUint(v string) (int, bool) {
	n, err := strconv.Atoi(v)
	return n, err == nil && n >= 0
}

func parseBool(v string) (bool, bool) {
	switch v {
	case "1", "yes", "y", "true", "t", "on":
		return true, true
	case "0", "no", "n", "false", "f", "off":
		return false, true
	}
	return false, false
}

// service is what systemd makes of a .service file's settings that the
// rules look at.
type service struct {
	execStart       []Assignment
	execStop        []Assignment
	typ             setting[string]
	restart         setting[string]
	restartSec      setting[time.Duration]
	remainAfterExit bool
	successAction   bool
	busName         bool
	limitInterval   setting[time.Duration]
	limitBurst      setting[int]
}

func newService(u *Unit) service {
	s := service{
		execStart:  u.List("Service", "ExecStart"),
		execStop:   u.List("Service", "ExecStop"),
		typ:        effective(u, "Service", "Type", "", oneOf(serviceTypes)),
		restart:    effective(u, "Service", "Restart", "no", oneOf(restartPolicies)),
		restartSec: effective(u, "Service", "RestartSec", defaultRestartDelay, parseSpan),
	}
	s.remainAfterExit = effective(u, "Service", "RemainAfterExit", false, parseBool).value
	if sa := effective(u, "Unit", "SuccessAction", "none", func(v string) (string, bool) { return v, v != "" }); sa.value != "none" {
		s.successAction = true
	}
	s.busName = len(u.List("Service", "BusName")) > 0
	// [Service] StartLimitInterval=/StartLimitBurst= are the pre-230
	// spellings systemd still reads; [Unit] wins if both are set because
	// that is the order the sections usually come in. Good enough for advice.
	s.limitInterval = effective(u, "Service", "StartLimitInterval", defaultStartLimitInterval, parseSpan)
	if li := effective(u, "Unit", "StartLimitIntervalSec", defaultStartLimitInterval, parseSpan); li.set {
		s.limitInterval = li
	}
	s.limitBurst = effective(u, "Service", "StartLimitBurst", defaultStartLimitBurst, parseUint)
	if lb := effective(u, "Unit", "StartLimitBurst", defaultStartLimitBurst, parseUint); lb.set {
		s.limitBurst = lb
	}
	return s
}

// effectiveType applies systemd's default: simple with ExecStart=, oneshot
// without, dbus when BusName= is set.
func (s service) effectiveType() string {
	switch {
	case s.typ.set:
		return s.typ.value
	case s.busName:
		return "dbus"
	case len(s.execStart) > 0:
		return "simple"
	}
	return "oneshot"
}

// restarts reports whether Restart= makes systemd restart the service itself.
func (s service) restarts() bool { return s.restart.value != "no" }

// hitsStartLimit reports whether a service that fails right after starting
// exhausts the start limit: systemd allows limitBurst starts per
// limitInterval, and a crash loop starts once per RestartSec.
func (s service) hitsStartLimit() bool {
	iv, burst := s.limitInterval.value, s.limitBurst.value
	if iv == 0 || burst == 0 {
		return false // rate limiting off
	}
	return s.restartSec.value < iv/time.Duration(burst) // division: no overflow for infinity
}
