package systemd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
)

// Scope selects which service manager to talk to.
type Scope int

const (
	// System is PID 1's manager (systemctl).
	System Scope = iota
	// User is the calling user's manager (systemctl --user).
	User
)

// Options say how to reach a manager.
type Options struct {
	Scope Scope
	// Address, when set, is a D-Bus address of systemd's private socket
	// (e.g. "unix:path=/proc/123/root/run/systemd/private" for a container)
	// and overrides Scope's default.
	Address string
	// Timeout bounds connecting; 0 means 5s. Without it a missing bus can hang.
	Timeout time.Duration
}

// DBus is the Manager backed by systemd's D-Bus API. When the connection
// drops (systemd re-executed) it connects again, within ReconnectTimeout,
// and repeats the call that found it gone when that is safe; a job whose
// result was lost is resolved from the unit's state (AwaitLost).
type DBus struct {
	addr    string
	hello   bool
	timeout time.Duration
	user    bool

	mu         sync.Mutex // guards l, closed, reconnects; held while reconnecting
	l          *link
	closed     bool
	reconnects int
}

var _ Manager = (*DBus)(nil)

// Connect dials the manager chosen by opts. When nothing answers it returns an
// error wrapping ErrNoSystemd that says what was tried.
func Connect(ctx context.Context, opts Options) (*DBus, error) {
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	addr, hello, err := address(opts)
	if err != nil {
		return nil, err
	}
	restarting := resetByRestart
	if opts.Address == "" {
		restarting = refusedOrReset
	}
	l, err := firstDial(ctx, restarting, func(ctx context.Context) (*link, error) {
		return dialLink(ctx, addr, hello, timeout)
	})
	if err != nil {
		return nil, err
	}
	return &DBus{addr: addr, hello: hello, timeout: timeout, user: opts.Scope == User, l: l}, nil
}

// Reconnects reports how often the connection was made again after a drop.
func (d *DBus) Reconnects() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.reconnects
}

// address picks the socket. Root talks to PID 1's private socket (works without
// dbus-daemon); others use the system bus, which polkit guards.
func address(opts Options) (addr string, hello bool, err error) {
	if opts.Address != "" {
		return opts.Address, false, nil
	}
	switch opts.Scope {
	case User:
		rt := os.Getenv("XDG_RUNTIME_DIR")
		if rt == "" {
			rt = fmt.Sprintf("/run/user/%d", os.Getuid())
		}
		p := filepath.Join(rt, "systemd", "private")
		if _, err := os.Stat(p); err != nil {
			return "", false, fmt.Errorf("%w: no user manager at %s (is this a login session? try `loginctl enable-linger`)", ErrNoSystemd, p)
		}
		return "unix:path=" + p, false, nil
	default:
		if _, err := os.Stat("/run/systemd/system"); err != nil {
			return "", false, fmt.Errorf("%w: this system was not booted with systemd (/run/systemd/system is missing)", ErrNoSystemd)
		}
		if os.Geteuid() == 0 {
			return "unix:path=/run/systemd/private", false, nil
		}
		return "unix:path=/run/dbus/system_bus_socket", true, nil
	}
}

// Close implements Manager.
func (d *DBus) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.closed {
		d.closed = true
		d.l.close()
	}
	return nil
}

// Reload implements Manager. A daemon-reload can be repeated safely.
func (d *DBus) Reload(ctx context.Context) error {
	if err := d.do(ctx, func(l *link) error { return l.conn.ReloadContext(ctx) }); err != nil {
		return fmt.Errorf("daemon-reload: %w", err)
	}
	return nil
}

// ResetFailed implements Manager.
func (d *DBus) ResetFailed(ctx context.Context, unit string) error {
	err := d.do(ctx, func(l *link) error { return l.conn.ResetFailedUnitContext(ctx, unit) })
	if err != nil {
		var de dbus.Error
		if errors.As(err, &de) && de.Name == "org.freedesktop.systemd1.NoSuchUnit" {
			return nil
		}
		return fmt.Errorf("reset-failed %s: %w", unit, err)
	}
	return nil
}

// EnableUnits implements Manager.
func (d *DBus) EnableUnits(ctx context.Context, units ...string) error {
	if len(units) == 0 {
		return nil
	}
	err := d.do(ctx, func(l *link) error {
		_, _, err := l.conn.EnableUnitFilesContext(ctx, units, false, true)
		return err
	})
	if err != nil {
		return fmt.Errorf("enable %s: %w", strings.Join(units, " "), err)
	}
	return nil
}

// DisableUnits implements Manager.
func (d *DBus) DisableUnits(ctx context.Context, units ...string) error {
	if len(units) == 0 {
		return nil
	}
	err := d.do(ctx, func(l *link) error {
		_, err := l.conn.DisableUnitFilesContext(ctx, units, false)
		return err
	})
	if err != nil {
		return fmt.Errorf("disable %s: %w", strings.Join(units, " "), err)
	}
	return nil
}

// Units implements Manager. One ListUnitsByPatterns call finds the units; the
// service properties of all of them are then fetched in parallel, so the cost
// stays near one round trip however many instances there are.
func (d *DBus) Units(ctx context.Context, patterns ...string) ([]UnitState, error) {
	var out []UnitState
	err := d.do(ctx, func(l *link) error {
		list, err := l.conn.ListUnitsByPatternsContext(ctx, nil, patterns)
		if err != nil {
			return fmt.Errorf("list units %s: %w", strings.Join(patterns, " "), err)
		}
		sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
		out = make([]UnitState, len(list))
		errs := make([]error, len(list))
		done := make(chan struct{}, len(list))
		for i, u := range list {
			go func() {
				defer func() { done <- struct{}{} }()
				out[i], errs[i] = l.props(ctx, u.Path, u.Name)
			}()
		}
		for range list {
			<-done
		}
		return errors.Join(errs...)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Unit implements Manager.
func (d *DBus) Unit(ctx context.Context, unit string) (UnitState, error) {
	var s UnitState
	err := d.do(ctx, func(l *link) error {
		path := dbus.ObjectPath("/org/freedesktop/systemd1/unit/" + sddbus.PathBusEscape(unit))
		// LoadUnit makes systemd load the unit (or report not-found) so the path exists.
		var p dbus.ObjectPath
		err := l.bus.Object("org.freedesktop.systemd1", "/org/freedesktop/systemd1").
			CallWithContext(ctx, "org.freedesktop.systemd1.Manager.LoadUnit", 0, unit).Store(&p)
		switch {
		case err == nil:
			path = p
		case l.dropped(err):
			return err
		}
		s, err = l.props(ctx, path, unit)
		return err
	})
	return s, err
}

// The properties props reads. Asking for these few, all at once, costs a
// fraction of GetAll on the Unit and Service interfaces (some 300
// properties systemd serializes one message at a time): the rollout reads
// unit state before and after every step.
var (
	unitProps    = []string{"Description", "LoadState", "ActiveState", "SubState", "InvocationID", "ActiveEnterTimestamp", "Job"}
	serviceProps = []string{"MainPID", "NRestarts", "ExecMainStatus", "ExecMainCode", "Result", "ExecMainStartTimestamp"}
)

func (l *link) props(ctx context.Context, path dbus.ObjectPath, name string) (UnitState, error) {
	obj := l.bus.Object("org.freedesktop.systemd1", path)
	withService := strings.HasSuffix(name, ".service")
	type get struct {
		iface, prop string
		call        *dbus.Call
	}
	var gets []get
	for _, p := range unitProps {
		gets = append(gets, get{iface: "org.freedesktop.systemd1.Unit", prop: p})
	}
	if withService {
		for _, p := range serviceProps {
			gets = append(gets, get{iface: "org.freedesktop.systemd1.Service", prop: p})
		}
	}
	done := make(chan *dbus.Call, len(gets))
	for i := range gets {
		gets[i].call = obj.GoWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, done, gets[i].iface, gets[i].prop)
	}
	for range gets {
		<-done
	}
	v := map[string]any{}
	for _, g := range gets {
		var val dbus.Variant
		if err := g.call.Store(&val); err != nil {
			// A unit that is not loaded has no Service interface.
			if g.iface == "org.freedesktop.systemd1.Service" && !l.dropped(err) {
				continue
			}
			return UnitState{}, fmt.Errorf("read %s of %s: %w", g.prop, name, err)
		}
		v[g.prop] = val.Value()
	}
	s := UnitState{
		Name:         name,
		Description:  str(v["Description"]),
		LoadState:    str(v["LoadState"]),
		ActiveState:  ActiveState(str(v["ActiveState"])),
		SubState:     str(v["SubState"]),
		InvocationID: invocationID(v["InvocationID"]),
		JobID:        jobID(v["Job"]),
	}
	if us, ok := v["ActiveEnterTimestamp"].(uint64); ok && us > 0 {
		s.ActiveEnter = time.UnixMicro(int64(us))
	}
	if !withService || s.LoadState != "loaded" {
		return s, nil
	}
	s.MainPID, _ = v["MainPID"].(uint32)
	s.NRestarts, _ = v["NRestarts"].(uint32)
	s.ExecMainStatus, _ = v["ExecMainStatus"].(int32)
	s.ExecMainCode, _ = v["ExecMainCode"].(int32)
	s.Result = str(v["Result"])
	if us, ok := v["ExecMainStartTimestamp"].(uint64); ok && us > 0 {
		s.ExecMainStart = time.UnixMicro(int64(us))
	}
	return s, nil
}

// jobID reads the Unit's Job property, a (uint32 id, object path) pair.
func jobID(v any) uint32 {
	if f, ok := v.([]any); ok && len(f) == 2 {
		id, _ := f[0].(uint32)
		return id
	}
	return 0
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func invocationID(v any) string {
	b, ok := v.([]byte)
	if !ok || len(b) == 0 {
		return ""
	}
	return fmt.Sprintf("%x", b)
}

// States returns the load, active and sub state of each named unit with one
// ListUnitsByNames call, a fraction of Unit's cost: the rollout's preflight
// reads every other instance before each batch. Other fields are zero.
func (d *DBus) States(ctx context.Context, units ...string) ([]UnitState, error) {
	var out []UnitState
	err := d.do(ctx, func(l *link) error {
		list, err := l.conn.ListUnitsByNamesContext(ctx, units)
		if err != nil {
			return fmt.Errorf("list units %s: %w", strings.Join(units, " "), err)
		}
		out = make([]UnitState, 0, len(list))
		for _, u := range list {
			out = append(out, UnitState{Name: u.Name, Description: u.Description, LoadState: u.LoadState,
				ActiveState: ActiveState(u.ActiveState), SubState: u.SubState, JobID: u.JobId})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
