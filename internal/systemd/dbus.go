package systemd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
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

// DBus is the Manager backed by systemd's D-Bus API.
type DBus struct {
	conn *sddbus.Conn
	// bus is go-systemd's own request connection (the first one it dials),
	// kept for the few calls go-systemd does not wrap, such as LoadUnit.
	bus  *dbus.Conn
	user bool
}

var _ Manager = (*DBus)(nil)

// Connect dials the manager chosen by opts. When nothing answers it returns an
// error wrapping ErrNoSystemd that says what was tried.
func Connect(ctx context.Context, opts Options) (*DBus, error) {
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	addr, hello, err := address(opts)
	if err != nil {
		return nil, err
	}
	// godbus closes a connection when its context ends, and ours outlive
	// Connect: they must not hang off ctx. Until Connect returns, though, the
	// timeout must close them: that is what aborts a handshake with a socket
	// that accepts and never answers.
	connCtx, closeConns := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, closeConns)
	var first *dbus.Conn
	conn, err := sddbus.NewConnection(func() (*dbus.Conn, error) {
		c, err := dbus.Dial(addr, dbus.WithContext(connCtx))
		if err != nil {
			return nil, err
		}
		if err := c.Auth([]dbus.Auth{dbus.AuthExternal(strconv.Itoa(os.Getuid()))}); err != nil {
			c.Close()
			return nil, err
		}
		if hello {
			if err := c.Hello(); err != nil {
				c.Close()
				return nil, err
			}
		}
		if first == nil {
			first = c
		}
		return c, nil
	})
	if err != nil {
		closeConns()
		return nil, fmt.Errorf("%w: connect %s: %w", ErrNoSystemd, addr, err)
	}
	d := &DBus{conn: conn, bus: first, user: opts.Scope == User}
	// A socket can exist while nothing serves it; ask for a property to be sure.
	if _, err := conn.GetManagerProperty("Version"); err != nil {
		conn.Close()
		return nil, fmt.Errorf("%w: %s does not answer: %w", ErrNoSystemd, addr, err)
	}
	if !stop() { // the timeout fired after all and closed the connections
		conn.Close()
		return nil, fmt.Errorf("%w: connect %s: %w", ErrNoSystemd, addr, ctx.Err())
	}
	return d, nil
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
	d.conn.Close()
	return nil
}

// Reload implements Manager.
func (d *DBus) Reload(ctx context.Context) error {
	if err := d.conn.ReloadContext(ctx); err != nil {
		return fmt.Errorf("daemon-reload: %w", err)
	}
	return nil
}

type jobFunc func(ctx context.Context, name, mode string, ch chan<- string) (int, error)

func (d *DBus) job(ctx context.Context, op, unit string, f jobFunc) error {
	// Buffered: go-systemd blocks its signal dispatch on an undrained channel.
	ch := make(chan string, 1)
	if _, err := f(ctx, unit, "replace", ch); err != nil {
		return fmt.Errorf("%s %s: %w", op, unit, err)
	}
	select {
	case res := <-ch:
		if JobResult(res) != JobDone {
			return &JobError{Op: op, Unit: unit, Result: JobResult(res)}
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s %s: waiting for job: %w", op, unit, ctx.Err())
	}
}

// Start implements Manager.
func (d *DBus) Start(ctx context.Context, unit string) error {
	return d.job(ctx, "start", unit, d.conn.StartUnitContext)
}

// Stop implements Manager.
func (d *DBus) Stop(ctx context.Context, unit string) error {
	return d.job(ctx, "stop", unit, d.conn.StopUnitContext)
}

// Restart implements Manager.
func (d *DBus) Restart(ctx context.Context, unit string) error {
	return d.job(ctx, "restart", unit, d.conn.RestartUnitContext)
}

// ResetFailed implements Manager.
func (d *DBus) ResetFailed(ctx context.Context, unit string) error {
	if err := d.conn.ResetFailedUnitContext(ctx, unit); err != nil {
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
	if _, _, err := d.conn.EnableUnitFilesContext(ctx, units, false, true); err != nil {
		return fmt.Errorf("enable %s: %w", strings.Join(units, " "), err)
	}
	return nil
}

// DisableUnits implements Manager.
func (d *DBus) DisableUnits(ctx context.Context, units ...string) error {
	if len(units) == 0 {
		return nil
	}
	if _, err := d.conn.DisableUnitFilesContext(ctx, units, false); err != nil {
		return fmt.Errorf("disable %s: %w", strings.Join(units, " "), err)
	}
	return nil
}

// Units implements Manager. One ListUnitsByPatterns call finds the units; the
// service properties of all of them are then fetched in parallel, so the cost
// stays near one round trip however many instances there are.
func (d *DBus) Units(ctx context.Context, patterns ...string) ([]UnitState, error) {
	list, err := d.conn.ListUnitsByPatternsContext(ctx, nil, patterns)
	if err != nil {
		return nil, fmt.Errorf("list units %s: %w", strings.Join(patterns, " "), err)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	out := make([]UnitState, len(list))
	errs := make([]error, len(list))
	done := make(chan struct{}, len(list))
	for i, u := range list {
		go func() {
			defer func() { done <- struct{}{} }()
			out[i], errs[i] = d.props(ctx, u.Path, u.Name)
		}()
	}
	for range list {
		<-done
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// Unit implements Manager.
func (d *DBus) Unit(ctx context.Context, unit string) (UnitState, error) {
	path := dbus.ObjectPath("/org/freedesktop/systemd1/unit/" + sddbus.PathBusEscape(unit))
	// LoadUnit makes systemd load the unit (or report not-found) so the path exists.
	var p dbus.ObjectPath
	if err := d.systemdObject().CallWithContext(ctx, "org.freedesktop.systemd1.Manager.LoadUnit", 0, unit).Store(&p); err == nil {
		path = p
	}
	return d.props(ctx, path, unit)
}

func (d *DBus) systemdObject() dbus.BusObject {
	return d.bus.Object("org.freedesktop.systemd1", "/org/freedesktop/systemd1")
}

// The properties props reads. Asking for these few, all at once, costs a
// fraction of GetAll on the Unit and Service interfaces (some 300
// properties systemd serializes one message at a time): the rollout reads
// unit state before and after every step.
var (
	unitProps    = []string{"Description", "LoadState", "ActiveState", "SubState", "InvocationID", "ActiveEnterTimestamp"}
	serviceProps = []string{"MainPID", "NRestarts", "ExecMainStatus", "ExecMainCode", "Result"}
)

func (d *DBus) props(ctx context.Context, path dbus.ObjectPath, name string) (UnitState, error) {
	obj := d.bus.Object("org.freedesktop.systemd1", path)
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
			if g.iface == "org.freedesktop.systemd1.Service" {
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
	return s, nil
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
	list, err := d.conn.ListUnitsByNamesContext(ctx, units)
	if err != nil {
		return nil, fmt.Errorf("list units %s: %w", strings.Join(units, " "), err)
	}
	out := make([]UnitState, 0, len(list))
	for _, u := range list {
		out = append(out, UnitState{Name: u.Name, Description: u.Description, LoadState: u.LoadState,
			ActiveState: ActiveState(u.ActiveState), SubState: u.SubState})
	}
	return out, nil
}
