// Package fleetbed proves the multi-host testbed (e2etest.BootFleet) the
// fleet integration tests stand on: hosts in network namespaces of their
// own, each with a real sshd, reached with the system ssh client, a cut
// network that really cuts, and a teardown that leaves nothing. Its tests
// carry the integration build tag and need root.
//
// Its fleets use the prefixes "fbed" and "fbsh" (a FleetMain in a child
// process) and the subnets 10.231.10.0/24 and 10.231.11.0/24 (see the
// allocation table on planFleet in internal/e2etest/fleetplan.go).
package fleetbed
