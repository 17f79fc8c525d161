package schema

import "github.com/sysroll/sysroll/internal/fleet/journal"

// ProbeV1 is the schema of `sysroll probe NAME --json`.
const ProbeV1 = "sysroll.probe/v1"

// Probe is `sysroll probe NAME --claims-dir DIR [--has V --expect-sha256
// H] --json`: everything the fleet controller reads of a host before a
// rollout and before each host batch, in one process and one SSH session
// instead of one each (docs/fleet-bench.md, "Proposals"). Each fact is the
// document the single-purpose verb prints, so there is one definition of
// each; a part that could not be read is absent and its *Error says why,
// and the probe itself still answers (exit 0).
type Probe struct {
	Schema  string `json:"schema"`
	Service string `json:"service"`
	// Version is `version --json`'s: protocol, sha256, boot ID; the
	// sha256 empty (and no error) with --no-sha256.
	Version Version `json:"version"`
	// Status is `status NAME --json`'s (probes run), nil when it could not
	// be read; StatusError is then what status said (the service not
	// applied there, mostly).
	Status      *Status `json:"status,omitempty"`
	StatusError string  `json:"status_error,omitempty"`
	// Has is `stage NAME --has V --expect-sha256 H --json`'s, when --has
	// was asked; HasError says why it could not be answered.
	Has      *Has   `json:"has,omitempty"`
	HasError string `json:"has_error,omitempty"`
	// Claims are the unfinished fleet claims in the claims directory (the
	// fleet journal's claim documents, decoded and validated as the
	// controller does); a finished claim blocks nothing and is left out.
	// ClaimsError names a claim that could not be read or decoded: it must
	// block, never be taken as no claim.
	Claims      []*journal.Claim `json:"claims"`
	ClaimsError string           `json:"claims_error,omitempty"`
}
