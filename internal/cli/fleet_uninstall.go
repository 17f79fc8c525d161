package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/sysroll/sysroll/internal/fleet/controller"
)

func newFleetUninstallCmd(g *globals) *cobra.Command {
	var f fleetConnFlags
	var purge, yes bool
	cmd := &cobra.Command{
		Use:   "uninstall FILE --yes",
		Short: "Stop every instance and remove the service's units on every host",
		Long: `Run ` + "`sysroll uninstall NAME`" + ` on every host FILE lists, in parallel: each
stops its instances, the group and the socket, disables and removes the unit
files and reloads systemd. Releases and rollout history are kept unless
--purge is given; the instances' own data is kept regardless (see
` + "`sysroll uninstall --help`" + `).

It takes the whole service down on every host at once, so it needs --yes:
without it, it says which hosts it would uninstall from and does nothing
(exit 2). Before any host is touched, every host must be reachable, run this
build, and hold no unfinished fleet claim of the service (a rollout to
resume first: ` + "`sysroll fleet deploy FILE --resume`" + `); otherwise nothing is done
anywhere (exit 1; --limit leaves a host out). Then a table of host and
result; exit 1 if any host failed.`,
		Example: `  sysroll fleet uninstall hello.yaml --yes
  sysroll fleet uninstall hello.yaml --limit web3 --yes --purge`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := openFleet(fleetOpen{file: args[0], limit: f.limit, sshConfig: f.sshConfig, agentBinary: f.agentBinary,
				acceptNew: f.acceptNew, local: "uninstall", warn: func(msg string) { fmt.Fprintln(g.stderr, "warning: "+msg) }})
			if err != nil {
				return err
			}
			defer t.Close()
			if !yes {
				var names []string
				for _, h := range t.plan {
					names = append(names, h.Name)
				}
				return usagef("fleet uninstall stops every instance of %s on %s and removes its units: add --yes to do it", t.svc.Name, strings.Join(names, ", "))
			}
			hs := make([]controller.UninstallHost, len(t.hosts))
			for i, h := range t.hosts {
				hs[i] = h
			}
			res, err := controller.Uninstall(cmd.Context(), hs, controller.UninstallOptions{Service: t.svc.Name, Purge: purge})
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "HOST\tRESULT\tDETAIL")
			failed := 0
			for _, r := range res {
				word := "uninstalled"
				if !r.OK {
					word, failed = "FAILED", failed+1
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Host, word, oneLine(r.Detail, 200))
			}
			tw.Flush()
			if failed > 0 {
				fmt.Fprintf(g.stdout, "%s: %d of %d hosts failed: see each host's line, fix it, and run the uninstall again (it is safe to repeat)\n", t.svc.Name, failed, len(res))
				return silentError{ExitFailed}
			}
			fmt.Fprintf(g.stdout, "%s: uninstalled on %d hosts\n", t.svc.Name, len(res))
			return nil
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().BoolVar(&yes, "yes", false, "do it: stop every instance on every host and remove the units")
	cmd.Flags().BoolVar(&purge, "purge", false, "also delete releases and rollout history on every host")
	return cmd
}
