package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Validate checks the whole service and returns every problem at once
// (errors.Join of *FieldError), each naming file:line:column when the Service
// came from Parse or Load. It checks values that would escape a path or inject
// into a unit file, and cross-field rules such as healthy_for < deadline.
func (s *Service) Validate() error {
	e := &errs{src: s.src}
	s.validate(e)
	return e.join()
}

// validate runs every check into e; validateFleet last (see there).
func (s *Service) validate(e *errs) {
	s.validateIdentity(e)
	s.validateInstances(e)
	s.validateCommand(e)
	s.validateEnvironment(e)
	s.validateHealth(e)
	s.validateRollout(e)
	s.validateMisc(e)
	s.validateHardening(e)
	s.validateDirectives(e)
	s.validateAnalysis(e)
	s.validateFleet(e)
}

func (s *Service) validateIdentity(e *errs) {
	switch {
	case s.Name == "":
		e.add(at("name"), "is required (e.g. name: hello)")
	case !nameRe.MatchString(s.Name):
		e.add(at("name"), "%s is not a valid service name: %s; use lowercase letters, digits, '-' and '_', at most 63", short(s.Name), whyBadName(s.Name, 63))
	case reservedNameProblem(s.Name) != "":
		e.add(at("name"), "%q cannot be a service name: %s; choose another name", s.Name, reservedNameProblem(s.Name))
	}
	if hasControl(s.Description) {
		e.add(at("description"), "contains a newline or control character: a description is one line")
	} else if strings.HasSuffix(s.Description, `\`) {
		e.add(at("description"), "ends with a backslash, which would continue onto the next line of the unit file")
	}
	if why := oneOf(string(s.Type), string(TypeNotify), string(TypeExec), string(TypeSimple)); why != "" {
		e.add(at("type"), "%s", why)
	}
	if s.User != "" {
		switch {
		case !userRe.MatchString(s.User):
			e.add(at("user"), "%s is not a valid user name: %s; use lowercase letters, digits, '-' and '_', at most 32", short(s.User), whyBadName(s.User, 32))
		case s.User == "root":
			e.add(at("user"), "sysroll does not run instances as root; leave user empty for a dynamic user, or use hardening.capabilities for what root was needed for")
		case s.User == "nobody":
			e.add(at("user"), "nobody owns the files of every sandboxed service (systemd warns: not safe); leave user empty for a dynamic user")
		}
	}
	if s.Group != "" {
		switch {
		case !userRe.MatchString(s.Group):
			e.add(at("group"), "%s is not a valid group name: %s; use lowercase letters, digits, '-' and '_', at most 32", short(s.Group), whyBadName(s.Group, 32))
		case s.Group == "nogroup":
			e.add(at("group"), "nogroup is shared by every sandboxed service (systemd warns: not safe); use the user's own group")
		case s.User == "":
			e.add(at("group"), "needs user: a dynamic user gets its own group")
		}
	}
}

func (s *Service) validateInstances(e *errs) {
	in := s.Instances
	if in.Count != 0 || in.FirstPort != 0 {
		checkInt(e, "instances.count", in.Count)
		if in.FirstPort != 0 {
			if _, ok := parsePort(fmt.Sprint(in.FirstPort)); !ok {
				e.add(at("instances", "first_port"), "port %d out of range 1-65535", in.FirstPort)
			} else if last := in.FirstPort + in.Count - 1; last > 65535 {
				e.add(at("instances", "count"), "the last port would be %d, out of range 1-65535", last)
			}
		}
		return
	}
	if len(in.List) == 0 {
		e.add(at("instances"), "at least one instance is required (e.g. instances: [8081, 8082] or {count: 2, first_port: 8081})")
		return
	}
	if len(in.List) > MaxInstances {
		e.add(at("instances"), "%d instances, more than the %d allowed", len(in.List), MaxInstances)
	}
	seen := make(map[string]int)
	for i, name := range in.List {
		if integerRe.MatchString(name) {
			if _, ok := parsePort(name); !ok {
				e.add(at("instances", i), "port %s out of range 1-65535 (no sign, no leading zero)", name)
				continue
			}
		} else if !instanceRe.MatchString(name) {
			e.add(at("instances", i), "%s is not a valid instance name: %s; use letters, digits, '-' and '_', at most 64", short(name), whyBadName(name, 64))
			continue
		}
		if j, dup := seen[name]; dup {
			e.add(at("instances", i), "duplicate instance %q (also instances[%d])", name, j)
			continue
		}
		seen[name] = i
	}
}

// checkTemplate checks the placeholders of a templated value.
func (s *Service) checkTemplate(e *errs, path []any, v string, allowRelease bool) {
	for _, p := range placeholders(v) {
		if p == PlaceholderPort {
			e.notePort(path)
		}
		switch {
		case p == PlaceholderPort && !s.PortInstances():
			e.add(path, "uses {port} but the instances are not ports: list ports (instances: [8081, 8082]) or use {count: N, first_port: P}")
		case p == PlaceholderRelease && !allowRelease:
			e.add(path, "{release} is not available here")
		case !isPlaceholder(p):
			e.add(path, "unknown placeholder {%s}%s; known: {release} {instance} {port}", p,
				suggest(p, []string{PlaceholderInstance, PlaceholderPort, PlaceholderRelease}))
		}
	}
}

func (s *Service) validateCommand(e *errs) {
	if strings.TrimSpace(s.Command) == "" {
		e.add(at("command"), "is required (e.g. command: \"{release}/hello --port {port}\")")
	} else if argv, err := SplitCommand(s.Command); err != nil {
		e.add(at("command"), "%v", err)
	} else if len(argv) == 0 {
		e.add(at("command"), "is empty")
	} else {
		s.checkTemplate(e, at("command"), s.Command, true)
		prog := s.Expand(argv[0], "/release", s.sampleInstance())
		switch {
		case argv[0] == "":
			e.add(at("command"), "the program name is empty")
		case strings.IndexAny(argv[0], "@-:+!") == 0:
			e.add(at("command"), "the program %q must not start with one of @-:+! (systemd reads those as ExecStart= prefixes)", argv[0])
		case !strings.HasPrefix(prog, "/") && strings.Contains(prog, "/"):
			e.add(at("command"), "the program %q must be an absolute path, {release}/..., or a bare name found in PATH", argv[0])
		}
	}
	wd := strings.TrimPrefix(s.WorkingDirectory, "-")
	switch {
	case s.WorkingDirectory == "" || wd == "~":
	case hasControl(wd) || strings.ContainsAny(wd, " \t"):
		e.add(at("working_directory"), "contains a space, newline or control character")
	default:
		s.checkTemplate(e, at("working_directory"), wd, true)
		if why := pathProblem(s.Expand(wd, "/release", s.sampleInstance())); why != "" {
			e.add(at("working_directory"), "%q %s", s.WorkingDirectory, why)
		}
	}
}

func (s *Service) validateEnvironment(e *errs) {
	for k, v := range s.Environment {
		switch {
		case strings.Contains(k, "="):
			e.add(at("environment", key(k)), "variable name %q contains '='", k)
		case !envKeyRe.MatchString(k):
			e.add(at("environment", key(k)), "variable name %q: use letters, digits and '_', not starting with a digit", k)
		case strings.HasPrefix(k, "SYSROLL_"):
			e.add(at("environment", key(k)), "SYSROLL_* variables are set by sysroll")
		}
		if hasControl(v) {
			e.add(at("environment", k), "value of %s contains a newline or control character", k)
		} else {
			s.checkValueTemplate(e, at("environment", k), v)
		}
	}
	for i, f := range s.EnvironmentFiles {
		s.envFileProblem(e, at("environment_files", i), f)
	}
	if s.Listen != "" {
		if why := listenProblem(s.Listen); why != "" {
			e.add(at("listen"), "%q %s", s.Listen, why)
		} else if why := s.socketPathProblem(); why != "" {
			e.add(at("listen"), "%q %s", s.Listen, why)
		}
	}
}

func (s *Service) validateHealth(e *errs) {
	h := s.Health
	checkDuration(e, "health.interval", h.Interval)
	checkDuration(e, "health.timeout", h.Timeout)
	checkDuration(e, "health.deadline", h.Deadline)
	checkDuration(e, "health.healthy_for", h.HealthyFor)
	if h.Timeout > h.Interval && h.Interval > 0 {
		e.add(at("health", "timeout"), "%v must not be longer than health.interval (%v)", h.Timeout, h.Interval)
	}
	if h.HealthyFor > 0 && h.Interval >= h.HealthyFor {
		e.add(at("health", "interval"), "%v must be shorter than health.healthy_for (%v), or the window sees at most one probe", h.Interval, h.HealthyFor)
	}
	if h.HealthyFor >= h.Deadline && h.Deadline > 0 {
		e.add(at("health", "healthy_for"), "%v must be shorter than health.deadline (%v), or no instance can ever pass", h.HealthyFor, h.Deadline)
	}
	if r := intLimits["health.healthy_threshold"]; h.HealthyThreshold < r[0] || h.HealthyThreshold > r[1] {
		checkInt(e, "health.healthy_threshold", h.HealthyThreshold)
	} else if h.Interval > 0 && h.Interval <= durationLimits["health.interval"].max && time.Duration(h.HealthyThreshold)*h.Interval >= h.Deadline {
		e.add(at("health", "healthy_threshold"), "%d probes every %v cannot pass within health.deadline (%v)", h.HealthyThreshold, h.Interval, h.Deadline)
	}
	checkInt(e, "health.unhealthy_threshold", h.UnhealthyThreshold)
	sample := s.sampleInstance()
	if p := h.HTTP; p != nil {
		s.checkProbeTemplate(e, at("health", "http", "url"), p.URL)
		u, err := url.Parse(s.Expand(p.URL, "/release", sample))
		switch {
		case p.URL == "":
			e.add(at("health", "http", "url"), "is required (e.g. http://127.0.0.1:{port}/healthz)")
		case err != nil:
			e.add(at("health", "http", "url"), "%q is not a URL: %v", p.URL, err)
		case u.Scheme != "http" && u.Scheme != "https":
			e.add(at("health", "http", "url"), "%q must start with http:// or https://", p.URL)
		case u.Host == "":
			e.add(at("health", "http", "url"), "%q has no host", p.URL)
		}
		if p.Status < 100 || p.Status > 599 {
			e.add(at("health", "http", "status"), "%d is not an HTTP status: health.http.status %s", p.Status, intRule("health.http.status"))
		}
	}
	if p := h.TCP; p != nil {
		s.checkProbeTemplate(e, at("health", "tcp", "address"), p.Address)
		if p.Address == "" {
			e.add(at("health", "tcp", "address"), "is required (e.g. 127.0.0.1:{port})")
		} else if why := hostPortProblem(s.Expand(p.Address, "", sample)); why != "" {
			e.add(at("health", "tcp", "address"), "%q %s", p.Address, why)
		}
	}
	if p := h.Exec; p != nil {
		s.checkTemplate(e, at("health", "exec", "command"), p.Command, true)
		if argv, err := SplitCommand(p.Command); err != nil {
			e.add(at("health", "exec", "command"), "%v", err)
		} else if len(argv) == 0 {
			e.add(at("health", "exec", "command"), "is required")
		} else if prog := s.Expand(argv[0], "/release", s.sampleInstance()); !strings.HasPrefix(prog, "/") && strings.Contains(prog, "/") {
			// The probe runs as sysroll (root, for the system manager) from
			// wherever the operator happens to be: a relative path would run
			// whatever that directory holds.
			e.add(at("health", "exec", "command"), "the program %q must be an absolute path, {release}/..., or a bare name found in PATH: a relative path would run from whatever directory sysroll is started in", argv[0])
		}
	}
}

// sampleInstance is an instance name for checking expanded templates.
func (s *Service) sampleInstance() string {
	if names := s.InstanceNames(); len(names) > 0 {
		return names[0]
	}
	return "1"
}

// socketPathProblem refuses a unix socket path outside the service's own
// names under /run. systemd binds it as root and, when a file is already
// there, removes that file and binds again (socket_address_listen): listen:
// /etc/shadow replaced /etc/shadow with a socket, /run/dbus/system_bus_socket
// would take the host's D-Bus away.
func (s *Service) socketPathProblem() string {
	p := s.Listen
	if !strings.HasPrefix(p, "/") || s.Name == "" {
		return ""
	}
	own := "/run/" + s.Name
	if p == own+".sock" || strings.HasPrefix(p, own+"/") {
		return ""
	}
	return fmt.Sprintf("is not the service's own: systemd binds a unix socket as root and first removes any file at its path, whatever it is; use %s.sock or a path under %s/", own, own)
}
