// Package config is the service file: one declarative YAML file per service
// (e.g. /etc/sysroll/hello.yaml), the single source of truth for its units, its
// health gate and its rollouts.
//
//	name: hello
//	command: "{release}/hello --port {port}"
//	instances: [8081, 8082]
//	health:
//	  http: {url: "http://127.0.0.1:{port}/healthz"}
//
// Parsing is strict: an unknown or misspelled key is an error naming
// file:line:column and the nearest valid key ("did you mean healthy_for?"), as is
// a value of the wrong type. Parse and Load apply the defaults (see Default) and
// run Validate, which reports every problem at once rather than the first one.
//
// Validation is also the first line of defence of the unit files: every value
// that ends up in a unit is checked so it cannot escape a path ('/', '..'),
// inject a line (newlines, a trailing backslash) or a systemd specifier ('%'
// outside the extra settings, where it keeps its systemd meaning). Package
// unitfile escapes what remains ('%', '$', quotes).
//
// Hostile input is bounded before it is parsed (see shape.go): at most
// MaxFileSize bytes of valid UTF-8 (a leading BOM is dropped), MaxLines lines
// of MaxLineLength, MaxTokens YAML tokens, MaxDepth levels of nesting and
// MaxEntries entries per mapping or list, so decoding any input stays within
// a fixed memory budget. Every number has a stated range (limits.go), every
// duration that reaches a unit file is checked at systemd's microsecond
// resolution, and no value may hold a control character but tab and newline.
// Warnings lists what is valid but likely a mistake (secrets in environment:,
// privileged ports an instance cannot bind).
//
// Placeholders {release}, {instance} and {port} are allowed in command,
// working_directory, health probes, hooks, environment values,
// environment_files and unit:/service: values; {port} only when the instances
// are ports, and not in a network probe with listen: (every instance serves
// the shared socket). In the unit they become %i and the release link.
// Schema returns a JSON Schema of the file for editors.
//
// A fleet's file adds hosts: (sysroll's inventory format inline, decoded by
// package inventory) or fleet.inventory (an inventory file, resolved from
// this file's directory and read by the fleet commands, not by Parse), and
// fleet.hosts (the host strategy, decoded by package fleet/plan); their
// errors carry this file's positions like any other (see fleet.go). hosts:
// is bounded by the same shape limits (about 500 hosts written one per
// line); a larger fleet goes in an inventory file. Single-host commands
// ignore both keys, and Warnings says so.
package config
