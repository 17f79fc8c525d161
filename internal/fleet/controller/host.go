package controller

import (
	"context"
	"time"

	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/schema"
)

// Host is one machine of the fleet, as the controller drives it: the only
// seam between the rollout loop and SSH. Every method names the host in
// its errors. A lost connection is an error wrapping sshx.ErrConnLost.
type Host interface {
	// Name is the inventory name.
	Name() string
	// Connect reaches the host and verifies its key; nothing runs there.
	Connect(ctx context.Context) error
	// Version runs the controller's build at its content-addressed path on
	// the host (`version --json`); ok is false when that build is not there.
	Version(ctx context.Context) (v schema.Version, ok bool, err error)
	// Probe is Version, Status, Has (when q asks for a release) and the
	// host's unfinished fleet claims of the service, read by one command
	// (`probe --json`): what prepare asks of a host that has the build,
	// and the preflight of every host before each batch. ok is false when
	// the build is not on the host, as for Version; a part the host could
	// not read is in the HostProbe with its error, not err.
	Probe(ctx context.Context, q ProbeQuery) (p HostProbe, ok bool, err error)
	// PushBinary copies the controller's build to the host and returns the
	// bytes sent (0 when it was there).
	PushBinary(ctx context.Context) (int64, error)
	// Has reports whether the host holds release version with sha256, intact
	// (`stage --has`).
	Has(ctx context.Context, service, version, sha256 string) (bool, error)
	// PushArtifact copies the release artifact to the host and returns the
	// bytes sent (0 when it was there).
	PushArtifact(ctx context.Context) (int64, error)
	// Stage stages the pushed artifact as release version (`stage
	// --expect-sha256 --fleet`), running its checks.
	Stage(ctx context.Context, service, version, sha256, fleetID string) (schema.Staged, error)
	// Status is `status NAME --json`.
	Status(ctx context.Context, service string) (schema.Status, error)
	// Start starts step as a transient unit; an error when the unit name is
	// taken.
	Start(ctx context.Context, step Step) error
	// Follow calls line with every complete line of the step's events
	// file from byte offset from on, until the step's unit has ended and
	// the file is drained; it returns the offset reached, also on an error
	// (a reattach goes on from there).
	Follow(ctx context.Context, step Step, from int64, line func([]byte)) (int64, error)
	// Stop asks a running step to stop at its next safe point (SIGTERM to
	// its sysroll: it finishes or reverts the instance step in progress and
	// records interrupted); a unit already gone is not an error.
	Stop(ctx context.Context, step Step) error
	// Record is the newest rollout record of fleet rollout fleetID on the
	// host (`history --fleet --json`), nil when there is none.
	Record(ctx context.Context, service, fleetID string) (*release.Record, error)
	// WriteClaim replaces the host's claim of the fleet rollout (atomically).
	WriteClaim(ctx context.Context, service, fleetID string, data []byte) error
}

// Step is one host step: sysroll run on the host as a transient unit.
type Step struct {
	// Unit is the transient service's name (NAME.service): also a lock
	// (a second start with the name fails) and what follow waits on.
	Unit string
	// Events is the events file on the host the step appends to.
	Events string
	// Description is the unit's Description=.
	Description string
	// Args are sysroll's arguments (the verb first); Start adds --events
	// and --json.
	Args []string
}

// Paths on the hosts (fleet.md, "Fleet journal, claims, resume").
const hostRoot = "/var/lib/sysroll"

// FleetDir is where the claims and events files of service's fleet
// rollouts live on a host.
func FleetDir(service string) string { return hostRoot + "/" + service + "/fleet" }

// ClaimPath is the host's claim of fleet rollout id.
func ClaimPath(service, id string) string { return FleetDir(service) + "/" + id + ".json" }

// EventsPath is the events file of fleet rollout id on a host.
func EventsPath(service, id string) string { return FleetDir(service) + "/" + id + ".events" }

// UnitName is the transient service of a host's step of fleet rollout id;
// suffix tells apart the steps after the first ("rollback").
func UnitName(service, id, suffix string) string {
	n := "sysroll-fleet-" + service + "-" + id
	if suffix != "" {
		n += "-" + suffix
	}
	return n + ".service"
}

// minStepStopTimeout is the least TimeoutStopSec a host step gets.
const minStepStopTimeout = 15 * time.Minute

// StepStopTimeout is the TimeoutStopSec of a host step whose instances
// take up to perInstance to be drained, stopped, started and gated: on
// SIGTERM the step finishes the instance step in flight and may then
// revert it, which is that twice, plus a minute for the records. systemd
// must never SIGKILL a revert half-done, so it is never less than 15
// minutes either.
func StepStopTimeout(perInstance time.Duration) time.Duration {
	return max(2*perInstance+time.Minute, minStepStopTimeout)
}
