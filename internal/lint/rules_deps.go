package lint

import (
	"fmt"
	"regexp"
	"strings"
)

// These rules look across files: a dependency is between two units.

// checkPartOfDirection reports a "group" unit that lists its members in
// PartOf=. PartOf=X on U means "stop/restart U when X is stopped/restarted":
// the member must carry it, naming the group.
func (s *unitSet) checkPartOfDirection(u *Unit) {
	uFam := family(u.Name)
	for _, sec := range []string{"Unit", "Service"} {
		for _, a := range u.Get(sec, "PartOf") {
			members := strings.Fields(a.Value)
			if !s.looksLikeGroup(u, uFam, members) {
				continue
			}
			msg := fmt.Sprintf("PartOf= points the wrong way: PartOf=X on a unit means \"stop or restart this unit whenever X is stopped or restarted\". Here %s would follow its members: `systemctl stop %s` or `restart %s` touches none of %s, while stopping any one of them would stop the group.",
				u.Name, u.Name, u.Name, joinWords(members))
			s.add(u, a.Line, RulePartOfDirection, Error, msg,
				s.groupFix(u, "PartOf= goes on each member, naming the group, and a group is a target"))
		}
	}
}

// looksLikeGroup: several instances of one service, or a .service that runs
// nothing itself and lists services that do.
func (s *unitSet) looksLikeGroup(u *Unit, uFam string, members []string) bool {
	if len(members) >= 2 {
		fam := family(members[0])
		same := fam != "" && fam != uFam
		for _, m := range members[1:] {
			same = same && family(m) == fam
		}
		if same {
			return true
		}
	}
	if n, _ := parseUnitName(u.Name); n.typ != ".service" || len(u.List("Service", "ExecStart")) > 0 {
		return false
	}
	for _, m := range members {
		if mu := s.lookup(m); mu != nil && mu != u && len(mu.List("Service", "ExecStart")) > 0 {
			return true
		}
	}
	return false
}

var digitRun = regexp.MustCompile(`[0-9]+`)

// sameService reports whether unit u and the unit named dep are instances
// of one service, and why.
func (s *unitSet) sameService(u *Unit, dep string) (string, bool) {
	if f := family(u.Name); f != "" && f == family(dep) {
		if n, _ := parseUnitName(u.Name); n.template {
			return "instances of " + templateName(dep), true
		}
		return "numbered instances of " + strings.TrimSuffix(f, ".service"), true
	}
	a := s.lookup(dep)
	if a == nil || a == u {
		return "", false
	}
	ua, aa := u.List("Service", "ExecStart"), a.List("Service", "ExecStart")
	if len(ua) == 0 || len(aa) == 0 {
		return "", false
	}
	// Same command line up to numbers (ports, instance ids): one service.
	x, y := digitRun.ReplaceAllString(ua[0].Value, "N"), digitRun.ReplaceAllString(aa[0].Value, "N")
	if x == y {
		return "both run " + execBinary(ua[0].Value), true
	}
	return "", false
}

// checkInstanceDeps reports Requires=/BindsTo=/PartOf= from one instance of
// a service to another: systemd propagates stops and restarts along them,
// which is the opposite of a rolling restart. Conflicts= and Upholds= between
// instances are reported too: one makes starting an instance stop the other,
// the other restarts an instance the rollout stopped; so are
// PropagatesStopTo= and StopPropagatedFrom=, which carry a stop across.
func (s *unitSet) checkInstanceDeps(u *Unit) {
	for _, key := range []string{"Requires", "BindsTo", "PartOf", "Conflicts", "Upholds", "PropagatesStopTo", "StopPropagatedFrom"} {
		for _, w := range u.Words("Unit", key) {
			a := w.Value
			if a == u.Name {
				continue
			}
			why, ok := s.sameService(u, a)
			if !ok {
				continue
			}
			s.add(u, w.Line, RuleInstanceDependency, Error, s.instanceDepMessage(u, key, a, why), s.instanceDepFix(u, key, a))
		}
	}
}

func (s *unitSet) instanceDepMessage(u *Unit, key, a, why string) string {
	b, down := u.Name, "both instances are down at once"
	if n, _ := parseUnitName(u.Name); n.template && n.instance == "" {
		b, down = "each instance of "+u.Name, "every instance is down at once"
	}
	switch key {
	case "Conflicts":
		return fmt.Sprintf("%s has Conflicts=%s, but they are %s: starting either one stops the other, so they never run at once, and every restart in a rollout takes the other down.", b, a, why)
	case "PropagatesStopTo":
		return fmt.Sprintf("%s has PropagatesStopTo=%s, but they are %s: every stop of %s stops %s too, so a rollout stopping one instance takes the other down with it.", b, a, why, b, a)
	case "StopPropagatedFrom":
		return fmt.Sprintf("%s has StopPropagatedFrom=%s, but they are %s: every stop of %s stops %s too, so a rollout stopping one instance takes the other down with it.", b, a, why, a, b)
	case "Upholds":
		return fmt.Sprintf("%s has Upholds=%s, but they are %s: systemd starts %s again whenever it is not running while %s is active, so a rollout cannot stop it, and it restarts outside the health gate.", b, a, why, a, b)
	}
	ordered := false
	for _, w := range u.Words("Unit", "After") {
		ordered = ordered || w.Value == a
	}
	seq := fmt.Sprintf("stop %s, stop %s, start %s, start %s", b, a, a, b)
	if !ordered {
		seq = "both stop, then both start at once, unordered"
	}
	var msg strings.Builder
	fmt.Fprintf(&msg, "%s has %s=%s, but they are %s. `systemctl restart %s` restarts %s in the same transaction (%s): %s.",
		b, key, a, why, a, b, seq, down)
	restart := "Every automatic restart of " + a
	if au := s.lookup(a); au != nil {
		if svc := newService(au); svc.restarts() {
			restart += fmt.Sprintf(" (Restart=%s)", svc.restart.value)
		}
	}
	fmt.Fprintf(&msg, " %s bounces %s too", restart, b)
	switch key {
	case "PartOf":
		msg.WriteString(".")
	case "BindsTo":
		fmt.Fprintf(&msg, "; %s is stopped whenever %s stops or crashes, and if %s hits its start limit, %s stays down.", b, a, a, b)
	default:
		fmt.Fprintf(&msg, ", and if %s hits its start limit, %s stays down.", a, b)
	}
	return msg.String()
}

func (s *unitSet) instanceDepFix(u *Unit, key, a string) string {
	g := "NAME.target"
	if f := family(u.Name); f != "" {
		g = groupTarget(f)
	}
	return fmt.Sprintf("Remove %s=%s (and After=%s): instances must not depend on each other. Group them with %s (Wants= on every instance, each instance PartOf=%s) and roll them one at a time with `sysroll restart`, which waits for each to be healthy before the next.",
		key, a, a, g, g)
}

// checkNetworkTarget reports units that pull in network.target.
func (s *unitSet) checkNetworkTarget(u *Unit) {
	after := false
	for _, w := range u.Words("Unit", "After") {
		after = after || w.Value == "network.target"
	}
	keep := "Add After=network.target"
	if after {
		keep = "Keep After=network.target"
	}
	for _, key := range []string{"Requires", "Requisite", "BindsTo", "Wants"} {
		for _, w := range u.Words("Unit", key) {
			if w.Value != "network.target" {
				continue
			}
			msg := fmt.Sprintf("%s=network.target pulls in network.target, a passive target only the network manager should pull in (systemd.special(7), systemd.io/NETWORK_ONLINE). It does not make this unit wait for the network", key)
			if key == "Wants" {
				msg += "."
			} else {
				msg += fmt.Sprintf(", and %s= also stops this unit whenever network.target is stopped.", key)
			}
			s.add(u, w.Line, RuleNetworkTarget, Warning, msg,
				fmt.Sprintf("Delete %s=network.target. %s alone: it orders the start after the network is configured at boot and the stop before it goes down at shutdown. If the service needs the network up to start, use Wants=network-online.target plus After=network-online.target.", key, keep))
		}
	}
}

// checkActiveNotReady reports After= on a Type=simple service: After= waits
// for "active", and a simple service is active as soon as it is forked.
func (s *unitSet) checkActiveNotReady(u *Unit) {
	for _, w := range u.Words("Unit", "After") {
		// A template ordered after one of its own instances still orders
		// the other instances after it, so only a literal self-reference
		// is skipped.
		a := s.lookup(w.Value)
		if a == nil || w.Value == u.Name {
			continue
		}
		if n, _ := parseUnitName(a.Name); n.typ != ".service" {
			continue
		}
		svc := newService(a)
		if svc.effectiveType() != "simple" {
			continue
		}
		how := "Type=simple"
		if !svc.typ.set {
			how = "Type=simple (the default: ExecStart= and no Type=)"
		}
		msg := fmt.Sprintf("%s is ordered After=%s, but After= only waits until %s is \"active\", and %s is %s: systemd reports it active the moment its process is forked, before it has bound its port or could pass a health check. Active is not ready, and never healthy.",
			u.Name, w.Value, w.Value, a.Name, how)
		s.add(u, w.Line, RuleActiveNotReady, Warning, msg,
			fmt.Sprintf("In %s use Type=notify and send READY=1 once it serves (sysroll's graceful package does this), or Type=exec plus sysroll health probes; let `sysroll restart` gate each instance on health instead of ordering instances.", a.Name))
	}
}

func joinWords(ws []string) string { return strings.Join(ws, " ") }
