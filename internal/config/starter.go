package config

import (
	"fmt"
	"strings"
)

// ValidateName reports whether name can be a service name ([a-z0-9][a-z0-9_-]{0,62}).
func ValidateName(name string) error {
	if !nameRe.MatchString(name) {
		return fmt.Errorf("%s is not a valid service name: %s; use lowercase letters, digits, '-' and '_', at most 63", short(name), whyBadName(name, 63))
	}
	return nil
}

// Starter returns a commented service file for `sysroll init NAME`: two port
// instances of a Go HTTP service with an HTTP health check and a one-at-a-time
// rollout. It parses and validates as is; name should pass ValidateName.
func Starter(name string) []byte {
	return []byte(strings.ReplaceAll(starter, "NAME", name))
}

const starter = `# sysroll service file (YAML). Unknown keys are errors, so a typo cannot hide.
# Every key below is optional except name, command and instances.

name: NAME                    # units: NAME@.service (one per instance), NAME.target (the group)
description: NAME, rolled by sysroll

# argv of one instance (quotes work as in a shell; no shell runs it).
#   {release}  the release this instance runs (sysroll switches it per instance)
#   {instance} the instance name, {port} the same when instances are ports
command: "{release}/NAME --port {port}"

instances: [8081, 8082]       # or {count: 3, first_port: 8081}, or names: [a, b]

type: notify                  # notify: started = the app sent READY=1 (sd_notify); exec | simple otherwise

# environment:                 # placeholders work here too: PORT: "{port}"
#   GOMAXPROCS: "2"
# environment_files: [-/etc/NAME.env, "-/etc/NAME/{instance}.env"]   # leading "-": optional; secrets go here (mode 0600), not in environment:

# listen: 127.0.0.1:8080      # one shared socket (NAME.socket) for all instances: restarts refuse no connection
#                             # (then no instance has a port of its own: probe the socket, not {port})

health:
  http:
    url: "http://127.0.0.1:{port}/healthz"
    status: 200
  # tcp: {address: "127.0.0.1:{port}"}              # a TCP connect (an app with no HTTP endpoint)
  # exec: {command: "{release}/NAME -check {port}"}  # a command that exits 0 (argv, no shell)
  #                           # (any combination of http, tcp and exec: every one must pass)
  interval: 1s
  timeout: 1s
  healthy_for: 5s             # must keep passing this long, without the unit restarting
  deadline: 60s               # per instance: ready and healthy within this, or it failed

rollout:
  batch: 1                    # or "25%"; ramp: [1, "25%", "100%"] for a canary first
  # steps: [{batch: 1}, {pause: 15m}, {batch: "100%"}]   # instead of batch/ramp: a canary, a watched bake, the rest
  #   {pause: {}} is an approval gate: deploy exits 3 there, sysroll promote NAME goes on
  # pause_expiry: 24h           # a gate left waiting then runs on_pause_expiry: rollback (or keep)
  failure_action: rollback    # rollback | rollback-all | halt
  drain_timeout: 30s          # wait for in-flight work after leaving traffic (1ms-24h; 0s is refused)
  # haproxy: {socket: /run/haproxy/admin.sock, backend: NAME, server: "s{instance}"}
  # haproxy_agent: {listen: "0.0.0.0:9700"}   # HAProxy on another machine: docs/haproxy-fleet.md

# hooks:
#   pre_stop: "logger taking {instance} out"    # /bin/sh -c, with SYSROLL_* variables
#   post_start: "logger {instance} is back"

releases_keep: 5
stop_timeout: 30s             # TimeoutStopSec=, then SIGKILL (1ms-24h)
restart_sec: 2s               # RestartSec= after a crash (0s-1h)

# Instances run sandboxed (dynamic user, read-only system, no devices, syscall
# filter...). Relax only what the app needs, e.g.:
# hardening:
#   memory_deny_write_execute: false   # JIT runtimes (Java, Node)
#   capabilities: [CAP_NET_BIND_SERVICE]
# unit: {After: [postgresql.service]}   # extra [Unit] settings
# service: {MemoryMax: 512M}            # extra [Service] settings

# Metric analysis after each batch of a deploy is back in traffic: the batch
# (the canary) against the instances not yet touched (the baseline); a failed
# analysis rolls the batch back whatever failure_budget says. docs/analysis.md
# analysis:
#   initial_delay: 30s          # then count measurements interval apart
#   interval: 10s
#   count: 6
#   window: 2m                  # {window}, clipped to the time since the batch went back
#   prometheus: {address: "http://127.0.0.1:9090", instance_label: "127.0.0.1:{port}"}
#   metrics:
#     - name: errors
#       errors: sum(increase(http_requests_total{instance=~"{instances}",code=~"5.."}[{window}]))
#       total: sum(increase(http_requests_total{instance=~"{instances}"}[{window}]))
#       max: 0.01               # the last batch has no baseline: an absolute bound is needed
#       vs_baseline: {max_ratio: 2, max_delta: 0.002}
#   journal: {max_per_minute: 10}   # or error-priority journal lines, with no Prometheus at all

# A fleet: the same service on several hosts over SSH, rolled host batch by
# host batch (each host rolls its own instances by rollout: above). Commands
# on this machine (apply, deploy, render) ignore these keys.
# hosts:
#   defaults: {user: deploy, identity: ~/.ssh/deploy_ed25519}
#   hosts:
#     - {name: app1, address: 10.0.0.11, labels: {zone: a}}
#     - {name: app2, address: 10.0.0.12, labels: {zone: b}}
#     - {name: app3, address: 10.0.0.13, labels: {zone: c}, instances: [8081]}
# fleet:                      # or fleet: {inventory: hosts.ini} instead of hosts: (Ansible's works)
#   hosts:
#     batch: 1                # hosts at once, or "25%"; ramp: [1, "50%", "100%"]
#     max_per_label: {zone: 1}   # never two hosts of one zone together
#     failure_action: rollback   # rollback | rollback-all | halt
#     min_available: "75%"       # instances serving fleet-wide during a host batch
`
