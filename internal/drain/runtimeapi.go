package drain

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// commandTimeout bounds one runtime API command when ctx has no earlier
// deadline: HAProxy answers in microseconds, so a silent socket means a
// stuck process, not a slow one.
const commandTimeout = 5 * time.Second

// maxResponse bounds what we read from the socket; `show stat` of one
// backend is a few KiB per server.
const maxResponse = 16 << 20

// CommandError is HAProxy's runtime API refusing a command: the response
// text ("No such server.", "Permission denied") is the reason.
type CommandError struct {
	Command  string
	Response string
}

func (e *CommandError) Error() string {
	msg := fmt.Sprintf("haproxy refused %q: %s", e.Command, e.Response)
	if strings.Contains(e.Response, "Permission denied") {
		msg += " (the stats socket needs `level admin` to change server state)"
	}
	return msg
}

// runtimeAPI speaks HAProxy's plain text runtime API: one command per
// connection (non-interactive mode), HAProxy closes after its answer. No
// state is kept between commands, so one value is safe for concurrent use.
type runtimeAPI struct {
	addr string // unix socket path, or host:port
}

// network tells a unix socket path from host:port. HAProxy's own
// "unix@", "ipv4@" and "ipv6@" prefixes are accepted too.
func (r runtimeAPI) network() (network, addr string) {
	a := r.addr
	switch {
	case strings.HasPrefix(a, "unix@"):
		return "unix", strings.TrimPrefix(a, "unix@")
	case strings.HasPrefix(a, "ipv4@"):
		return "tcp4", strings.TrimPrefix(a, "ipv4@")
	case strings.HasPrefix(a, "ipv6@"):
		return "tcp6", strings.TrimPrefix(a, "ipv6@")
	case strings.Contains(a, "/"):
		return "unix", a
	}
	if _, _, err := net.SplitHostPort(a); err == nil {
		return "tcp", a
	}
	return "unix", a
}

// do sends one command and returns HAProxy's answer with the trailing
// empty line removed. It does not judge the answer; callers do, because
// success looks different for each command.
func (r runtimeAPI) do(ctx context.Context, cmd string) (string, error) {
	if strings.ContainsAny(cmd, "\n;") {
		// A newline or ';' would smuggle a second command in.
		return "", fmt.Errorf("haproxy command %q: contains a newline or ';'", cmd)
	}
	network, addr := r.network()
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return "", dialError(r.addr, err)
	}
	defer func() { _ = conn.Close() }()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// Closing on ctx end unblocks a read stuck past a cancel (not only a deadline).
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	if _, err := io.WriteString(conn, cmd+"\n"); err != nil {
		return "", fmt.Errorf("haproxy %s: send %q: %w", r.addr, cmd, ctxErr(ctx, err))
	}
	b, err := io.ReadAll(io.LimitReader(conn, maxResponse))
	if err != nil {
		return "", fmt.Errorf("haproxy %s: read answer to %q: %w", r.addr, cmd, ctxErr(ctx, err))
	}
	return cleanResponse(string(b)), nil
}

// ctxErr prefers ctx's reason over the I/O error it caused, so callers can
// test errors.Is(err, context.DeadlineExceeded).
func ctxErr(ctx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	case errors.Is(err, os.ErrDeadlineExceeded):
		// The conn's deadline is ctx's; it may fire before ctx marks itself done.
		return fmt.Errorf("%w (%v)", context.DeadlineExceeded, err)
	}
	return err
}

// severityPrefix is what `set severity-output number|string` puts before a
// message, e.g. "[3]: No such server." — stripped so matching stays simple.
var severityPrefix = regexp.MustCompile(`^\[[^\]]*\]: `)

func cleanResponse(s string) string {
	s = strings.TrimRight(s, "\n")
	return severityPrefix.ReplaceAllString(s, "")
}

// set runs a command whose only successful answer is silence, like
// `set server BE/SRV state drain`; any text back is HAProxy's error.
func (r runtimeAPI) set(ctx context.Context, cmd string) error {
	resp, err := r.do(ctx, cmd)
	if err != nil {
		return err
	}
	if strings.TrimSpace(resp) != "" {
		return &CommandError{Command: cmd, Response: strings.TrimSpace(resp)}
	}
	return nil
}

// show runs a command whose answer starts with a "# " header line (show
// stat, show backend); anything else is HAProxy's error.
func (r runtimeAPI) show(ctx context.Context, cmd string) (string, error) {
	resp, err := r.do(ctx, cmd)
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(resp, "# ") {
		return "", &CommandError{Command: cmd, Response: strings.TrimSpace(resp)}
	}
	return resp, nil
}

// dialError says what to do about a socket we cannot reach; the bare
// "connect: no such file or directory" does not.
func dialError(addr string, err error) error {
	var hint string
	switch {
	case errors.Is(err, os.ErrNotExist), errors.Is(err, syscall.ENOENT):
		hint = "no such socket: is haproxy running, with `stats socket " + addr + " level admin` in its global section?"
	case errors.Is(err, os.ErrPermission), errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		hint = "permission denied: run sysroll as root, or as a member of the socket's group (see the `mode`/`group` of `stats socket`)"
	case errors.Is(err, syscall.ECONNREFUSED):
		hint = "connection refused: nothing listens there (haproxy stopped, or a stale socket file)"
	case errors.Is(err, syscall.ENOTSOCK):
		hint = "not a socket"
	default:
		return fmt.Errorf("haproxy admin socket %s: %w", addr, err)
	}
	return fmt.Errorf("haproxy admin socket %s: %s: %w", addr, hint, err)
}
