// Package journal holds the fleet rollout's documents: the controller's
// fleet journal and the claim the controller leaves on every host of the
// rollout. Both are JSON with a schema version string, and both are
// validated whole on decode: a journal may be an old controller's, a
// claim is read back from a host, and neither is trusted.
//
// The journal is a cache. The truth is on the hosts: every claim holds
// the plan and that host's part, so Rebuild makes a journal from the
// claims alone, and `deploy --resume` works from a machine that never saw
// the rollout (fleet.md, "Fleet journal, claims, resume"). Where the
// files live and how they are written (release.WriteFileAtomic) is the
// controller's business; this package only encodes, decodes and checks.
package journal
