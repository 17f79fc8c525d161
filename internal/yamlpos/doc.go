// Package yamlpos is what every sysroll YAML reader shares: the
// file:line:col error type, a node's position, and the few helpers that
// read go-yaml nodes the same way everywhere (unwrapping anchors and tags,
// the text of a scalar, a kind named for a person). internal/config (the
// service file), internal/inventory (hosts) and internal/fleet/plan (the
// host strategy) each decode their own part of a file; config calls the
// other two, so what they share lives here, in a leaf that imports none of
// them, rather than mirrored three times.
package yamlpos
