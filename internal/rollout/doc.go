// Package rollout is sysroll's rollout engine: it moves the instances of a
// service from one release to another (or restarts them in place) batch by
// batch, each instance health-gated, and undoes its work on failure.
//
// Deciding is kept apart from acting (style.md, habit 4):
//
//   - Plan splits instances into batches (a size, a percentage, or a ramp
//     such as 1, 25%, 100%, Ansible serial semantics);
//   - Evaluate turns a batch's outcome, the failure budget and the failure
//     action into a Decision: continue, revert these groups in this order,
//     or halt;
//   - ResumeDecision and RollbackDecision judge one instance of an
//     interrupted rollout from its recorded phase and the live truth.
//
// These are pure and table-tested. Run, Resume and RollbackRecord act on
// them through small interfaces (systemd.Manager, Releases, Journal,
// Drainer), so the same code runs against PID 1 and against the fake in
// systemd/systemdtest.
//
// # The contract, per batch
//
//  1. Preflight: every instance outside the batch (before the first batch:
//     every instance) is running and passes its probes, or the batch does
//     not start and the rollout ends halted.
//  2. For each instance of the batch, in parallel: record, drain (bounded by
//     DrainTimeout, after which the step goes on), switch the release
//     pointer (not for a restart), restart through systemd and wait for the
//     job, run the health gate, return to traffic, record done. Every phase
//     is saved to the Journal before it is acted on.
//  3. Failures within FailureBudget are reverted one by one and the rollout
//     goes on; beyond it the FailureAction applies: rollback reverts the
//     failed batch (failed instances first), rollback-all then reverts the
//     earlier batches newest first, halt leaves everything as it is.
//     Instances of later batches are never touched. A revert is verified
//     (gated) like a deploy.
//
// # Invariants
//
// sysroll never stops an instance (it restarts them) and never leaves one
// drained when it returns: whatever the outcome — success, failure, halt,
// interruption — every instance it drained is undrained. A halted, failed
// instance is thus back in traffic on the new release, running, for the
// operator to inspect; a load balancer's own health checks still apply.
//
// # Interruption
//
// When ctx ends, an instance whose restart was not yet queued is put back
// as it was (release pointer switched back, undrained, phase pending); one
// already restarted finishes its step — gate, and on failure the normal
// revert — under a context the interruption does not cancel, since systemd
// carries the job out anyway. The record ends interrupted and the error
// wraps ctx.Err(). After a kill -9, Resume or RollbackRecord takes the
// record up again, judging each instance from its phase and the live truth.
// Resume also takes up a rollout that ended halted or failed partway; one
// halted on a failure retries the failed step (the halt was for the
// operator, and resuming is their "go on"). RollbackRecord marks the record
// Undo before it touches anything, so a Resume after a kill during it
// completes the undo rather than following the failure action.
//
// # The record is the whole truth
//
// The caller's Spec.Instances (the service's instances now) say what a
// resume or rollback acts on. An instance of the record no longer among
// them (apply removed it) keeps its entry, with the phase it reached, and
// is marked Removed: it is never stepped or reverted again, and history
// still shows what the rollout did to it (removed.go).
//
// # Mixed states
//
// Resume and a rollback converge whatever they find: instances on several
// releases, some failed or stopped. A down instance holds no capacity, so
// it is stepped first (a resume adds it to the batch in flight, a rollback
// plans it first), and until it is stepped the preflight does not count it
// (repair.go). A deploy or restart also steps the down instances first, but
// counts them.
//
// # The capacity floor
//
// The preflight's floor is every counted instance outside the batch
// healthy. When fewer are healthy already (a bad first release
// crash-looping everywhere), refusing protects nothing, so a batch goes on
// as long as it lowers the healthy count below neither the floor nor what
// it is now: it steps only unhealthy instances, and a warning says so,
// batch by batch. A healthy instance is stepped only while the floor holds
// (floor.go, Capacity.Allows).
//
// # Times
//
// The progress deadline bounds the whole rollout: when it passes, restart
// jobs and gates in flight fail (errors.Is ErrProgressDeadline) and count as
// the batch's failure; no budget tolerates them. The gate's Deadline
// bounds the restart job, and, separately, the gate. Record.Instances carry
// Started and Ended per instance, so the engine's overhead per instance is
// Ended-Started minus the job and gate time.
package rollout
