package graceful

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Notifier sends a state change to the service manager.
type Notifier interface {
	// Notify sends one message: newline-separated VAR=VALUE assignments
	// (sd_notify(3)), e.g. "READY=1\nSTATUS=serving". Assignments sent in
	// one message are applied together.
	Notify(state string) error
}

// The notify assignments graceful sends (sd_notify(3)).
const (
	// MsgReady: startup (or a reload) finished. With Type=notify, systemd
	// reports the start job done only now.
	MsgReady = "READY=1"
	// MsgStopping: the service is shutting down.
	MsgStopping = "STOPPING=1"
	// MsgReloading: the service is reloading; it must be followed by
	// MsgReady when done, and sent with MsgMonotonicUsec.
	MsgReloading = "RELOADING=1"
	// MsgWatchdog: keep-alive ping for WatchdogSec=.
	MsgWatchdog = "WATCHDOG=1"
)

// MsgStatus returns a STATUS= assignment, shown by systemctl status. Newlines
// would end the assignment, so they become spaces.
func MsgStatus(status string) string {
	return "STATUS=" + strings.ReplaceAll(status, "\n", " ")
}

// MsgMonotonicUsec returns MONOTONIC_USEC= with the current CLOCK_MONOTONIC
// time, which systemd (Type=notify-reload) needs next to RELOADING=1 to tell
// this reload from an earlier one.
func MsgMonotonicUsec() string {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return "" // cannot happen on Linux; an empty line is ignored by systemd
	}
	return "MONOTONIC_USEC=" + strconv.FormatInt(ts.Nano()/1000, 10)
}

// joinMsgs builds one message from assignments, dropping empty ones.
func joinMsgs(msgs ...string) string {
	kept := msgs[:0:0]
	for _, m := range msgs {
		if m != "" {
			kept = append(kept, m)
		}
	}
	return strings.Join(kept, "\n")
}

// SocketNotifier writes each message as one datagram to a unix datagram
// socket, the protocol behind NOTIFY_SOCKET. It holds no connection, so the
// zero-cost value can be copied and used concurrently.
type SocketNotifier struct {
	// Addr is a filesystem path ("/run/systemd/notify") or an abstract
	// socket name starting with '@'.
	Addr string
}

// Notify sends state to Addr.
func (n SocketNotifier) Notify(state string) error {
	if n.Addr == "" || (n.Addr[0] != '/' && n.Addr[0] != '@') {
		// vsock: addresses (systemd 254+) are not supported; a relative path
		// would depend on the working directory and is refused by libsystemd.
		return fmt.Errorf("notify %q: unsupported %s address", n.Addr, envNotifySocket)
	}
	// Go maps a leading '@' to the abstract namespace's NUL byte on Linux.
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: n.Addr, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("notify %s: %w", n.Addr, err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return fmt.Errorf("notify %s: %w", n.Addr, err)
	}
	return nil
}

// NopNotifier discards messages: the process was not started by systemd
// with a notify socket.
type NopNotifier struct{}

// Notify does nothing.
func (NopNotifier) Notify(string) error { return nil }

// NotifierFunc adapts a function to Notifier, e.g. to record messages in a
// test or to log them.
type NotifierFunc func(state string) error

// Notify calls f(state).
func (f NotifierFunc) Notify(state string) error { return f(state) }
