package lint

import (
	"fmt"
	"time"
)

// checkService runs the rules that need a .service's effective settings.
func (s *unitSet) checkService(u *Unit) {
	n, _ := parseUnitName(u.Name)
	if n.typ != ".service" {
		return
	}
	svc := newService(u)
	s.checkRefused(u, svc)
	s.checkRestartSec(u, svc)
}

// checkRefused mirrors systemd 252's service_verify(): the first failing
// condition makes systemd refuse the unit ("bad unit file setting").
func (s *unitSet) checkRefused(u *Unit, svc service) {
	typ := svc.effectiveType()
	noStart := len(svc.execStart) == 0
	serviceLine := u.SectionLine("Service")
	refused := func(what string) string {
		return fmt.Sprintf("systemd refuses to load %s: %q Every systemctl start/stop/restart of it fails with \"Unit %s has a bad unit file setting\", and units that want it cannot pull it in.",
			u.Name, what, u.Name)
	}
	switch {
	case noStart && len(svc.execStop) == 0 && !svc.successAction:
		s.add(u, serviceLine, RuleNoExecStart, Error,
			refused("Service has no ExecStart=, ExecStop=, or SuccessAction=. Refusing."),
			s.groupFix(u, "A .service must run something: add ExecStart=. A unit that only groups other units must be a target"))
	case noStart && svc.typ.set && typ != "oneshot":
		s.add(u, svc.typ.line, RuleNoExecStart, Error,
			refused("Service has no ExecStart= setting, which is only allowed for Type=oneshot services. Refusing."),
			"Add ExecStart= (or use Type=oneshot for a unit that only runs ExecStop=).")
	case noStart && !svc.remainAfterExit && !svc.successAction:
		s.add(u, serviceLine, RuleNoExecStart, Error,
			refused("Service has no ExecStart= and no SuccessAction= settings and does not have RemainAfterExit=yes set. Refusing."),
			"Add ExecStart=, or RemainAfterExit=yes for a oneshot that only acts on stop.")
	case typ != "oneshot" && len(svc.execStart) > 1:
		s.add(u, svc.execStart[1].Line, RuleServiceRefused, Error,
			refused("Service has more than one ExecStart= setting, which is only allowed for Type=oneshot services. Refusing."),
			"Keep one ExecStart= (an empty \"ExecStart=\" line resets the list, e.g. in a drop-in), and move preparation steps to ExecStartPre=.")
	case typ == "oneshot" && (svc.restart.value == "always" || svc.restart.value == "on-success"):
		s.add(u, svc.restart.line, RuleServiceRefused, Error,
			refused("Service has Restart= set to either always or on-success, which isn't allowed for Type=oneshot services. Refusing."),
			"Use Restart=on-failure for a oneshot, or make it a long-running service.")
	case typ == "dbus" && !svc.busName:
		s.add(u, svc.typ.line, RuleServiceRefused, Error,
			refused("Service is of type D-Bus but no D-Bus service name has been specified. Refusing."),
			"Set BusName= to the name the service acquires, or use Type=notify.")
	}
}

// groupFix completes a fix for a unit that looks like a group of instances,
// naming the target it should be.
func (s *unitSet) groupFix(u *Unit, lead string) string {
	target := "NAME.target"
	var members []string
	for _, w := range u.Words("Unit", "PartOf") {
		members = append(members, w.Value)
	}
	for _, w := range u.Words("Service", "PartOf") {
		members = append(members, w.Value)
	}
	if len(members) > 0 {
		if f := family(members[0]); f != "" {
			target = groupTarget(f)
		}
		return fmt.Sprintf("%s: replace %s with %s containing [Unit] Wants=%s, and give each instance PartOf=%s in [Unit] (sysroll renders NAME@.service + NAME.target for you).",
			lead, u.Name, target, joinWords(members), target)
	}
	return lead + ": a .target with Wants= on each member, and PartOf=THE.target in [Unit] of each member."
}

// checkRestartSec reports a Restart= policy whose restart delay makes a crash
// loop exhaust the start limit: systemd then gives up and the unit stays down.
func (s *unitSet) checkRestartSec(u *Unit, svc service) {
	if !svc.restarts() || !svc.hitsStartLimit() {
		return
	}
	burst, iv := svc.limitBurst.value, svc.limitInterval.value
	rs := svc.restartSec.value
	minSafe := formatTimespan(iv / time.Duration(burst))
	loop := fmt.Sprintf("With the start limit (StartLimitBurst=%d within StartLimitIntervalSec=%s), a service that crashes on start is restarted %d times in about %s, then systemd refuses the next start (\"Start request repeated too quickly\") and the unit stays failed until someone runs systemctl reset-failed and starts it.",
		burst, formatTimespan(iv), burst, formatTimespan(rs*time.Duration(burst)))
	if !svc.restartSec.set {
		line, why := svc.restart.line, "RestartSec= is not set"
		if b := svc.restartSec.bad; b != nil {
			line, why = b.Line, fmt.Sprintf("\"RestartSec=%s\" cannot be parsed and is ignored", b.Value)
		}
		s.add(u, line, RuleRestartSecFallback, Warning,
			fmt.Sprintf("%s, so Restart=%s waits systemd's default of 100ms. %s", why, svc.restart.value, loop),
			fmt.Sprintf("Set \"RestartSec=2s\" on a line of its own (at least StartLimitIntervalSec/StartLimitBurst = %s, so a crash loop stays under the start limit and the service keeps retrying).", minSafe))
		return
	}
	if svc.limitInterval.set || svc.limitBurst.set {
		return // the author chose the limits; they know
	}
	s.add(u, svc.restartSec.line, RuleStartLimit, Info,
		fmt.Sprintf("RestartSec=%s is shorter than StartLimitIntervalSec/StartLimitBurst (%s). %s", formatTimespan(rs), minSafe, loop),
		fmt.Sprintf("Use RestartSec=%s or more, or set StartLimitIntervalSec=/StartLimitBurst= in [Unit] deliberately.", minSafe))
}
