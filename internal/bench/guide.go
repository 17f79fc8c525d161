package main

import (
	"fmt"
	"strings"
)

// guideUnits are the guide's units for method (b), as written
// (shared/seed/units), for 4 instances, changed only where they would not
// load or not parse:
//   - `RestartSec=2  # Delay before restart if failed`: systemd has no
//     inline comments; the value fails to parse. Written `RestartSec=2`.
//   - the group unit: PartOf= moved from [Service] to [Unit] and, since a
//     .service without ExecStart= is refused, a oneshot `ExecStart=/bin/true`.
//
// Everything else is the guide's: Type=simple (the default), instance k
// Requires= and After= instance k-1, Requires=network.target, no hardening.
// ExecStart= runs guideBinary, which the upgrade re-points at the new
// release ("replace the binary").
func guideUnits(m method) map[string]string {
	units := map[string]string{}
	var members []string
	for i, port := range m.Ports {
		name := fmt.Sprintf("%s-%d.service", m.Service, i+1)
		members = append(members, name)
		var unit strings.Builder
		fmt.Fprintf(&unit, "[Unit]\nDescription=My Go Application Instance %d\n", i+1)
		if i == 0 {
			unit.WriteString("After=network.target\nRequires=network.target\n")
		} else {
			prev := fmt.Sprintf("%s-%d.service", m.Service, i)
			fmt.Fprintf(&unit, "After=%s\nRequires=%s\n", prev, prev)
		}
		fmt.Fprintf(&unit, "\n[Service]\nExecStart=%s --port=%d\nRestart=on-failure\nTimeoutStopSec=10\nRestartSec=2\n", guideBinary, port)
		units[name] = unit.String()
	}
	units[m.Service+"-group.service"] = fmt.Sprintf(`[Unit]
Description=My Go Application Group
PartOf=%s

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/true
`, strings.Join(members, " "))
	return units
}

// guideUnitNames lists the units in start order, the group last.
func guideUnitNames(m method) []string {
	var names []string
	for i := range m.Ports {
		names = append(names, fmt.Sprintf("%s-%d.service", m.Service, i+1))
	}
	return append(names, m.Service+"-group.service")
}
