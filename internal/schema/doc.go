// Package schema is the JSON sysroll prints for scripts and for the fleet
// controller: `status --json`, `history --json`, the event stream of
// `deploy|restart|rollback --json` (and of their --events FILE, whose lines
// add "seq"), the plan of `--dry-run --json`, and what the fleet
// controller's host commands print: `version --json`, `stage --json` and
// `stage --has --json`.
// These types are the one definition of that output; the CLI encodes them
// and the end-to-end tests decode them.
//
// Every document (and every event line) carries a "schema" field naming its
// type and version, e.g. "sysroll.status/v1". Within a version, fields are
// only ever added; a field that changes meaning or goes away takes a new
// version. Readers should ignore fields they do not know.
//
// The shapes are pinned by golden files (testdata/*.json), which double as
// the documentation of every field: see the README's "JSON output".
//
// Times are RFC 3339 with nanoseconds; durations are seconds as numbers
// (elapsed_seconds, uptime_seconds), except inside "traffic", whose
// latencies are nanoseconds (p50, p99, max, elapsed).
package schema
