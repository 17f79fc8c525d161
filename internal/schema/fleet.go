package schema

import "github.com/sysroll/sysroll/internal/buildinfo"

// FleetProtocol is the version of what the fleet controller runs on a host
// over SSH: `version --json`, `probe`, `stage` (with --expect-sha256 and --has),
// `deploy --version`, `--events FILE`, `--fleet ID` and `follow`. The
// controller refuses a host whose sysroll speaks another protocol (and
// pushes its own build instead), so a change to any of those commands'
// flags, exit codes or output that an older controller would misread takes
// a new number.
const FleetProtocol = 1

// VersionV1 is the schema of `sysroll version --json`.
const VersionV1 = "sysroll.version/v1"

// Version is `sysroll version --json`: the build, and what the fleet
// controller's handshake needs to decide whether to push its own binary.
type Version struct {
	Schema string `json:"schema"`
	buildinfo.Info
	// Protocol is FleetProtocol of this build.
	Protocol int `json:"protocol"`
	// SHA256 is the hex sha256 of the running executable: the controller
	// compares it with its own build's for this architecture. Empty when
	// the executable could not be read (then Error says why).
	SHA256 string `json:"sha256"`
	// BootID is the kernel's boot ID (/proc/sys/kernel/random/boot_id): a
	// different one than at the start of a rollout means the host rebooted.
	BootID string `json:"boot_id"`
	// Error says why SHA256 or BootID is empty.
	Error string `json:"error,omitempty"`
}

// Staged is `sysroll stage NAME --json`: the release as staged (or found
// already staged).
type Staged struct {
	Schema  string `json:"schema"`
	Service string `json:"service"`
	Version string `json:"version"`
	SHA256  string `json:"sha256"`
	Kind    string `json:"kind"` // binary, dir or tarball
	Size    int64  `json:"size"`
	// FleetID is the --fleet the release was staged for, if any.
	FleetID string `json:"fleet_id,omitempty"`
}

// Has is `sysroll stage NAME --has VERSION --expect-sha256 HEX --json`:
// whether the host holds that exact release, intact.
type Has struct {
	Schema  string `json:"schema"`
	Service string `json:"service"`
	Version string `json:"version"`
	// Has is true when release Version is staged, its sha256 is the one
	// asked for and its content verifies.
	Has bool `json:"has"`
	// SHA256 is the staged release's sha256, when one of that name is
	// staged ("" when none is).
	SHA256 string `json:"sha256,omitempty"`
	// Reason says why Has is false.
	Reason string `json:"reason,omitempty"`
}

// The schemas of Staged and Has.
const (
	StagedV1 = "sysroll.staged/v1"
	HasV1    = "sysroll.has/v1"
)
