package host

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/portcheck"
	"github.com/sysroll/sysroll/internal/systemd"
	"github.com/sysroll/sysroll/internal/unitfile"
)

// PortInUseError refuses an apply that would start an instance on a TCP
// port something else already listens on: the instance would only
// crash-loop on "address already in use". Nothing was changed. Not bad
// input (exit 1): the service file is fine, the host is not ready for it.
type PortInUseError struct {
	Service string
	// Problems is one line per port: which, on what address, held by whom.
	Problems []string
}

func (e *PortInUseError) Error() string {
	return fmt.Sprintf("apply %s refused, nothing changed:\n  %s\n  stop it first (`systemctl stop UNIT`, and disable it), or, for a hand-written unit of this service, take it over with `sysroll adopt`",
		e.Service, strings.Join(e.Problems, "\n  "))
}

func (h *Host) ports() portcheck.Table {
	if h.Ports != nil {
		return h.Ports
	}
	return portcheck.Proc{}
}

// checkPorts refuses starting units whose instances are ports that
// something else listens on, on any address: with SO_REUSEADDR alone two
// sockets on one port collide whenever either binds the wildcard, and
// which address an app binds is not known here, so any listener counts
// (a listener on another specific address is a false alarm we accept).
// The instance's own unit is not a conflict (its process may still be
// going away), nor is the service's socket unit; the listen: port is
// checked only while NAME.socket is not active (once active, it is ours).
func (h *Host) checkPorts(ctx context.Context, m systemd.Manager, svc *config.Service, units []string) error {
	if len(units) == 0 {
		return nil
	}
	own := map[string]bool{unitfile.SocketUnit(svc.Name): true}
	type want struct {
		port int
		who  string // what would bind it
		unit string
	}
	var wants []want
	for _, unit := range units {
		if port, ok := svc.Port(instanceName(svc.Name, unit)); ok {
			wants = append(wants, want{port, unit, unit})
		}
	}
	if port, ok := listenPort(svc.Listen); ok {
		if u, err := m.Unit(ctx, unitfile.SocketUnit(svc.Name)); err != nil || u.ActiveState != systemd.Active {
			wants = append(wants, want{port, unitfile.SocketUnit(svc.Name) + " (listen:)", ""})
		}
	}
	return portsInUse(svc.Name, h.ports(), own, func(yield func(int, string, string) bool) {
		for _, w := range wants {
			if !yield(w.port, w.who, w.unit) {
				return
			}
		}
	})
}

// portsInUse decides: each port wanted (by who, for unit) against the
// table's listeners; own units never conflict.
func portsInUse(service string, t portcheck.Table, own map[string]bool, wants func(func(port int, who, unit string) bool)) error {
	var problems []string
	var failed error
	wants(func(port int, who, unit string) bool {
		ls, err := t.Listeners(port)
		if err != nil {
			failed = fmt.Errorf("apply %s: check whether port %d is free: %w", service, port, err)
			return false
		}
		var addrs []string
		var owner *portcheck.Listener
		for i, l := range ls {
			if l.Unit != "" && (l.Unit == unit || own[l.Unit]) {
				continue
			}
			addrs = append(addrs, l.Addr.Addr().String())
			if owner == nil || owner.PID == 0 && l.PID != 0 {
				owner = &ls[i]
			}
		}
		if owner != nil {
			problems = append(problems, fmt.Sprintf("port %d is in use by %s (listening on %s): %s cannot bind it",
				port, owner.Owner(), strings.Join(addrs, ", "), who))
		}
		return true
	})
	if failed != nil {
		return failed
	}
	if len(problems) > 0 {
		return &PortInUseError{Service: service, Problems: problems}
	}
	return nil
}

// listenPort is the TCP port of a listen: value (ip:port, :port or port);
// false for a Unix socket path or anything else.
func listenPort(listen string) (int, bool) {
	if listen == "" || strings.HasPrefix(listen, "/") || strings.HasPrefix(listen, "@") {
		return 0, false
	}
	p := listen
	if _, port, err := net.SplitHostPort(listen); err == nil {
		p = port
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return 0, false
	}
	return n, true
}
