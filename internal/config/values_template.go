package config

import (
	"slices"
	"strings"
)

// Placeholders in values that otherwise reach the unit as written:
// environment values, environment_files and unit:/service: settings. The
// renderer turns {instance} and {port} into %i and {release} into the
// instance's release link (StateDir/instances/%i/current, the same path
// ExecStart= and SYSROLL_RELEASE use), so PORT={port} gives each instance
// its own port while every other '%' stays literal.

// sampleReleaseLink stands for the release link while validating: the real
// state directory is the renderer's to choose (system or user manager).
const sampleReleaseLink = "/var/lib/sysroll/NAME/instances/%i/current"

// checkValueTemplate checks the placeholders of free text (an environment
// value, a unit:/service: setting). Unlike in command, an unknown {word}
// stays as written: such text is common there ({time} in a log format,
// JSON), so only a near miss of a placeholder is refused, as a likely typo.
func (s *Service) checkValueTemplate(e *errs, path []any, v string) {
	for _, p := range placeholders(v) {
		if p == PlaceholderPort {
			e.notePort(path)
		}
		switch {
		case p == PlaceholderPort && !s.PortInstances():
			e.add(path, "uses {port} but the instances are not ports: list ports (instances: [8081, 8082]) or use {count: N, first_port: P}, or use {instance}")
		case !isPlaceholder(p):
			if hint := suggest(p, knownPlaceholders); hint != "" {
				e.add(path, "unknown placeholder {%s}%s; known: {release} {instance} {port} (any other {word} is kept as written)", p, hint)
			}
		}
	}
}

var knownPlaceholders = []string{PlaceholderInstance, PlaceholderPort, PlaceholderRelease}

// directiveValue checks the placeholders of a unit:/service: value and
// returns it as systemd will read it, with placeholders as specifiers, for
// the checks on the value. ok is false when the value cannot work: systemd
// reads some keys without specifiers, where %i would stay literal.
func (s *Service) directiveValue(e *errs, path []any, k, v string) (string, bool) {
	s.checkValueTemplate(e, path, v)
	if !hasPlaceholder(v) {
		return v, true
	}
	if slices.Contains(literalPercentKeys, k) {
		e.add(path, "value of %s has a placeholder, but systemd reads %s= without specifiers, so it cannot differ per instance; write the value itself (e.g. 512M)", k, k)
		return v, false
	}
	return MapTemplate(v, func(lit string) string { return lit }, func(name string) string {
		if name == PlaceholderRelease {
			return sampleReleaseLink
		}
		return "%i"
	}), true
}

// hasPlaceholder reports whether v uses {release}, {instance} or {port}.
func hasPlaceholder(v string) bool {
	return slices.ContainsFunc(placeholders(v), isPlaceholder)
}

// envFileProblem checks one environment_files entry: an absolute path,
// optionally "-" first (the file may be missing), which may name a file per
// instance with {instance} or {port}.
func (s *Service) envFileProblem(e *errs, path []any, f string) {
	p := strings.TrimPrefix(f, "-")
	s.checkTemplate(e, path, p, true)
	if why := pathProblem(s.Expand(p, "/release", s.sampleInstance())); why != "" {
		e.add(path, "%q %s", f, why)
	}
}
