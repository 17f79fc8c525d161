// Package plan holds the fleet controller's decisions, apart from anything
// that acts on them (style.md, habit 4): which hosts roll together, whether
// the next host batch may start, what follows a host batch, and how an
// interrupted fleet rollout is taken up again on each host. Every function
// here is pure: no SSH, no clock, no files. The controller gathers the
// facts (host states, results, the journal) and feeds them in; the
// decisions come back with reasons a person can read.
//
// The shapes are the single-host engine's, lifted from instances to hosts
// (internal/rollout): Batches is rollout.Plan with topology limits,
// Preflight is rollout.Capacity counted over every host's instances,
// Evaluate is rollout.Evaluate over host results, and ResumeHost is
// rollout.ResumeDecision over what a host reports now.
//
// # The service file
//
// The host strategy sits under fleet.hosts, next to the top-level hosts:
// inventory (internal/inventory's piece):
//
//	fleet:
//	  hosts:
//	    ramp: [1, "25%", "100%"]   # or batch: 2 / batch: "25%"
//	    max_parallel: 3            # never more than 3 hosts at once
//	    max_per_label: {zone: 1}   # never two hosts of one zone at once
//	    order_by: [zone]           # zone a first, then b, ...
//	    failure_budget: 0          # failed hosts tolerated (each rolled back)
//	    failure_action: rollback   # rollback | rollback-all | halt
//	    min_available: "75%"       # serving instances fleet-wide, or a count
//	    reattach_deadline: 10m     # how long an unreachable host is waited for
//	    lease: 30s                 # the fleet lock: a silent controller past it is gone
//
// internal/config calls DecodeStrategy with the value node of fleet.hosts
// (see its doc); ParseStrategy reads the same mapping from bytes. So that
// config can, this package does not import config: the few types both
// need are in internal/strategy (Size, FailureAction) and internal/yamlpos
// (FieldError), and named here by alias.
package plan
