package install

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/systemd"
)

// File is one unit file as it should be installed.
type File struct {
	Name string // e.g. "hello@.service"
	Data []byte
}

// Desired is what a service file renders to.
type Desired struct {
	Service   string
	Files     []File
	Instances []string // instance names, e.g. "8081"
	// Template and Target and Socket name the three units (Socket "" when
	// the service has no shared socket).
	Template, Target, Socket string
	// AgentSocket is the HAProxy agent-check socket (rollout.haproxy_agent),
	// "" without one. Unlike the shared socket it is restarted when its unit
	// changes: HAProxy ignores a failed agent check, so nothing is refused.
	AgentSocket string
	// InstanceUnit maps an instance name to its unit name.
	InstanceUnit func(instance string) string
}

// Installer converges one host's systemd to a Desired state.
type Installer struct {
	Manager  systemd.Manager
	UnitDir  string // /etc/systemd/system or ~/.config/systemd/user
	StateDir string // the service's own state dir, e.g. /var/lib/sysroll/hello
	// Installed is called once the unit files are in place (written, systemd
	// reloaded, the group enabled), before any instance starts, so the
	// caller can record what is installed even if a start then fails.
	// May be nil.
	Installed func(ctx context.Context) error
	// Prepare is called for every instance about to be started (new, or not
	// running), e.g. to point it at a release if it has none. May be nil.
	Prepare func(ctx context.Context, instance string) error
	// Warn is told what could not be read and was worked around (a corrupt
	// applied.json, named, and what was done instead). May be nil.
	Warn func(msg string)
}

func (in *Installer) warn(format string, args ...any) {
	if in.Warn != nil {
		in.Warn(fmt.Sprintf(format, args...))
	}
}

// Action says what happens to one file.
type Action string

// File actions.
const (
	Create Action = "create"
	Update Action = "update"
	Delete Action = "delete"
)

// Change is one file to write or remove.
type Change struct {
	Name   string `json:"name"`
	Action Action `json:"action"`
	Diff   string `json:"diff"`
	data   []byte
}

// Plan is everything Apply would do, computed without changing anything.
type Plan struct {
	Service string   `json:"service"`
	Changes []Change `json:"changes"`
	Start   []string `json:"start"` // instance units to start (new, or not running)
	Stop    []string `json:"stop"`  // instance units to stop and forget (removed)
	// NeedsRestart lists running instances that would keep running the old
	// unit definition: a rolling `sysroll restart` rolls the change out.
	NeedsRestart []string `json:"needs_restart"`
	// SocketChanged: the shared socket's unit changed; restarting a socket
	// refuses connections, so it is left to the operator.
	SocketChanged bool `json:"socket_changed"`
	desired       Desired
}

// NoChanges reports whether Apply would do nothing at all.
func (p *Plan) NoChanges() bool {
	return len(p.Changes) == 0 && len(p.Start) == 0 && len(p.Stop) == 0
}

// applied is what the last apply installed, kept to know which instances and
// files to remove when they disappear from the service file.
type applied struct {
	Files     []string `json:"files"`
	Instances []string `json:"instances"`
}

const (
	appliedFile = "applied.json"
	appliedWhat = "installed-units list"
	// maxApplied bounds applied.json: a few hundred bytes per instance.
	maxApplied = 1 << 20
)

func (in *Installer) appliedPath() string { return filepath.Join(in.StateDir, appliedFile) }

// readApplied reads applied.json, bounded and without following a link.
// A corrupt one is an error naming the file (a *release.CorruptError).
func (in *Installer) readApplied() (applied, error) {
	var a applied
	err := release.ReadStateFile(appliedWhat, in.appliedPath(), maxApplied, &a)
	if errors.Is(err, fs.ErrNotExist) {
		return applied{}, nil
	}
	if err != nil {
		return applied{}, err
	}
	return a, nil
}

// readAppliedOrQuarantine is readApplied for apply: a corrupt applied.json
// is moved aside (release.Quarantine) and taken as empty, so a damaged
// file never blocks installing the service again (Plan finds the installed
// files by name anyway, and the running instances from systemd); the next
// apply writes it anew.
func (in *Installer) readAppliedOrQuarantine() (applied, error) {
	a, err := in.readApplied()
	ce, ok := errors.AsType[*release.CorruptError](err)
	if !ok {
		return a, err
	}
	if _, qerr := release.Quarantine(ce.Path, ce.What, ce); qerr != nil {
		return applied{}, errors.Join(err, qerr)
	}
	return applied{}, nil
}

// UnitFiles lists the unit files installed for service in the unit
// directory: the ones applied.json names (only names that belong to the
// service, so a crafted list cannot reach other files) and, whatever
// applied.json says or even if it is missing or corrupt, every file there
// named like the service's units (NAME@.service, NAME.target,
// NAME.socket). It never fails because of applied.json; uninstall relies
// on that. Instance files (NAME@8081.service) and drop-in directories
// (NAME@.service.d/) are not listed: sysroll never writes them, so they are
// the operator's.
func (in *Installer) UnitFiles(service string) ([]string, error) {
	a, err := in.readApplied()
	if err != nil {
		// The glob below finds the units all the same.
		in.warn("%s: %v; going by the unit files named %s@.service, %s.target and %s.socket in %s", service, err, service, service, service, in.UnitDir)
	}
	files, err := in.globUnitFiles(service)
	if err != nil {
		return nil, err
	}
	for _, f := range a.Files {
		if ownsUnit(service, f) && !slices.Contains(files, f) {
			files = append(files, f)
		}
	}
	sort.Strings(files)
	return files, nil
}

// globUnitFiles lists the files in the unit directory named like service's
// units.
func (in *Installer) globUnitFiles(service string) ([]string, error) {
	entries, err := os.ReadDir(in.UnitDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", in.UnitDir, err)
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && ownsUnit(service, e.Name()) {
			files = append(files, e.Name())
		}
	}
	return files, nil
}

// ownsUnit reports whether name is one of the unit files sysroll writes for
// service: NAME@.service, NAME.target or NAME.socket.
func ownsUnit(service, name string) bool {
	switch name {
	case service + "@.service", service + ".target", service + ".socket",
		agentSocket(service), service + ".agent@.service":
		return true
	}
	return false
}

// agentSocket is the agent-check socket of service (unitfile.AgentSocket).
func agentSocket(service string) string { return service + ".agent.socket" }

// Plan compares d with what is installed and running.
func (in *Installer) Plan(ctx context.Context, d Desired) (*Plan, error) {
	prev, err := in.readAppliedOrQuarantine()
	if err != nil {
		return nil, err
	}
	if prev.Files, err = in.UnitFiles(d.Service); err != nil {
		return nil, err
	}
	p := &Plan{Service: d.Service, desired: d}
	templateChanged := false
	want := map[string]bool{}
	for _, f := range d.Files {
		want[f.Name] = true
		old, err := os.ReadFile(filepath.Join(in.UnitDir, f.Name))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("read installed %s: %w", f.Name, err)
		}
		if string(old) == string(f.Data) {
			continue
		}
		act := Update
		if old == nil {
			act = Create
		}
		p.Changes = append(p.Changes, Change{Name: f.Name, Action: act, Diff: Diff(f.Name, string(old), string(f.Data)), data: f.Data})
		switch f.Name {
		case d.Template:
			templateChanged = act == Update
		case d.Socket:
			p.SocketChanged = act == Update
		}
	}
	for _, name := range prev.Files {
		if want[name] {
			continue
		}
		old, err := os.ReadFile(filepath.Join(in.UnitDir, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read installed %s: %w", name, err)
		}
		p.Changes = append(p.Changes, Change{Name: name, Action: Delete, Diff: Diff(name, string(old), "")})
	}

	units, err := in.Manager.Units(ctx, d.Service+"@*.service")
	if err != nil {
		return nil, err
	}
	live := map[string]systemd.UnitState{}
	for _, u := range units {
		live[u.Name] = u
	}
	wanted := map[string]bool{}
	for _, inst := range d.Instances {
		unit := d.InstanceUnit(inst)
		wanted[unit] = true
		u, ok := live[unit]
		switch {
		case !ok || down(u):
			p.Start = append(p.Start, unit)
		case templateChanged:
			p.NeedsRestart = append(p.NeedsRestart, unit)
		}
	}
	stop := map[string]bool{}
	for _, inst := range prev.Instances {
		if unit := d.InstanceUnit(inst); !wanted[unit] {
			stop[unit] = true
		}
	}
	for name, u := range live {
		// An instance running outside the service file (left by an earlier
		// apply whose record was lost, or started by hand) is stopped too:
		// the file is the single source of truth.
		if !wanted[name] && u.ActiveState != systemd.Inactive {
			stop[name] = true
		}
	}
	for name := range stop {
		p.Stop = append(p.Stop, name)
	}
	sort.Strings(p.Stop)
	return p, nil
}

// Apply carries out p. Removed instances are stopped before their files go;
// files are written atomically; daemon-reload runs only if a file changed;
// new instances are started one at a time, each waited for.
func (in *Installer) Apply(ctx context.Context, p *Plan) error {
	d := p.desired
	for _, unit := range p.Stop {
		if err := in.Manager.Stop(ctx, unit); err != nil {
			return err
		}
		if err := in.Manager.ResetFailed(ctx, unit); err != nil {
			return err
		}
	}
	agentChanged := false
	for _, c := range p.Changes {
		if c.Name != agentSocket(d.Service) {
			continue
		}
		agentChanged = c.Action == Update
		if c.Action == Delete {
			// A socket whose file is gone would go on listening.
			if err := in.Manager.Stop(ctx, c.Name); err != nil {
				return err
			}
			if err := in.Manager.DisableUnits(ctx, c.Name); err != nil {
				return err
			}
		}
	}
	if err := os.MkdirAll(in.UnitDir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", in.UnitDir, err)
	}
	for _, c := range p.Changes {
		path := filepath.Join(in.UnitDir, c.Name)
		if c.Action == Delete {
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("remove %s: %w", path, err)
			}
			continue
		}
		if err := release.WriteFileAtomic(path, c.data, 0o644); err != nil {
			return fmt.Errorf("install %s: %w", c.Name, err)
		}
	}
	if len(p.Changes) > 0 {
		if err := in.Manager.Reload(ctx); err != nil {
			return err
		}
	}
	if err := in.saveApplied(d); err != nil {
		return err
	}
	// Enabling is idempotent and cheap; it makes the group start at boot.
	enable := []string{d.Target}
	if d.Socket != "" {
		enable = append(enable, d.Socket)
	}
	if d.AgentSocket != "" {
		enable = append(enable, d.AgentSocket)
	}
	if len(p.Changes) > 0 {
		if err := in.Manager.EnableUnits(ctx, enable...); err != nil {
			return err
		}
		// Like systemctl enable: the manager must see the new links.
		if err := in.Manager.Reload(ctx); err != nil {
			return err
		}
	}
	if in.Installed != nil {
		if err := in.Installed(ctx); err != nil {
			return err
		}
	}
	if d.Socket != "" {
		if err := in.Manager.Start(ctx, d.Socket); err != nil {
			return err
		}
	}
	if d.AgentSocket != "" {
		start := in.Manager.Start
		if agentChanged {
			start = in.Manager.Restart // a new ListenStream= takes a restart
		}
		if err := start(ctx, d.AgentSocket); err != nil {
			return err
		}
	}
	for _, unit := range p.Start {
		if in.Prepare != nil {
			if err := in.Prepare(ctx, instanceOf(unit)); err != nil {
				return fmt.Errorf("prepare %s: %w", unit, err)
			}
		}
		if err := in.Manager.ResetFailed(ctx, unit); err != nil {
			return err
		}
		if err := in.Manager.Start(ctx, unit); err != nil {
			return err
		}
	}
	// Starting an active target is a no-op job; it matters on first install.
	return in.Manager.Start(ctx, d.Target)
}

func (in *Installer) saveApplied(d Desired) error {
	a := applied{Instances: d.Instances}
	for _, f := range d.Files {
		a.Files = append(a.Files, f.Name)
	}
	b, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return err
	}
	if err := release.SecureDir(in.StateDir); err != nil {
		return fmt.Errorf("create %s: %w", in.StateDir, err)
	}
	return release.WriteFileAtomic(in.appliedPath(), append(b, '\n'), 0o644)
}

// Uninstall stops the group (all instances, via PartOf=) and the socket,
// disables and removes the unit files and forgets the service. With purge
// it also deletes the state dir (releases and history).
//
// It needs nothing from the state dir: the units are found by UnitFiles,
// so a missing or corrupt applied.json (or service.yaml, which it never
// reads) does not stop it.
func (in *Installer) Uninstall(ctx context.Context, service string, purge bool) error {
	files, err := in.UnitFiles(service)
	if err != nil {
		return err
	}
	units, err := in.Manager.Units(ctx, service+"@*.service", service+".target", service+".socket",
		service+".agent@*.service", agentSocket(service))
	if err != nil {
		return err
	}
	var unitNames []string
	for _, u := range units {
		unitNames = append(unitNames, u.Name)
	}
	// Stop instances first, the socket last: with the socket still listening
	// and no instance, systemd would start one on the next connection.
	for _, stage := range [][]string{filterSuffix(unitNames, ".service"), filterSuffix(unitNames, ".target"), filterSuffix(unitNames, ".socket")} {
		for _, u := range stage {
			if err := in.Manager.Stop(ctx, u); err != nil {
				return err
			}
		}
	}
	var present []string
	for _, f := range files {
		if _, err := os.Stat(filepath.Join(in.UnitDir, f)); err == nil && !filepathIsTemplate(f) {
			present = append(present, f)
		}
	}
	if err := in.Manager.DisableUnits(ctx, present...); err != nil {
		return err
	}
	for _, f := range files {
		if err := os.Remove(filepath.Join(in.UnitDir, f)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove %s: %w", f, err)
		}
	}
	if err := in.Manager.Reload(ctx); err != nil {
		return err
	}
	for _, u := range unitNames {
		if err := in.Manager.ResetFailed(ctx, u); err != nil {
			return err
		}
	}
	if purge {
		if err := os.RemoveAll(in.StateDir); err != nil {
			return fmt.Errorf("purge %s: %w", in.StateDir, err)
		}
		return nil
	}
	// A corrupt applied.json is kept aside for a look, like every corrupt
	// state file; a good one is done with.
	if _, err := in.readApplied(); errors.Is(err, release.ErrCorrupt) {
		moved, qerr := release.Quarantine(in.appliedPath(), appliedWhat, err)
		if qerr != nil {
			return qerr
		}
		in.warn("%s: kept the unreadable %s as %s", service, in.appliedPath(), moved)
		return nil
	}
	if err := os.Remove(in.appliedPath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", in.appliedPath(), err)
	}
	return nil
}

// down reports whether an instance is not serving and not about to: stopped,
// failed, or waiting to be restarted after its process died (a crash loop,
// e.g. a first release that fails at start). Starting it is what apply does.
func down(u systemd.UnitState) bool {
	switch {
	case u.ActiveState == systemd.Inactive, u.ActiveState == systemd.Failed:
		return true
	case u.ActiveState == systemd.Activating && u.SubState == "auto-restart":
		return true
	}
	return false
}

func filterSuffix(names []string, suffix string) []string {
	var out []string
	for _, n := range names {
		if filepath.Ext(n) == suffix {
			out = append(out, n)
		}
	}
	return out
}

// filepathIsTemplate: a template (NAME@.service) cannot be enabled by itself.
func filepathIsTemplate(name string) bool { return strings.HasSuffix(name, "@.service") }

// instanceOf returns "8081" for "hello@8081.service".
func instanceOf(unit string) string {
	_, rest, ok := strings.Cut(unit, "@")
	if !ok {
		return ""
	}
	return strings.TrimSuffix(rest, filepath.Ext(rest))
}
