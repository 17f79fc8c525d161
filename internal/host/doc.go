// Package host is sysroll's per-host engine: everything one host does to its
// services, as a small API the CLI (and the fleet's host-side step) calls.
//
//	h := &host.Host{}                        // this host's system manager
//	rep, err := h.Apply(ctx, host.ApplyOptions{File: "hello.yaml", Artifact: "./hello"})
//	res, err := h.Deploy(ctx, host.DeployOptions{Service: "hello", Artifact: "./hello-v2"}, progress)
//	st, err := h.Status(ctx, host.StatusOptions{Service: "hello"})
//
// The rules live here: taking the service's lock before anything else in
// every verb that changes units, releases or records (apply and uninstall
// as much as the rollout verbs, guard.go), refusing a new rollout while one
// is unfinished, choosing the release new instances start on and the
// release a rollback goes to (an interrupted rollback is completed, never
// undone), checking the load balancer and the release each instance would
// start (verify.go) before any instance is touched, repairing a link that
// points outside the store, marking a successful release good and pruning
// old ones, and judging an instance's health for status. The CLI keeps
// flags, rendering and exit codes.
//
// Errors caused by the caller's input (a bad name, file, flag value or
// artifact) are *InputError: nothing was changed. Everything else is an
// operation that failed; a rollout's error wraps the executor's
// (rollout.FailedError, context.Canceled for an interrupt).
//
// The seams are systemd (Host.Connect, a systemd.Manager) and the journal
// (Host.Logs); the state and unit directories are plain paths, so tests run
// the whole engine on systemdtest's fake Manager in a temporary directory.
package host
