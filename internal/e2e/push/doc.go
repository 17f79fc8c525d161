// Package push proves internal/fleet/push on a two-host fleet with real
// sshd (internal-sftp): the bytes land with the right sha256, mode and
// owner, a host that has a file receives nothing, builds rotate, a
// cancelled push leaves no temp, and a directory artifact is one release
// however often it is archived. It logs bytes and milliseconds per host
// for a ~10 MiB binary. Its tests carry the integration build tag and
// need root.
//
// Its fleet uses the prefix "fpush" and the subnet 10.231.12.0/24 (see the
// allocation table on planFleet in internal/e2etest/fleetplan.go).
package push
