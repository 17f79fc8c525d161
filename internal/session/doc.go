// Package session ends a sysroll run the safe way however the session that
// runs it ends: Ctrl-C, SIGTERM, a lost terminal (SIGHUP), or a viewer
// that stops reading (`ssh host sysroll deploy …` whose connection drops:
// the next progress line fails with EPIPE).
//
// Each of these cancels one context, the one the rollout runs under, so
// the rollout finishes or reverts the step in progress, returns every
// instance to the balancer, records itself as interrupted and exits; none
// of them kills sysroll mid-step. Without this, Go's defaults kill the
// process on SIGHUP (exit 129) and on EPIPE to standard output or error,
// which can leave a server drained in the balancer.
//
// Usage, in main:
//
//	s := session.Start(context.Background())
//	code := cli.Run(s.Context(), args, s.Output(os.Stdout), s.Output(os.Stderr))
//	s.Stop()
package session
