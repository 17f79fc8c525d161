// Package fleetlb tests one HAProxy in front of a fleet (issue 11, "What
// to build" 5): three hosts (e2etest.FleetMain: real systemd and sshd in
// network namespaces), the service applied on each with
// rollout.haproxy_agent, and ONE real HAProxy on the machine, the
// controller's side of the bridge, whose servers are every host's
// instances with an agent-check to each host's socket-activated
// `sysroll agent`. Load runs through HAProxy's frontend while `sysroll
// fleet deploy` rolls a good release, then one that fails on one host;
// nothing may fail through the balancer, and HAProxy itself must be seen
// to drain every instance the rollout restarted.
// Integration tests only: go test -tags integration ./internal/e2e/fleetlb.
package fleetlb
