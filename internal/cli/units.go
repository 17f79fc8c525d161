package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/host"
	"github.com/sysroll/sysroll/internal/release"
)

func newInitCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "init NAME",
		Short: "Print a commented starter service file for NAME",
		Long: `Print a service file a newcomer can edit: two instances on ports 8081 and
8082, an HTTP health check, one-at-a-time rollouts. Every key is explained in
the comments; unknown or misspelled keys are errors later, so typos cannot hide.`,
		Example: `  sysroll init hello > hello.yaml && $EDITOR hello.yaml && sysroll apply hello.yaml --artifact ./hello`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := config.ValidateName(args[0]); err != nil {
				return asUsage(err)
			}
			// A starter that render and apply would refuse is no start.
			if why := config.ReservedName(args[0]); why != "" {
				return usagef("%q cannot be a service name: %s; choose another name", args[0], why)
			}
			_, err := g.stdout.Write(config.Starter(args[0]))
			return err
		},
	}
}

func newRenderCmd(g *globals) *cobra.Command {
	var outDir string
	var lbHosts []string
	cmd := &cobra.Command{
		Use:   "render FILE",
		Short: "Print the units exactly as `apply` would install them",
		Long: `Render the service file into its units (NAME@.service, NAME.target, and
NAME.socket with a shared socket) and print them, or with --output-dir write
them there as files, for people who ship units with their own configuration
management. Nothing is installed and systemd is not contacted.

With rollout.haproxy_agent, the units include NAME.agent.socket and
NAME.agent@.service, and --haproxy-servers HOST,... prints instead the
HAProxy backend whose server lines make HAProxy ask each app host's agent
(HOST is ADDR or NAME=ADDR; see docs/haproxy-fleet.md).`,
		Example: `  sysroll render hello.yaml
  sysroll render hello.yaml --output-dir ./units
  sysroll render hello.yaml --haproxy-servers h1=10.0.0.11,h2=10.0.0.12`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := host.Load(args[0])
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("haproxy-servers") {
				return printHAProxyBackend(g, svc, lbHosts)
			}
			files, err := g.host().Render(svc)
			if err != nil {
				return err
			}
			printWarnings(g, host.Warnings(svc))
			if outDir != "" {
				if err := os.MkdirAll(outDir, 0o755); err != nil {
					return fmt.Errorf("create %s: %w", outDir, err)
				}
				for _, f := range files {
					p := filepath.Join(outDir, f.Name)
					if err := release.WriteFileAtomic(p, []byte(f.Content), 0o644); err != nil {
						return err
					}
					if !g.json {
						fmt.Fprintf(g.stdout, "wrote %s\n", p)
					}
				}
				return nil
			}
			for i, f := range files {
				if i > 0 {
					fmt.Fprintln(g.stdout)
				}
				fmt.Fprintf(g.stdout, "# %s\n%s", f.Path, f.Content)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&outDir, "output-dir", "o", "", "write the units into this directory instead of printing them")
	cmd.Flags().StringSliceVar(&lbHosts, "haproxy-servers", nil, "print the HAProxy backend for rollout.haproxy_agent with these app `HOSTS` (ADDR or NAME=ADDR, comma-separated)")
	return cmd
}
