package portcheck

import (
	"fmt"
	"net/netip"
)

// Listener is a TCP socket in the LISTEN state and who holds it.
type Listener struct {
	// Addr is the local address it listens on (0.0.0.0, ::, 127.0.0.1, ...).
	Addr netip.AddrPort
	// Inode identifies the socket.
	Inode uint64
	// PID is a process that holds the socket; 0 when no process this /proc
	// shows does (one in another PID namespace, e.g. another container
	// sharing the network, or /proc/PID/fd not readable).
	PID int
	// Command is that process's name (/proc/PID/comm).
	Command string
	// Unit is the systemd unit the process runs in ("" outside any).
	Unit string
}

// Owner names who holds l, for a message: "pid 1234 (my-binary) of
// my-service-1.service".
func (l Listener) Owner() string {
	if l.PID == 0 {
		return "a process not visible here (another PID namespace, or no permission to read /proc/PID/fd)"
	}
	s := fmt.Sprintf("pid %d (%s)", l.PID, l.Command)
	if l.Unit != "" {
		s += " of " + l.Unit
	}
	return s
}

// Table finds the listeners on a TCP port.
type Table interface {
	// Listeners returns every socket listening on port, on any address,
	// with who holds it; none when the port is free.
	Listeners(port int) ([]Listener, error)
}
