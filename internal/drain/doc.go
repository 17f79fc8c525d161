// Package drain takes instances out of a load balancer's traffic before
// they restart and puts them back after, for services whose instances
// listen on their own ports behind a balancer (design.md §4). Services on
// a shared socket need none of this: the kernel's accept queue holds
// connections while an instance restarts (rollout.NoDrain).
//
// Every type here is a Drainer (the method set of rollout.Drainer):
//
//   - HAProxy speaks HAProxy's runtime API on its admin socket, plain
//     text, one command per connection. Drain is `set server BE/SRV state
//     drain`, then polling `show stat BE 4 -1` until the server's scur and
//     qcur are 0; running out of time returns ErrDrainTimeout, which the
//     engine reports as a warning. Undrain is `state ready`, then polling
//     until HAProxy's own health checks report the server UP (bounded by
//     UpTimeout, else ErrNotUp): the app answering its /healthz is not
//     enough, HAProxy keeps the server DOWN until its checks pass (rise ×
//     inter), and draining the next instance in that window can leave the
//     backend with no server UP. Check verifies the socket, its admin
//     level, the backend and every instance's server before anything is
//     touched. The executor undrains what it drained before it exits.
//   - Agent drains through HAProxy's agent-check, for a balancer on another
//     machine: the host step writes a mark, HAProxy asks a socket-activated
//     Responder (`sysroll agent NAME`) on each app host every agent-inter,
//     and the step waits for the responder's record that it answered that
//     mark, then for the balancers' connections to the instance's port to
//     close (/proc/net/tcp). No answer in 3 × inter: the mark is undone and
//     nothing is stopped. AgentBackend writes the server lines HAProxy
//     needs (docs/haproxy-fleet.md).
//   - Hooks runs the service's pre_stop (Drain) and post_start (Undrain)
//     shell commands with SYSROLL_* variables, for any other balancer.
//   - Multi combines them: drain in order, undrain in reverse.
//
// Tested against HAProxy 2.6 (Debian 12): unit tests parse output captured
// from it (testdata/) and drive a fake runtime API; the integration tests
// (-tags integration) run a real haproxy.
package drain
