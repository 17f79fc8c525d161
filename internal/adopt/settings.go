package adopt

import (
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/lint"
)

// fromUnits fills p from the instance units; every setting must be the
// same in all of them once each unit's port is read as {port}.
func (p *Proposal) fromUnits(ps []*parsed, opts Options) error {
	idx, prefix, suffix, ports, err := portToken(ps)
	if err != nil {
		return &RefusedError{Problems: []string{err.Error()}}
	}
	first := ps[0]
	argv := append([]string(nil), first.argv...)
	p.Binary = filepath.Clean(argv[0])
	argv[0] = "{release}/" + filepath.Base(p.Binary)
	argv[idx] = prefix + "{port}" + suffix
	p.Command = joinCommand(argv)

	unitNames := map[string]bool{}
	for _, pu := range ps {
		unitNames[pu.name] = true
	}
	for k, pu := range ps {
		in := Instance{Port: ports[k], Unit: pu.name, Path: pu.path}
		for _, d := range pu.deps {
			if unitNames[d] && d != pu.name {
				in.Requires = append(in.Requires, d)
			}
		}
		p.Instances = append(p.Instances, in)
	}
	sort.Slice(p.Instances, func(i, j int) bool { return p.Instances[i].Port < p.Instances[j].Port })

	var problems []string
	// same returns the value of section.key, which must be the same in
	// every unit with the unit's port read as {port}.
	same := func(key string) (lint.Assignment, bool) {
		var val string
		var got lint.Assignment
		var ok bool
		for k, pu := range ps {
			a, has := pu.last[key]
			v := ""
			if has {
				v = withPort(a.Value, ports[k])
			}
			if k == 0 {
				val, got, ok = v, a, has
				got.Value = v
				continue
			}
			if v != val || has != ok {
				problems = append(problems, fmt.Sprintf("%s and %s differ in %s (%q, %q): they must be the same but for the port", first.path, pu.path, strings.TrimPrefix(strings.TrimPrefix(key, "Service."), "Unit."), val, v))
			}
		}
		return got, ok
	}

	p.Name = opts.Name
	if p.Name == "" {
		p.Name = commonName(ps)
	}
	if err := config.ValidateName(p.Name); err != nil {
		problems = append(problems, fmt.Sprintf("service name %q (from the units' common prefix): %v; give one with --name", p.Name, err))
	}
	p.Description = commonDescription(ps)
	p.typeFrom(first, same, &problems)
	var ok bool
	p.StopTimeout, _ = p.sameSpan(ps, "TimeoutStopSec", &problems)
	p.RestartDelay, ok = p.sameSpan(ps, "RestartSec", &problems)
	p.RestartDelaySet = ok
	if a, ok := same("Service.Restart"); ok && a.Value != "on-failure" {
		p.note("%s:%d: Restart=%s: sysroll's instances restart on-failure; set it under service: if you need %s", first.path, a.Line, a.Value, a.Value)
	}
	if a, ok := same("Service.WorkingDirectory"); ok {
		p.WorkingDirectory = a.Value
	} else {
		p.WorkingDirectory = "/"
		p.note("the units set no WorkingDirectory=, so they ran in /; the proposal keeps / (sysroll's default would be the release directory)")
	}
	if a, ok := same("Service.User"); ok {
		p.User = a.Value
	} else {
		p.note("the units set no User=, so they ran as root; the proposal runs them as a DynamicUser (sysroll's default sandbox): set user: root if they need it")
	}
	if a, ok := same("Service.Group"); ok {
		p.Group = a.Value
	}
	p.envFrom(ps, ports, &problems)
	for _, pu := range ps {
		for _, a := range pu.unit.Assignments {
			if a.Section == "Service" && !mapped[a.Key] {
				p.note("%s:%d: %s=%s is not carried over: add it under service: in the service file if it is needed", pu.path, a.Line, a.Key, a.Value)
			}
		}
		if pu != first {
			continue
		}
		for _, a := range pu.unit.Assignments {
			if a.Section == "Unit" && a.Key != "Description" && !(isDep(a.Key) && allAdopted(a.Value, unitNames)) {
				p.note("%s:%d: [Unit] %s=%s is not carried over: add it under unit: in the service file if it is needed", pu.path, a.Line, a.Key, a.Value)
			}
		}
	}
	if len(problems) > 0 {
		return &RefusedError{Problems: problems}
	}
	return nil
}

func isDep(key string) bool {
	switch key {
	case "Requires", "BindsTo", "Requisite", "After", "Before", "Wants", "PartOf":
		return true
	}
	return false
}

func allAdopted(v string, units map[string]bool) bool {
	for _, f := range strings.Fields(v) {
		if !units[f] {
			return false
		}
	}
	return true
}

// typeFrom maps Type=: simple (systemd's default) becomes exec.
func (p *Proposal) typeFrom(first *parsed, same func(string) (lint.Assignment, bool), problems *[]string) {
	a, ok := same("Service.Type")
	t := "simple"
	if ok {
		t = a.Value
	}
	switch t {
	case "simple", "exec":
		p.Type = config.TypeExec
		if t == "simple" {
			p.note("%s: Type=%s → type: exec: like simple, systemd does not wait for the app to say it is ready, but a binary that cannot be executed fails the start instead of looking started; sysroll's default, notify, would wait for READY=1, which the app may never send", first.path, t)
		}
	case "notify":
		p.Type = config.TypeNotify
	default:
		*problems = append(*problems, fmt.Sprintf("%s:%d: Type=%s: sysroll runs notify, exec or simple services; a %s service does not map", first.path, a.Line, t, t))
	}
}

// sameSpan is a time span every unit sets to the same duration, as its
// author meant it (span); ok is false when none sets it.
func (p *Proposal) sameSpan(ps []*parsed, key string, problems *[]string) (time.Duration, bool) {
	var d time.Duration
	var set bool
	for k, pu := range ps {
		a, has := pu.last["Service."+key]
		var v time.Duration
		if has {
			v = p.span(pu, a, problems)
		}
		if k == 0 {
			d, set = v, has
			continue
		}
		if has != set || v != d {
			*problems = append(*problems, fmt.Sprintf("%s and %s differ in %s= (%s, %s): they must be the same", ps[0].path, pu.path, key, spanText(set, d), spanText(has, v)))
		}
	}
	return d, set
}

func spanText(set bool, d time.Duration) string {
	if !set {
		return "unset"
	}
	return d.String()
}

// span reads a time span as the author meant it: systemd knows no inline
// comments, so "2  # delay" fails to parse and systemd ignores the line;
// the number before the '#' is what was meant.
func (p *Proposal) span(first *parsed, a lint.Assignment, problems *[]string) time.Duration {
	d, err := lint.ParseTimespan(a.Value)
	if err == nil {
		if d == lint.Infinity {
			*problems = append(*problems, fmt.Sprintf("%s:%d: %s=infinity has no sysroll equivalent: give a finite span", first.path, a.Line, a.Key))
		}
		return d
	}
	if before, _, ok := strings.Cut(a.Value, "#"); ok {
		if d, err2 := lint.ParseTimespan(before); err2 == nil {
			p.note("%s:%d: %s=%s: systemd knows no inline comments, so it could not parse the value and ignored the line (it used its default); taken as %s, as the author meant it", first.path, a.Line, a.Key, a.Value, d)
			return d
		}
	}
	*problems = append(*problems, fmt.Sprintf("%s:%d: %s=%s: %v", first.path, a.Line, a.Key, a.Value, err))
	return 0
}

// envFrom maps Environment= and EnvironmentFile=.
func (p *Proposal) envFrom(ps []*parsed, ports []int, problems *[]string) {
	var envs []map[string]string
	var files [][]string
	for k, pu := range ps {
		env := map[string]string{}
		for _, a := range pu.envs {
			words, err := config.SplitCommand(a.Value)
			if err != nil {
				*problems = append(*problems, fmt.Sprintf("%s:%d: Environment=%s: %v", pu.path, a.Line, a.Value, err))
				continue
			}
			if len(words) == 0 {
				env = map[string]string{} // an empty Environment= resets the list
			}
			for _, w := range words {
				name, val, ok := strings.Cut(w, "=")
				if !ok {
					*problems = append(*problems, fmt.Sprintf("%s:%d: Environment= word %q is not NAME=VALUE", pu.path, a.Line, w))
					continue
				}
				env[name] = withPort(val, ports[k])
			}
		}
		var fs []string
		for _, a := range pu.files {
			if a.Value == "" {
				fs = nil
				continue
			}
			fs = append(fs, withPort(a.Value, ports[k]))
		}
		envs, files = append(envs, env), append(files, fs)
	}
	for k := 1; k < len(ps); k++ {
		if fmt.Sprint(envs[k]) != fmt.Sprint(envs[0]) {
			*problems = append(*problems, fmt.Sprintf("%s and %s set a different Environment= (%v, %v): it must be the same but for the port", ps[0].path, ps[k].path, envs[0], envs[k]))
		}
		if strings.Join(files[k], "\n") != strings.Join(files[0], "\n") {
			*problems = append(*problems, fmt.Sprintf("%s and %s read a different EnvironmentFile= (%v, %v): it must be the same but for the port", ps[0].path, ps[k].path, files[0], files[k]))
		}
	}
	if len(envs[0]) > 0 {
		p.Environment = envs[0]
	}
	p.EnvironmentFiles = files[0]
}

func (p *Proposal) note(format string, a ...any) {
	p.Notes = append(p.Notes, fmt.Sprintf(format, a...))
}

// withPort replaces the port, as a whole number, with {port}.
func withPort(v string, port int) string {
	re := regexp.MustCompile(`(^|[^0-9])` + strconv.Itoa(port) + `($|[^0-9])`)
	for {
		n := re.ReplaceAllString(v, "${1}{port}${2}")
		if n == v {
			return v
		}
		v = n
	}
}

// commonName is the units' common name prefix without trailing '-', '_',
// '.' or digits: my-service-1.service, my-service-2.service → my-service.
func commonName(ps []*parsed) string {
	pre := strings.TrimSuffix(ps[0].name, ".service")
	for _, pu := range ps[1:] {
		n := strings.TrimSuffix(pu.name, ".service")
		i := 0
		for i < len(pre) && i < len(n) && pre[i] == n[i] {
			i++
		}
		pre = pre[:i]
	}
	return strings.TrimRight(pre, "-_.@0123456789")
}

// commonDescription is the descriptions' common prefix, trimmed of a
// trailing "Instance" word: "My Go Application Instance 1" → "My Go Application".
func commonDescription(ps []*parsed) string {
	var ds []string
	for _, pu := range ps {
		a, ok := pu.last["Unit.Description"]
		if !ok {
			return ""
		}
		ds = append(ds, a.Value)
	}
	pre := ds[0]
	for _, d := range ds[1:] {
		i := 0
		for i < len(pre) && i < len(d) && pre[i] == d[i] {
			i++
		}
		pre = pre[:i]
	}
	pre = strings.TrimRight(pre, " -_#0123456789")
	pre = strings.TrimSuffix(pre, "Instance")
	return strings.TrimSpace(pre)
}

// joinCommand renders argv as a service-file command, quoting words that
// need it.
func joinCommand(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t'\"\\$`") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}
