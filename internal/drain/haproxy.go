package drain

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Defaults of the HAProxy adapter.
const (
	DefaultServer       = "{instance}"
	DefaultPollInterval = 100 * time.Millisecond
	DefaultUpTimeout    = 10 * time.Second
)

// ErrDrainTimeout is wrapped by Drain when in-flight sessions did not end
// in time. The engine warns and goes on: the work had its time.
var ErrDrainTimeout = errors.New("drain timeout")

// ErrNotUp is wrapped by Undrain when HAProxy did not report the server UP
// (its own health checks passing) in time.
var ErrNotUp = errors.New("server not UP in haproxy")

// maxPollErrors is how many failed polls in a row end a wait: one may be a
// reload, several are a broken socket that waiting will not fix.
const maxPollErrors = 3

// HAProxy drains instances through HAProxy's runtime API: `set server
// BE/SRV state drain`, then wait until the server's sessions (scur) and
// queue (qcur) are 0; `state ready`, then wait until HAProxy's own health
// checks report it UP. Every call opens its own connection; one value is
// safe for concurrent use.
type HAProxy struct {
	// Socket is the runtime API: a unix socket path (`stats socket PATH
	// level admin`), or host:port.
	Socket string
	// Backend holds the instances' servers.
	Backend string
	// Server names an instance's server in Backend; {instance} and {port}
	// are filled in. Default "{instance}".
	Server string
	// Port resolves {port} for an instance; nil: {port} cannot be used.
	Port func(instance string) (int, bool)
	// DrainTimeout bounds Drain on top of ctx; 0: ctx alone.
	DrainTimeout time.Duration
	// PollInterval is how often show stat is read while waiting; default 100ms.
	PollInterval time.Duration
	// UpTimeout bounds Undrain's wait for UP on top of ctx; default 10s.
	UpTimeout time.Duration
}

var _ Drainer = (*HAProxy)(nil)

func (h *HAProxy) api() runtimeAPI { return runtimeAPI{addr: h.Socket} }

func (h *HAProxy) poll() time.Duration {
	if h.PollInterval > 0 {
		return h.PollInterval
	}
	return DefaultPollInterval
}

func (h *HAProxy) upTimeout() time.Duration {
	if h.UpTimeout > 0 {
		return h.UpTimeout
	}
	return DefaultUpTimeout
}

// ServerName is the server of instance in Backend.
func (h *HAProxy) ServerName(instance string) (string, error) {
	tmpl := h.Server
	if tmpl == "" {
		tmpl = DefaultServer
	}
	name := strings.ReplaceAll(tmpl, "{instance}", instance)
	if strings.Contains(name, "{port}") {
		p, ok := 0, false
		if h.Port != nil {
			p, ok = h.Port(instance)
		}
		if !ok {
			return "", fmt.Errorf("haproxy server %q: instance %q has no port", tmpl, instance)
		}
		name = strings.ReplaceAll(name, "{port}", strconv.Itoa(p))
	}
	return name, nil
}

// Servers returns the server rows of Backend, as `show stat BE 4 -1` shows them.
func (h *HAProxy) Servers(ctx context.Context) ([]ServerStat, error) {
	resp, err := h.api().show(ctx, fmt.Sprintf("show stat %s 4 -1", h.Backend))
	if err != nil {
		if ce, ok := errors.AsType[*CommandError](err); ok && strings.Contains(ce.Response, "No such proxy") {
			return nil, fmt.Errorf("haproxy %s has no backend %q: %w", h.Socket, h.Backend, err)
		}
		return nil, err
	}
	stats, err := parseStat(resp)
	if err != nil {
		return nil, fmt.Errorf("haproxy %s: %w", h.Socket, err)
	}
	return stats, nil
}

func (h *HAProxy) setState(ctx context.Context, server, state string) error {
	return h.api().set(ctx, fmt.Sprintf("set server %s/%s state %s", h.Backend, server, state))
}

// Drain implements Drainer: it puts the server in drain (no new requests;
// persistent and queued ones still finish) and waits until it has no
// session and nothing queued. Running out of ctx or DrainTimeout returns
// an error wrapping ErrDrainTimeout (and ctx's error, if ctx ended).
func (h *HAProxy) Drain(ctx context.Context, instance string) error {
	srv, err := h.ServerName(instance)
	if err != nil {
		return err
	}
	if h.DrainTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, h.DrainTimeout)
		defer cancel()
	}
	start := time.Now()
	if err := h.setState(ctx, srv, "drain"); err != nil {
		return fmt.Errorf("drain %s/%s: %w", h.Backend, srv, err)
	}
	busy := "no answer from haproxy"
	err = h.wait(ctx, func(stats []ServerStat) (bool, error) {
		s, ok := find(stats, srv)
		if !ok {
			return false, fmt.Errorf("backend %s has no server %s (servers: %s)", h.Backend, srv, serverList(stats))
		}
		busy = fmt.Sprintf("%s, %d queued", plural(s.Sessions, "session"), s.Queued)
		return s.Idle(), nil
	})
	if isTimeout(ctx, err) {
		cause := ctx.Err()
		if errors.Is(cause, context.DeadlineExceeded) {
			cause = fmt.Errorf("%w (%w)", ErrDrainTimeout, cause)
		}
		return fmt.Errorf("drain %s/%s: still busy after %s (%s): %w",
			h.Backend, srv, time.Since(start).Round(time.Millisecond), busy, cause)
	}
	if err != nil {
		return fmt.Errorf("drain %s/%s: %w", h.Backend, srv, err)
	}
	return nil
}

// Undrain implements Drainer: it sets the server ready and waits until
// HAProxy itself reports it UP ("no check" servers: at once). Moving on
// when only the app's own probe passed leaves a window in which HAProxy
// still counts the server DOWN — with the next instance drained, possibly
// no server at all.
func (h *HAProxy) Undrain(ctx context.Context, instance string) error {
	srv, err := h.ServerName(instance)
	if err != nil {
		return err
	}
	if err := h.setState(ctx, srv, "ready"); err != nil {
		return fmt.Errorf("undrain %s/%s: %w", h.Backend, srv, err)
	}
	if err := h.waitUp(ctx, []string{srv}); err != nil {
		return fmt.Errorf("undrain %s/%s: %w", h.Backend, srv, err)
	}
	return nil
}

// waitUp polls until every server is in traffic, bounded by UpTimeout.
func (h *HAProxy) waitUp(ctx context.Context, servers []string) error {
	ctx, cancel := context.WithTimeout(ctx, h.upTimeout())
	defer cancel()
	start := time.Now()
	var notUp []ServerStat
	err := h.wait(ctx, func(stats []ServerStat) (bool, error) {
		notUp = notUp[:0]
		for _, srv := range servers {
			s, ok := find(stats, srv)
			if !ok {
				return false, fmt.Errorf("backend %s has no server %s (servers: %s)", h.Backend, srv, serverList(stats))
			}
			if !s.InTraffic() {
				notUp = append(notUp, s)
			}
		}
		return len(notUp) == 0, nil
	})
	if isTimeout(ctx, err) {
		var what []string
		for _, s := range notUp {
			what = append(what, s.Name+": "+s.describe())
		}
		if len(what) == 0 {
			what = []string{"no answer from haproxy"}
		}
		return fmt.Errorf("%w after %s: %s (%w)", ErrNotUp,
			time.Since(start).Round(time.Millisecond), strings.Join(what, "; "), ctx.Err())
	}
	return err
}

// wait reads show stat every PollInterval until done says so, done
// fails, ctx ends (returning ctx's error) or polls fail maxPollErrors
// times in a row.
func (h *HAProxy) wait(ctx context.Context, done func([]ServerStat) (bool, error)) error {
	t := time.NewTicker(h.poll())
	defer t.Stop()
	failed := 0
	for {
		stats, err := h.Servers(ctx)
		if dl, ok := ctx.Deadline(); ok && err != nil && !time.Now().Before(dl) {
			// The poll failed because the deadline passed (a dial "i/o
			// timeout" can come back before ctx reports it): that is the
			// wait timing out, not haproxy failing.
			<-ctx.Done()
		}
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			if failed++; failed >= maxPollErrors {
				return err
			}
		default:
			failed = 0
			ok, err := done(stats)
			if err != nil || ok {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// isTimeout reports whether a wait ended because ctx did.
func isTimeout(ctx context.Context, err error) bool {
	return err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err())
}

func find(stats []ServerStat, name string) (ServerStat, bool) {
	i := slices.IndexFunc(stats, func(s ServerStat) bool { return s.Name == name })
	if i < 0 {
		return ServerStat{}, false
	}
	return stats[i], true
}

func serverList(stats []ServerStat) string {
	if len(stats) == 0 {
		return "none"
	}
	names := make([]string, len(stats))
	for i, s := range stats {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
