package adopt

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/lint"
)

// Unit is one hand-written unit file as read from disk.
type Unit struct {
	// Path is where it was read from; its base name is the unit's name.
	Path string
	Data []byte
}

// Options tune a proposal.
type Options struct {
	// Name of the sysroll service; "" is the units' common name prefix.
	Name string
}

// Instance is one old unit that becomes the sysroll instance on its port.
type Instance struct {
	Port int    `json:"port"`
	Unit string `json:"unit"` // e.g. my-service-1.service
	Path string `json:"path"` // its file
	// Requires are the other adopted units this one needs (Requires=,
	// BindsTo=, Requisite=): stopping one of those stops this one too.
	Requires []string `json:"requires,omitempty"`
}

// Skipped is a unit given that is not an instance, and what happens to it.
type Skipped struct {
	Unit   string `json:"unit"`
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Proposal is the service file the units map to, with what did not map.
type Proposal struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Command is the instances' ExecStart with the binary under {release}
	// and the per-unit port as {port}.
	Command string `json:"command"`
	// Binary is the program the old units run (an absolute path): the
	// first release, unless --artifact gives another.
	Binary       string             `json:"binary"`
	Instances    []Instance         `json:"instances"`
	Type         config.ServiceType `json:"type"`
	StopTimeout  time.Duration      `json:"-"` // stop_timeout in seconds (MarshalJSON)
	RestartDelay time.Duration      `json:"-"` // restart_sec in seconds (MarshalJSON)
	// RestartDelaySet: the units set RestartSec= (0 is a value too).
	RestartDelaySet  bool              `json:"-"`
	Environment      map[string]string `json:"environment,omitempty"`
	EnvironmentFiles []string          `json:"environment_files,omitempty"`
	WorkingDirectory string            `json:"working_directory,omitempty"`
	User             string            `json:"user,omitempty"`
	Group            string            `json:"group,omitempty"`
	Skipped          []Skipped         `json:"skipped,omitempty"`
	// Notes say how a setting was read (Type=simple → exec) and what was
	// left out; each names the unit file and line.
	Notes []string `json:"notes,omitempty"`
}

// RefusedError lists every reason the units cannot be adopted. Nothing
// was changed; each problem names the file and what to do.
type RefusedError struct{ Problems []string }

func (e *RefusedError) Error() string {
	return "cannot adopt these units:\n  " + strings.Join(e.Problems, "\n  ")
}

// parsed is one instance unit's settings, the port still literal.
type parsed struct {
	unit  *lint.Unit
	path  string
	name  string
	argv  []string
	last  map[string]lint.Assignment // the last [Service]/[Unit] assignment per key
	envs  []lint.Assignment          // every Environment=
	files []lint.Assignment          // every EnvironmentFile=
	deps  []string
}

// keys the proposal maps; others in [Service] are named in a note.
var mapped = map[string]bool{
	"ExecStart": true, "Type": true, "Restart": true, "RestartSec": true, "TimeoutStopSec": true,
	"Environment": true, "EnvironmentFile": true, "WorkingDirectory": true, "User": true, "Group": true,
}

// Propose maps the units onto one service file. Units that are not
// instances (no ExecStart=, like the guide's group unit) are skipped and
// listed; anything that does not map is a *RefusedError naming every
// problem.
func Propose(units []Unit, opts Options) (*Proposal, error) {
	p := &Proposal{}
	var ps []*parsed
	var problems []string
	for _, u := range units {
		pu, skip, err := parseOne(u)
		switch {
		case err != nil:
			problems = append(problems, err.Error())
		case skip != "":
			p.Skipped = append(p.Skipped, Skipped{Unit: filepath.Base(u.Path), Path: u.Path, Reason: skip})
		default:
			ps = append(ps, pu)
		}
	}
	if len(problems) == 0 && len(ps) < 2 {
		problems = append(problems, fmt.Sprintf("%d instance unit(s) given: adopt needs at least two units that run the same command on different ports, to tell which argument is the port", len(ps)))
	}
	if len(problems) > 0 {
		return nil, &RefusedError{Problems: problems}
	}
	if err := p.fromUnits(ps, opts); err != nil {
		return nil, err
	}
	return p, nil
}

// parseOne reads one unit; skip says why it is not an instance.
func parseOne(u Unit) (*parsed, string, error) {
	name := filepath.Base(u.Path)
	lu := lint.ParseUnit(u.Path, u.Data)
	for _, e := range lu.Errors {
		if e.Fatal {
			return nil, "", fmt.Errorf("%s:%d: %s: systemd refuses this file; fix it first", u.Path, e.Line, e.Msg)
		}
	}
	pu := &parsed{unit: lu, path: u.Path, name: name, last: map[string]lint.Assignment{}}
	for _, a := range lu.Assignments {
		switch a.Section {
		case "Service", "Unit":
		default:
			continue
		}
		switch {
		case a.Section == "Service" && a.Key == "Environment":
			pu.envs = append(pu.envs, a)
		case a.Section == "Service" && a.Key == "EnvironmentFile":
			pu.files = append(pu.files, a)
		case a.Section == "Unit" && (a.Key == "Requires" || a.Key == "BindsTo" || a.Key == "Requisite"):
			pu.deps = append(pu.deps, strings.Fields(a.Value)...)
		}
		pu.last[a.Section+"."+a.Key] = a
	}
	exec, ok := pu.last["Service.ExecStart"]
	if !ok || exec.Value == "" {
		why := "not an instance (no ExecStart=): systemd refuses to load such a service (\"has no ExecStart=\"), so it runs nothing; adopt leaves it untouched, remove it after the cutover"
		if a, ok := pu.last["Service.PartOf"]; ok {
			why += fmt.Sprintf(" (its PartOf= on line %d is in [Service], where systemd ignores it; sysroll's NAME.target is the group now)", a.Line)
		}
		return nil, why, nil
	}
	v := exec.Value
	if strings.ContainsAny(v[:1], "@-:+!") {
		return nil, "", fmt.Errorf("%s:%d: ExecStart=%s has a prefix (%c) sysroll's command cannot express; remove it or adopt by hand", u.Path, exec.Line, v, v[0])
	}
	argv, err := config.SplitCommand(v)
	if err != nil || len(argv) == 0 {
		return nil, "", fmt.Errorf("%s:%d: ExecStart=%s: %v", u.Path, exec.Line, v, err)
	}
	if !filepath.IsAbs(argv[0]) {
		return nil, "", fmt.Errorf("%s:%d: ExecStart runs %q, not an absolute path: give the binary's full path so adopt knows what the first release is", u.Path, exec.Line, argv[0])
	}
	pu.argv = argv
	return pu, "", nil
}

var digits = regexp.MustCompile(`^[0-9]+$`)

// portToken finds the one argv index where the units differ and the port
// each unit has there: the differing part must be a number 1-65535 with the
// same text around it in every unit.
func portToken(ps []*parsed) (int, string, string, []int, error) {
	first := ps[0]
	for _, p := range ps[1:] {
		if filepath.Clean(p.argv[0]) != filepath.Clean(first.argv[0]) {
			return 0, "", "", nil, fmt.Errorf("%s runs %s but %s runs %s: one sysroll service runs one program; adopt them separately", first.path, first.argv[0], p.path, p.argv[0])
		}
		if len(p.argv) != len(first.argv) {
			return 0, "", "", nil, fmt.Errorf("%s and %s run the same program with a different number of arguments (%q, %q): no common command", first.path, p.path, strings.Join(first.argv, " "), strings.Join(p.argv, " "))
		}
	}
	idx := -1
	for i := range first.argv {
		for _, p := range ps[1:] {
			if p.argv[i] != first.argv[i] {
				if idx >= 0 && idx != i {
					return 0, "", "", nil, fmt.Errorf("%s and %s differ in more than one argument (%q and %q): only the port may differ", first.path, p.path, first.argv[idx], first.argv[i])
				}
				idx = i
			}
		}
	}
	if idx < 0 {
		return 0, "", "", nil, fmt.Errorf("%s run the very same command: no argument differs, so there is no port to tell the instances apart", names(ps))
	}
	// The text around the port is what every unit's token shares at its
	// start and end, backed off so that it holds no digit of the port.
	prefix, suffix := ps[0].argv[idx], ps[0].argv[idx]
	for _, p := range ps[1:] {
		tok := p.argv[idx]
		i := 0
		for i < len(prefix) && i < len(tok) && prefix[i] == tok[i] {
			i++
		}
		prefix = prefix[:i]
		j := 0
		for j < len(suffix) && j < len(tok) && suffix[len(suffix)-1-j] == tok[len(tok)-1-j] {
			j++
		}
		suffix = suffix[len(suffix)-j:]
	}
	prefix = strings.TrimRight(prefix, "0123456789")
	suffix = strings.TrimLeft(suffix, "0123456789")
	ports := make([]int, len(ps))
	for k, p := range ps {
		tok := p.argv[idx]
		mid := ""
		if len(prefix)+len(suffix) <= len(tok) {
			mid = tok[len(prefix) : len(tok)-len(suffix)]
		}
		n, err := strconv.Atoi(mid)
		if err != nil || !digits.MatchString(mid) || strings.HasPrefix(mid, "0") || strings.HasPrefix(mid, "+") {
			return 0, "", "", nil, fmt.Errorf("%s: argument %q differs between the units but not in one port number", p.path, tok)
		}
		if n < 1 || n > 65535 {
			return 0, "", "", nil, fmt.Errorf("%s: argument %q differs between the units but %s is not a port (1-65535)", p.path, tok, mid)
		}
		if slices.Contains(ports[:k], n) {
			return 0, "", "", nil, fmt.Errorf("%s: port %d is used by another unit too: each instance needs its own port", p.path, n)
		}
		ports[k] = n
	}
	return idx, prefix, suffix, ports, nil
}

func names(ps []*parsed) string {
	var n []string
	for _, p := range ps {
		n = append(n, p.path)
	}
	return strings.Join(n, ", ")
}
