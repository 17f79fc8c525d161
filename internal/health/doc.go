// Package health decides whether one instance is healthy after a restart.
//
// Two sources are combined. systemd's own signals: the unit must be active
// and running (for Type=notify, active means the service sent READY=1), and
// neither its InvocationID nor its NRestarts may change while the gate runs
// (either change means the process died and Restart= brought it back). And
// the configured probes: HTTP (status and body), TCP (connect), Exec (exit 0).
//
// A Gate turns both into one verdict, the way Kubernetes probes and Nomad's
// min_healthy_time do, with a twist for systemd:
//
//   - within Deadline, the unit must be running and the probes must pass
//     HealthyThreshold times in a row: the instance is ready;
//   - from then on it must keep passing for HealthyFor (the stability
//     window) — a crash 0.3 s after `systemctl restart` returned is caught;
//   - a failed check inside the window restarts the window (health must be
//     continuous), and UnhealthyThreshold failures in a row fail the gate;
//   - a restart or crash of the unit at any time fails the gate at once:
//     Restart= hiding a crash is exactly what we must not call healthy.
//
// Failures are sentinel errors (ErrNotReady, ErrUnhealthy, ErrCrashed,
// ErrDeadline) wrapped with the reason, so callers decide with errors.Is and
// show the message. The decision logic is a pure function of the gate's state
// and one observation; the loop around it uses package time, which under
// testing/synctest is a fake clock, so tests run without real sleeps.
package health
