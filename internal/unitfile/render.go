package unitfile

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"unicode"

	"github.com/sysroll/sysroll/internal/config"
)

// Paths says where the rendered units live and what they point at.
type Paths struct {
	// UnitDir is the directory the files are meant for; it only fills File.Path
	// (Render writes nothing). Default DefaultUnitDir for the system manager.
	UnitDir string
	// StateDir is the service's state directory, holding instances/INSTANCE/current
	// (see ReleaseLink). Default DefaultStateDir(NAME); required with User.
	StateDir string
	// User renders for a per-user manager (systemctl --user): no User=/DynamicUser=,
	// WantedBy=default.target, only the sandboxing a user manager can apply.
	User bool
	// Sysroll is the absolute path of the sysroll binary the agent units
	// run (rollout.haproxy_agent); default DefaultSysroll.
	Sysroll string
}

// File is one rendered unit file.
type File struct {
	// Name is the unit name, e.g. "hello@.service".
	Name string
	// Path is UnitDir/Name, or "" when Paths.UnitDir was empty in user mode.
	Path string
	// Content is the complete file.
	Content string
	// Mode is the file mode to write it with.
	Mode fs.FileMode

	// origins maps lines of Content to the service file field that wrote
	// them (unit: and service: settings), for Verify.
	origins map[int]origin
}

// Files is the ordered set of units of one service: the template, the target,
// then the socket when the service listens on a shared socket, then the
// HAProxy agent-check socket and its service with rollout.haproxy_agent.
type Files []File

// Get returns the file with the given unit name.
func (fs Files) Get(name string) (File, bool) {
	for _, f := range fs {
		if f.Name == name {
			return f, true
		}
	}
	return File{}, false
}

// Render renders the units of svc. It validates svc first, so nothing from an
// invalid service file reaches a unit. Pure: it reads and writes no files.
func Render(svc *config.Service, p Paths) (Files, error) {
	if svc == nil {
		return nil, errors.New("render units: no service")
	}
	if err := svc.Validate(); err != nil {
		return nil, fmt.Errorf("render units of %s: %w", svc.Name, err)
	}
	p, err := p.withDefaults(svc.Name)
	if err != nil {
		return nil, fmt.Errorf("render units of %s: %w", svc.Name, err)
	}
	if err := checkStateOverlap(svc.Name, p); err != nil {
		return nil, fmt.Errorf("render units of %s: %w", svc.Name, err)
	}
	if err := checkMode(svc, p); err != nil {
		return nil, fmt.Errorf("render units of %s: %w", svc.Name, err)
	}
	r := renderer{svc: svc, p: p}
	tmpl := r.template()
	tf := r.file(TemplateUnit(svc.Name), tmpl.String())
	tf.origins = tmpl.origins
	files := Files{
		tf,
		r.file(TargetUnit(svc.Name), r.target()),
	}
	if svc.Listen != "" {
		files = append(files, r.file(SocketUnit(svc.Name), r.socket()))
	}
	if svc.Rollout.HAProxyAgent != nil {
		files = append(files, r.file(AgentSocket(svc.Name), r.agentSocket()), r.file(AgentTemplate(svc.Name), r.agentService()))
	}
	if err := checkRendered(svc, files); err != nil {
		return nil, fmt.Errorf("render units of %s: %w", svc.Name, err)
	}
	return files, nil
}

func (p Paths) withDefaults(name string) (Paths, error) {
	if p.StateDir == "" {
		if p.User {
			return p, errors.New("user mode needs an explicit state directory (e.g. ~/.local/state/sysroll/" + name + ")")
		}
		p.StateDir = DefaultStateDir(name)
	}
	if p.UnitDir == "" && !p.User {
		p.UnitDir = DefaultUnitDir
	}
	if p.Sysroll == "" {
		p.Sysroll = DefaultSysroll
	}
	for _, d := range []struct{ what, dir string }{{"state directory", p.StateDir}, {"unit directory", p.UnitDir}, {"sysroll binary", p.Sysroll}} {
		if d.dir == "" {
			continue
		}
		if !strings.HasPrefix(d.dir, "/") || path.Clean(d.dir) != d.dir {
			return p, fmt.Errorf("%s %q must be a clean absolute path", d.what, d.dir)
		}
		if strings.ContainsFunc(d.dir, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune(`"'\`, r) }) {
			return p, fmt.Errorf("%s %q must not contain blanks, quotes, backslashes or control characters", d.what, d.dir)
		}
	}
	return p, nil
}

// checkMode refuses settings the chosen manager cannot honour, rather than
// rendering a unit that fails at start.
func checkMode(svc *config.Service, p Paths) error {
	var errs []error
	if !p.User {
		if svc.User == "" {
			errs = append(errs, dynamicUserImplies(svc.Hardening)...)
		}
		return errors.Join(errs...)
	}
	if svc.User != "" || svc.Group != "" {
		errs = append(errs, errors.New("user/group cannot be set for a user manager: instances run as the manager's user"))
	}
	if len(svc.Hardening.Capabilities) > 0 {
		errs = append(errs, errors.New("hardening.capabilities cannot be granted by a user manager"))
	}
	if !svc.Hardening.PrivateUsers {
		errs = append(errs, errors.New("hardening.private_users: false is not possible with a user manager: its sandboxing works only inside a user namespace"))
	}
	return errors.Join(errs...)
}

// dynamicUserImplies lists relaxations DynamicUser=yes makes impossible:
// systemd enforces these for a dynamic user whatever the unit says, so a unit
// claiming otherwise would lie.
func dynamicUserImplies(h config.Hardening) []error {
	var errs []error
	bad := func(cond bool, setting string) {
		if cond {
			errs = append(errs, fmt.Errorf("hardening.%s: a dynamic user (user: empty) always runs with it; set user: to relax it", setting))
		}
	}
	bad(h.ProtectSystem != "strict", "protect_system other than strict")
	bad(h.ProtectHome == "no", "protect_home: no")
	bad(!h.PrivateTmp, "private_tmp: false")
	bad(!h.NoNewPrivileges, "no_new_privileges: false")
	bad(!h.RestrictSUIDSGID, "restrict_suid_sgid: false")
	return errs
}

// renderer holds what every unit of one service needs.
type renderer struct {
	svc *config.Service
	p   Paths
}

func (r renderer) file(name, content string) File {
	f := File{Name: name, Content: content, Mode: 0o644}
	if r.p.UnitDir != "" {
		f.Path = path.Join(r.p.UnitDir, name)
	}
	return f
}
