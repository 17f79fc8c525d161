package config

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// hostUnitWhy is why a dependency on one of hostUnits weakens: it is
// FailureAction=/SuccessAction= by another name.
const hostUnitWhy = "starting an instance starts a unit that reboots, powers off, suspends or rescues the host"

// hostUnits are systemd's special units (systemd.special(7)) whose start
// acts on the whole host rather than on one service: FailureAction=reboot is
// refused without hardening.allow_raw, so OnFailure=reboot.target must be
// too.
var hostUnits = []string{
	"ctrl-alt-del.target", "emergency.service", "emergency.target", "exit.target",
	"final.target", "halt.target", "hibernate.target", "hybrid-sleep.target",
	"kexec.target", "poweroff.target", "reboot.target", "rescue.service",
	"rescue.target", "shutdown.target", "sleep.target", "soft-reboot.target",
	"suspend-then-hibernate.target", "suspend.target", "umount.target",
	"systemd-exit.service", "systemd-halt.service", "systemd-hibernate.service",
	"systemd-hybrid-sleep.service", "systemd-kexec.service", "systemd-poweroff.service",
	"systemd-reboot.service", "systemd-soft-reboot.service", "systemd-suspend.service",
	"systemd-suspend-then-hibernate.service",
}

// namesHostUnit reports whether a dependency value (unit names separated by
// blanks, as systemd reads them: no quotes, no escapes) names a host unit,
// or may once systemd has expanded its specifiers: "%i.target" is
// reboot.target for an instance named reboot, so a specifier stands for any
// text here.
func namesHostUnit(v string) bool {
	for _, u := range strings.Fields(v) {
		if !strings.Contains(u, "%") {
			if slices.Contains(hostUnits, u) {
				return true
			}
			continue
		}
		re := specifierPattern(u)
		for _, h := range hostUnits {
			if re.MatchString(h) {
				return true
			}
		}
	}
	return false
}

// specifierPattern matches what a unit name with specifiers may expand to:
// each %X is any text, %% a percent sign.
func specifierPattern(u string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(u); i++ {
		switch {
		case u[i] == '%' && i+1 < len(u) && u[i+1] == '%':
			b.WriteString("%")
			i++
		case u[i] == '%' && i+1 < len(u):
			b.WriteString(".*")
			i++
		default:
			b.WriteString(regexp.QuoteMeta(u[i : i+1]))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// isIsolate: the job mode that stops every unit the started one does not need.
func isIsolate(v string) bool { return v == "isolate" }

// raisesNice reports a LimitNICE= value ("SOFT[:HARD]") that lets the
// process lower its nice value below 0 itself. systemd reads a signed number
// (-5, +3) as a nice value and a plain one as the raw rlimit, whose nice
// ceiling is 20-N (setrlimit(2)); "infinity" is no ceiling. The harmless
// forms are listed: a nice value of 0 or more, a raw limit of at most 20.
func raisesNice(v string) bool {
	for _, part := range strings.Split(v, ":") {
		n, err := strconv.Atoi(part)
		switch {
		case err != nil:
			return true
		case strings.HasPrefix(part, "-"):
			if n != 0 {
				return true
			}
		case strings.HasPrefix(part, "+"):
		default:
			if n > 20 {
				return true
			}
		}
	}
	return false
}
