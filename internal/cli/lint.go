package cli

import (
	"encoding/json"

	"github.com/spf13/cobra"

	"github.com/sysroll/sysroll/internal/lint"
)

func newLintCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "lint FILE|DIR...",
		Short: "Find deployment pitfalls in hand-written systemd unit files",
		Long: `Check unit files for the mistakes that break rolling deployments, each with
file:line, what systemd will actually do, and the fix:

  inline-comment        "RestartSec=2  # ..." voids the value (systemd only has whole-line comments)
  restart-sec-fallback  RestartSec= falls back to 100ms: a crash loop hits the start limit in 0.5s
  wrong-section         a setting in the wrong section is ignored (PartOf= in [Service])
  partof-direction      PartOf= belongs on each member, naming the group
  no-exec-start         a .service without ExecStart= is refused; a group must be a .target
  instance-dependency   Requires= between instances restarts them together: both down at once
  network-target        Requires=network.target is wrong; After=network.target alone
  active-not-ready      Type=simple is "active" when forked, not when ready
  systemd-analyze       every warning of systemd-analyze verify (run when installed)

A directory means every unit file in it. Files are checked together, so a
dependency between two files is seen.`,
		Example: `  sysroll lint /etc/systemd/system/my-service-*.service
  sysroll lint --json ./units | jq '.[] | select(.severity == "error")'`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := lint.ReadFiles(args)
			if err != nil {
				return asUsage(err)
			}
			findings := lint.Check(files)
			if g.json {
				if findings == nil {
					findings = []lint.Finding{}
				}
				if err := json.NewEncoder(g.stdout).Encode(findings); err != nil {
					return err
				}
			} else if len(findings) == 0 {
				g.println("no findings")
			} else if err := lint.Format(g.stdout, findings); err != nil {
				return err
			}
			if lint.Worst(findings) >= lint.Warning {
				return silentError{ExitFailed}
			}
			return nil
		},
	}
}
