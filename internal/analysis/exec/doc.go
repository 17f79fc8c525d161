// Package exec is the exec metric's provider: a command (argv, no shell)
// run once per measurement against the canary, exit 0 passes.
//
// It is the analogue of Argo Rollouts' job and web providers (design note
// 2.4 rule 3) for checks Prometheus cannot express: a smoke test hitting
// the canary's own ports, a synthetic transaction. Its judgement is the
// canary's alone: an exit status has no baseline to be compared with, so the
// baseline is not run.
//
// The outcomes follow the analysis' rules (package analysis):
//   - exit 0 is a measurement that passes;
//   - a non-zero exit (or death by a signal) is a failed measurement, with
//     the status and the last lines of the command's output;
//   - a command that cannot be started (not found, not executable) or that
//     outlives its timeout is a provider error: it counts toward
//     consecutive_errors, as a Prometheus timeout does, since it says
//     nothing about the canary.
//
// The OS boundary is Runner; OSRunner is the real one.
package exec
