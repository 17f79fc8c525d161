package config

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// service is a valid service file with src added, its top-level keys
// replacing those of the same name.
func service(src string) []byte {
	out := src + "\n"
	for _, line := range []string{"name: hello", "command: /bin/hello", "instances: [8081, 8082]"} {
		k, _, _ := strings.Cut(line, ":")
		if !strings.HasPrefix(src, k+":") && !strings.Contains(src, "\n"+k+":") {
			out += line + "\n"
		}
	}
	return []byte(out)
}

// Every value that validates must mean to systemd and to sysroll what it
// says, and every refusal must say the rule: the range, the limit, the
// actual length, the resolution.
func TestValueRules(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	for _, tc := range []struct {
		name, src, want string
	}{
		// Durations that reach a unit file are seen at systemd's resolution.
		{"stop-1ns", "stop_timeout: 1ns", "stop_timeout: 1ns is not a whole number of microseconds, systemd's resolution: it would become 0s in the unit file"},
		{"stop-1500ns", "stop_timeout: 1500ns", "it would become 1µs in the unit file"},
		{"restart-1ns", "restart_sec: 1ns", "restart_sec: 1ns is not a whole number of microseconds"},
		{"deadline-1ns", "health: {deadline: 1ns}", "health.deadline: 1ns is not a whole number of microseconds"},
		{"stop-zero", "stop_timeout: 0s", "stop_timeout: 0s is not allowed: use at least 1ms"},
		{"stop-too-long", "stop_timeout: 25h", "stop_timeout: 25h is too long: at most 24h"},
		{"restart-too-long", "restart_sec: 2h", "restart_sec: 2h is too long: at most 1h"},
		// Durations sysroll waits for itself.
		{"interval-1ns", "health: {interval: 1ns, timeout: 1ns}", "health.interval: 1ns is too short: use at least 10ms"},
		{"timeout-zero", "health: {timeout: 0s}", "health.timeout: 0s is not allowed: use at least 1ms"},
		{"interval-too-long", "health: {interval: 2h, healthy_for: 3h, deadline: 4h}", "health.interval: 2h is too long: at most 1h"},
		{"healthy-for-too-long", "health: {healthy_for: 25h, deadline: 26h}", "health.healthy_for: 25h is too long: at most 24h"},
		{"deadline-too-long", "health: {deadline: 25h}", "health.deadline: 25h is too long: at most 24h"},
		{"progress-too-long", "rollout: {progress_deadline: 200h}", "rollout.progress_deadline: 200h is too long: at most 168h"},
		{"drain-zero", "rollout: {drain_timeout: 0s}", "rollout.drain_timeout: 0s is not allowed: use at least 1ms"},
		{"drain-too-long", "rollout: {drain_timeout: 48h}", "rollout.drain_timeout: 48h is too long: at most 24h"},
		{"duration-overflow", "stop_timeout: 9999999h", `stop_timeout: "9999999h" is out of range: no duration can be longer than 2562047h47m16.854775807s (stop_timeout allows at most 24h)`},
		{"duration-overflow-ns", "health: {deadline: 99999999999999999999ns}", "is out of range: no duration can be longer than"},
		// Integers say their range, whether negative, zero, huge or beyond an int.
		{"count-zero", "instances: {count: 0}", "instances.count must be between 1 and 1000"},
		{"count-negative", "instances: {count: -1}", "count: -1 is out of range: instances.count must be between 1 and 1000"},
		{"count-huge", "instances: {count: 5000}", "count: 5000 is out of range: instances.count must be between 1 and 1000"},
		{"count-overflow", "instances: {count: 99999999999999999999}", "count: 99999999999999999999 is out of range: instances.count must be between 1 and 1000"},
		{"first-port-overflow", "instances: {count: 2, first_port: 99999999999999999999}", "first_port: 99999999999999999999 is out of range: instances.first_port must be between 1 and 65535"},
		{"releases-keep-huge", "releases_keep: 5000", "releases_keep: 5000 is out of range: releases_keep must be between 2 and 1000"},
		{"releases-keep-overflow", "releases_keep: 99999999999", "releases_keep: 99999999999 is out of range: releases_keep must be between 2 and 1000"},
		{"threshold-zero", "health: {healthy_threshold: 0}", "health.healthy_threshold: 0 is out of range: health.healthy_threshold must be between 1 and 100"},
		{"threshold-huge", "health: {healthy_threshold: 1000000000}", "health.healthy_threshold: 1000000000 is out of range"},
		{"unhealthy-negative", "health: {unhealthy_threshold: -1}", "health.unhealthy_threshold must be between 1 and 100"},
		{"status-overflow", "health: {http: {url: 'http://127.0.0.1:{port}/', status: 99999999999}}", "health.http.status must be between 100 and 599"},
		{"batch-huge", "rollout: {batch: 5000}", "batch size 5000 must be between 1 and 1000"},
		{"batch-overflow", "rollout: {batch: 99999999999999999999}", "batch size 99999999999999999999 is out of range: between 1 and 1000"},
		{"percent-fraction", "rollout: {batch: 25.5%}", `percentage "25.5%" must be a whole number between 1% and 100%`},
		{"budget-negative", "rollout: {failure_budget: -1}", "rollout.failure_budget: -1 must not be negative"},
		// Names and other limited strings say the limit and the length.
		{"name-300", "name: " + long(300), "it is 300 characters long, more than the 63 allowed"},
		{"instance-100", "instances: [" + long(100) + "]", "it is 100 characters long, more than the 64 allowed"},
		{"user-40", "user: " + long(40), "it is 40 characters long, more than the 32 allowed"},
		{"group-40", "user: app\ngroup: " + long(40), "it is 40 characters long, more than the 32 allowed"},
		{"backend-100", "rollout: {haproxy: {backend: " + long(100) + "}}", "(at most 64); it is 100 characters long, more than the 64 allowed"},
		{"server-100", "rollout: {haproxy: {server: " + long(100) + "}}", "it is 100 characters long, more than the 64 allowed"},
		// Control characters that could rewrite a terminal or a unit line.
		{"description-escape", `description: "red \e[31m"`, "description: contains the control character U+001B at byte 4"},
		{"hook-cr", `hooks: {pre_stop: "a\rb"}`, "hooks.pre_stop: contains the control character U+000D at byte 1"},
		{"body-c1", `health: {http: {url: "http://127.0.0.1:{port}/", body: "\u009b31m"}}`, "health.http.body: contains the control character U+009B"},
		{"body-bidi", `health: {http: {url: "http://127.0.0.1:{port}/", body: "a\u202eb"}}`, "health.http.body: contains the bidirectional control U+202E"},
		{"env-escape", `environment: {A: "\e]0;title\a"}`, "environment.A: contains the control character U+001B"},
		{"tcp-escape", `health: {tcp: {address: "127.0.0.1\e:{port}"}}`, "health.tcp.address: contains the control character U+001B"},
		// Unicode noncharacters: systemd refuses the line ("not UTF-8 clean")
		// and the unit with it.
		{"description-fffe", `description: "a\uFFFEb"`, "description: contains the Unicode noncharacter U+FFFE at byte 1, which systemd refuses"},
		{"description-10ffff", `description: "\U0010FFFF"`, "description: contains the Unicode noncharacter U+10FFFF"},
		{"env-fdd0", `environment: {A: "\uFDD0"}`, "environment.A: contains the Unicode noncharacter U+FDD0"},
		{"raw-noncharacter", `service: {MemoryMax: "1G\uFFFF"}`, "service.MemoryMax: value of MemoryMax contains the Unicode noncharacter U+FFFF"},
		{"raw-bidi", `unit: {Documentation: "man:a\u202eb"}`, "unit.Documentation: value of Documentation contains the bidirectional control U+202E"},
		{"raw-c1", `service: {MemoryMax: "1G\u0085"}`, "service.MemoryMax: value of MemoryMax contains the control character U+0085"},
		// Integers in a form YAML readers disagree on (010 was read as 8; 08
		// was "out of range: between 2 and 1000"); tags the decoder dropped
		// (!!binary names were their base64 text, !custom 5 "out of range").
		{"keep-octal", "releases_keep: 010", "releases_keep: 010 is not plain decimal: write whole numbers like 10"},
		{"keep-08", "releases_keep: 08", "releases_keep: 08 is not plain decimal"},
		{"threshold-hex", "health: {healthy_threshold: 0x3}", "health.healthy_threshold: 0x3 is not plain decimal"},
		{"budget-binary", "rollout: {failure_budget: 0b1}", "rollout.failure_budget: 0b1 is not plain decimal"},
		{"keep-underscore", "releases_keep: 1_0", "releases_keep: 1_0 is not plain decimal"},
		{"count-octal", "instances: {count: 010}", "count: 010 is not plain decimal"},
		// A directive was "one service per file: found 2 YAML documents".
		{"directive-yaml", "%YAML 1.1\n---\ndescription: x", "svc.yaml:1:1: YAML directives (%YAML, %TAG) are not supported in service files"},
		{"directive-tag", "%TAG !e! tag:example.com,2000:\n---\ndescription: x", "YAML directives (%YAML, %TAG) are not supported"},
		{"tag-binary", "description: !!binary aGk=", "description: YAML tags (!!binary) are not supported"},
		{"tag-timestamp", "description: !!timestamp 2001-12-14", "description: YAML tags (!!timestamp) are not supported"},
		{"tag-str-int", "releases_keep: !!str 5", "releases_keep: YAML tags (!!str) are not supported"},
		{"tag-custom", "releases_keep: !custom 5", "releases_keep: YAML tags (!custom) are not supported"},
		{"tag-in-list", "environment_files: [!!str /etc/a]", "environment_files[0]: YAML tags (!!str)"},
		{"tag-in-raw", "service: {MemoryMax: !!float 1}", "service.MemoryMax: YAML tags (!!float)"},
		// A name whose units would replace systemd's own in /etc/systemd/system.
		{"name-multi-user", "name: multi-user", `name: "multi-user" cannot be a service name: it is systemd's: sysroll's multi-user.target in /etc/systemd/system would replace systemd's multi-user.target`},
		{"name-user", "name: user", `name: "user" cannot be a service name: it is systemd's: sysroll's user@.service`},
		{"name-dbus", "name: dbus", "would replace systemd's unit of that name"},
		{"name-getty", "name: getty", "cannot be a service name"},
		{"name-sysroll", "name: sysroll", `name: "sysroll" cannot be a service name: it is sysroll's own: every instance gets the state directory /var/lib/NAME/INSTANCE`},
		{"name-systemd", "name: systemd-journald", "systemd- starts the names of systemd's own units"},
		{"listen-shadow", "listen: /etc/shadow", `listen: "/etc/shadow" is not the service's own: systemd binds a unix socket as root and first removes any file at its path`},
		{"listen-dbus", "listen: /run/dbus/system_bus_socket", "use /run/hello.sock or a path under /run/hello/"},
		{"listen-other-service", "listen: /run/hello2.sock", "is not the service's own"},
		{"listen-prefix", "listen: /run/hellox/a.sock", "is not the service's own"},
		// Floats (NaN, Inf, fractions) are refused wherever a number is expected.
		{"count-nan", "instances: {count: .nan}", "count: expected an integer, got a number"},
		{"releases-inf", "releases_keep: .inf", "releases_keep: expected an integer, got a number"},
		{"threshold-fraction", "health: {healthy_threshold: 1.5}", "health.healthy_threshold: expected an integer, got a number"},
		{"duration-nan", "stop_timeout: .nan", "stop_timeout: expected a duration with a unit"},
		{"duration-inf-string", "stop_timeout: infinity", `stop_timeout: "infinity" is not a duration`},
		{"batch-nan", "rollout: {batch: .nan}", "expected a count (2) or a percentage"},
		{"ramp-nan-percent", "rollout: {ramp: [NaN%]}", `percentage "NaN%" must be a whole number`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("svc.yaml", service(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

// Values at the edges of the rules are accepted, so a rule never refuses
// what it does not mean to.
func TestValueRulesAccept(t *testing.T) {
	for _, src := range []string{
		"restart_sec: 0s",
		"restart_sec: 1500us",
		"stop_timeout: 24h",
		"health: {healthy_for: 0s}",
		"health: {interval: 10ms, timeout: 10ms, healthy_for: 1s}",
		"rollout: {drain_timeout: 1ms}",
		"releases_keep: 1000",
		"instances: {count: 1000, first_port: 20000}",
		"name: " + strings.Repeat("a", 63),
		"instances: [" + strings.Repeat("a", 64) + "]",
		"hooks: {pre_stop: \"line one\\nline two\"}",
	} {
		if _, err := Parse("svc.yaml", service(src)); err != nil {
			t.Errorf("%s: %v", src, err)
		}
	}
}

// Every duration and integer setting has its range in the one table the
// checks and messages use, so a new field cannot come without one.
func TestEveryNumberHasALimit(t *testing.T) {
	var walk func(typ reflect.Type, prefix string)
	walk = func(typ reflect.Type, prefix string) {
		for f := range typ.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "" || name == "-" {
				continue
			}
			path := prefix + name
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			switch {
			case ft == durationType:
				if _, ok := durationLimits[path]; !ok {
					t.Errorf("%s: no entry in durationLimits", path)
				}
			case ft.Kind() == reflect.Int:
				if _, ok := intLimits[path]; !ok {
					t.Errorf("%s: no entry in intLimits", path)
				}
			case ft.Kind() == reflect.Struct:
				walk(ft, path+".")
			}
		}
	}
	walk(reflect.TypeOf(Service{}), "")
}

// schema.json states every range of intLimits and durationLimits.
func TestSchemaStatesTheLimits(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(Schema(), &doc); err != nil {
		t.Fatal(err)
	}
	prop := func(name string) map[string]any {
		node := doc
		for _, k := range strings.Split(name, ".") {
			props, _ := node["properties"].(map[string]any)
			node, _ = props[k].(map[string]any)
		}
		return node
	}
	for name, r := range intLimits {
		if strings.HasPrefix(name, "instances.") {
			continue // inside a oneOf; checked by hand
		}
		p := prop(name)
		if p["minimum"] != float64(r[0]) || p["maximum"] != float64(r[1]) {
			t.Errorf("schema %s: minimum %v, maximum %v; want %d and %d", name, p["minimum"], p["maximum"], r[0], r[1])
		}
	}
	for name, l := range durationLimits {
		desc, _ := prop(name)["description"].(string)
		if !strings.Contains(desc, "at most "+human(l.max)) {
			t.Errorf("schema %s: description %q does not say \"at most %s\"", name, desc, human(l.max))
		}
		if l.min > 0 && !strings.Contains(strings.ToLower(desc), "least "+human(l.min)) {
			t.Errorf("schema %s: description %q does not say the minimum %s", name, desc, human(l.min))
		}
		if l.rendered && !strings.Contains(desc, "whole microseconds") {
			t.Errorf("schema %s: description %q does not say systemd's resolution", name, desc)
		}
	}
}

// The service's own socket paths under /run pass.
func TestOwnSocketPaths(t *testing.T) {
	for _, p := range []string{"/run/hello.sock", "/run/hello/http.sock", "/run/hello/a/b.sock"} {
		if _, err := Parse("svc.yaml", service("listen: "+p)); err != nil {
			t.Errorf("listen: %s: %v", p, err)
		}
	}
}

// Names near systemd's stay free.
func TestNamesNearReserved(t *testing.T) {
	for _, n := range []string{"users", "multi-user-app", "my-systemd-tool", "dbus-proxy", "default-api", "systemd"} {
		if _, err := Parse("svc.yaml", service("name: "+n)); err != nil {
			t.Errorf("name: %s: %v", n, err)
		}
	}
}
