package cli

import (
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/sysroll/sysroll/internal/drain"
)

// agentReadTimeout bounds the wait for HAProxy's agent-send: it sends it
// as soon as it connects, so a silent peer is not HAProxy (or a server line
// without agent-send) and is answered at once.
const agentReadTimeout = 2 * time.Second

func newAgentCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "agent NAME",
		Short: "Answer one HAProxy agent-check on stdin (run by systemd, NAME.agent.socket)",
		Long: `Answer one HAProxy agent-check about an instance of NAME, on the connection
systemd passes as stdin and stdout; then exit. You do not run this yourself:
with rollout.haproxy_agent in the service file, sysroll apply installs
NAME.agent.socket, which listens on rollout.haproxy_agent.listen and starts
NAME.agent@.service, this command, for every connection HAProxy makes.

HAProxy sends its server line's agent-send, "NAME/INSTANCE\n" (e.g.
agent-send "hello/8081\n"), and is answered one line: "drain" while a
rollout has taken the instance out of traffic on this host, else "ready up".
The answer is recorded in the service's state directory (agent/INSTANCE.asked):
that record is how the rollout knows HAProxy saw the drain before it stops
the instance. Anything else (nothing sent within 2s, another service, an
unknown instance, garbage) is answered "ready up", which changes nothing
HAProxy's own health checks decide, and exits 1 with the reason in the
journal. The HAProxy configuration: docs/haproxy-fleet.md.`,
		Example: `  # the server line in haproxy.cfg that makes HAProxy ask:
  server h1-8081 10.0.0.11:8081 check agent-check agent-addr 10.0.0.11 agent-port 9700 agent-send "hello/8081\n" agent-inter 2s`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var in io.Reader = cmd.InOrStdin()
			var out io.Writer = g.stdout
			if f, ok := in.(*os.File); ok {
				// A socket from systemd: read it with a deadline.
				if c, err := net.FileConn(f); err == nil {
					defer c.Close()
					// The write gets its own time: the answer is owed
					// also to a peer that never sent anything.
					_ = c.SetReadDeadline(time.Now().Add(agentReadTimeout))
					_ = c.SetWriteDeadline(time.Now().Add(2 * agentReadTimeout))
					in, out = c, c
				}
			}
			rs, err := g.host().AgentResponder(args[0])
			if err != nil {
				_, _ = io.WriteString(out, drain.AgentReady.Reply())
				return err
			}
			if _, err := rs.Respond(in, out); err != nil {
				return fmt.Errorf("agent %s: %w", args[0], err)
			}
			return nil
		},
	}
}
