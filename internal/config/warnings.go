package config

import (
	"regexp"
	"slices"
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
//     (see warnPrivilegedPorts).
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
	out := make([]*FieldError, 0, len(e.list))
	for _, err := range e.list {
		out = append(out, err.(*FieldError))
	}
	return out
}
