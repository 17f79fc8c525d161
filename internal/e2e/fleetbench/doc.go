// Package fleetbench measures `sysroll fleet` on a 10-host fleet (issue
// 11, "Benchmarks"): each host a real systemd in its own network
// namespace with a real sshd (internal/e2etest), running 4 instances of
// the hello example, and the controller the built sysroll binary.
//
//   - BenchmarkFleetDeploy/max_parallel=1 and =5: a new release per
//     iteration; the controller's wall time against the sum, over the host
//     batches, of the slowest host's own rollout (its first event to its
//     rollout-end, from the controller's --json stream): the ratio is the
//     controller's cost, the target is at most 1.10.
//   - BenchmarkFleetOverhead: what the controller adds per host: connect,
//     handshake and the checks that skip the copy (timed on the
//     controller's own Host, one host at a time), and start and follow
//     (from the --json stream of a deploy of a release every host has,
//     which must send 0 bytes).
//   - BenchmarkFleetStatus: `sysroll fleet status` of the 10 hosts.
//
// The fleet boots only when a benchmark asks for it, so `go test -tags
// integration ./...` (no -bench) pays nothing but the parser's unit test.
// Run them with scripts/bench-fleet.sh; the figures are in
// docs/fleet-bench.md.
package fleetbench
