package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// secretKeyRe matches environment variable names that usually hold secrets.
// PASSWORD and SECRET anywhere; TOKEN, KEY and the like as a whole word
// (API_TOKEN, SIGNING_KEY), so KEYBOARD and TOKENIZER do not warn.
var secretKeyRe = regexp.MustCompile(`(?i)(PASSWORD|PASSWD|SECRET|(^|_)(TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|KEY|CREDENTIALS?)(_|$))`)

// Warnings lists what is valid but probably not what the author wants, each
// with the fix; unlike Validate's errors they do not stop anything:
//   - environment: values whose name looks like a secret, since environment:
//     is copied into the unit file (mode 0644) and into the installed
//     service.yaml, which anyone on the host can read, and shows in
//     `systemctl show`;
//   - a port instance below 1024 with no listen: socket and no way to bind it
//     (see warnPrivilegedPorts);
//   - a systemd %i written in environment: or environment_files:, where a
//     '%' is literal (see warnLiteralSpecifiers);
//   - hosts: or fleet: in a file a single-host command acts on (see
//     warnFleetIgnored).
//
// The callers (render, apply) print them.
func (s *Service) Warnings() []*FieldError {
	e := &errs{src: s.src}
	s.warnPrivilegedPorts(e)
	keys := make([]string, 0, len(s.Environment))
	for k := range s.Environment {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if secretKeyRe.MatchString(k) && s.Environment[k] != "" {
			e.add(at("environment", key(k)), "looks like a secret, but environment: is copied into files anyone can read (unit file, installed service.yaml): use environment_files: (a file of mode 0600), or service: {LoadCredential: \"%s:/etc/sysroll/%s\"} with hardening.allow_raw: [LoadCredential]", k, k)
		}
	}
	s.warnLiteralSpecifiers(e, keys)
	s.warnFleetIgnored(e)
	out := make([]*FieldError, 0, len(e.list))
	for _, err := range e.list {
		out = append(out, err.(*FieldError))
	}
	return out
}

// warnLiteralSpecifiers warns of a systemd %i or %I where a '%' is literal:
// as the whole of an environment value (Node's PORT=%i became NaN) or in an
// environment file's name. A %i inside a longer value may well be meant (a
// printf format), so it does not warn. {instance} and {port} give each
// instance its own value there.
func (s *Service) warnLiteralSpecifiers(e *errs, envKeys []string) {
	const fix = "a '%%' is literal here, so the app gets the text %s; write {port} (instances that are ports) or {instance} for the instance's own value"
	for _, k := range envKeys {
		if v := strings.TrimSpace(s.Environment[k]); v == "%i" || v == "%I" {
			e.add(at("environment", key(k)), fix, v)
		}
	}
	for i, f := range s.EnvironmentFiles {
		if strings.Contains(f, "%i") || strings.Contains(f, "%I") {
			e.add(at("environment_files", i), "a '%%' is literal here, so systemd reads a file named %s; write {instance} (or {port}) for a file per instance", f)
		}
	}
}

// FleetIgnored starts the warning that a file's fleet part is not applied:
// every caller of Warnings is a single-host command today; a fleet command
// that shares the file leaves this one out.
const FleetIgnored = "this file describes a fleet"

// warnFleetIgnored tells an operator who runs deploy (or apply, render...)
// on a fleet's service file that only this machine is acted on: the hosts:
// and fleet: keys are read and checked, but not applied.
func (s *Service) warnFleetIgnored(e *errs) {
	if !s.IsFleet() {
		return
	}
	what := "an inventory file (fleet.inventory)"
	if s.Hosts.Inventory != nil {
		what = fmt.Sprintf("%d hosts", len(s.Hosts.Inventory.Hosts))
	}
	path := at("fleet")
	if s.Hosts.node != nil || s.Hosts.Inventory != nil {
		path = at("hosts")
	}
	e.add(path, "%s (%s), but this command acts on this machine only: hosts: and fleet: are not applied here (roll the fleet with: sysroll fleet deploy FILE)", FleetIgnored, what)
}
