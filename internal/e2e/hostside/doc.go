//go:build integration

// Package hostside proves, on real systemd, the commands the fleet
// controller runs on each host over SSH: `stage --expect-sha256` (a copy
// that is not the expected one is refused and nothing kept), `stage --has`
// (skip a copy the host already has), `deploy --version` of the staged
// release under `systemd-run --unit=sysroll-fleet-…` with `--fleet ID
// --events FILE --json`, and `follow FILE --from OFFSET --unit UNIT`, which
// sees every event with strictly increasing seq, ends when the unit ends,
// resumes exactly from a middle offset, and whose kill -9 changes nothing
// on the host. The record carries the fleet ID and the boot ID.
//
// The real sysroll binary and the hello example run inside a throwaway
// systemd (testbed container sysroll-e2e-hostside). Ports 24900-24999
// belong to these tests. Run as root:
//
//	go test -tags integration -count=1 -v ./internal/e2e/hostside/
package hostside
