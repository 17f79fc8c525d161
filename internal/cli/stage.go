package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/host"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/schema"
)

func newStageCmd(g *globals) *cobra.Command {
	var artifact, version, check, as, expect, has, fleet string
	cmd := &cobra.Command{
		Use:   "stage NAME --artifact PATH",
		Short: "Stage and check a release without rolling it out (deploy --version rolls it out)",
		Long: `Stage PATH (a binary, a directory or a .tar.gz) as an immutable release of the
installed service NAME and check it, exactly as deploy does before its first
batch, but touch no instance: ` + "`sysroll deploy NAME --version V`" + ` rolls it out
later. A fleet rollout stages on every host first, so that a full disk, a
wrong architecture or a failing --check is found before any host restarts
anything.

--expect-sha256 HEX refuses (exit 1, nothing kept) an artifact whose sha256 is
not HEX: for a binary or a .tar.gz the sha256 of the file (what sha256sum
prints), for a directory its tree hash (the sha256 a staging reports). The
digest is of what was actually read while staging, so a copy damaged or
swapped on its way is refused.

Staging the same artifact again as the same version is a no-op; another
artifact under a staged version is refused.

--has VERSION --expect-sha256 HEX stages nothing: it says whether release
VERSION is staged here with that sha256 and unchanged since, so a copy can be
skipped. Exit 0: yes, 1: no (the reason is printed). With --json, one object
either way ({"has": true|false, "reason": ...}).

Exit status: 0 staged (or already staged), 1 the release was refused (its
check failed, or its sha256 is not the expected one), 2 bad usage or input.`,
		Example: `  sysroll stage hello --artifact ./hello-v2 --as hello --version v2 --check "hello -print-version"
  sysroll stage hello --artifact app.tar.gz --expect-sha256 "$(sha256sum app.tar.gz | cut -d' ' -f1)" --json
  sysroll stage hello --has v2 --expect-sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, h, name := cmd.Context(), g.host(), args[0]
			if cmd.Flags().Changed("has") {
				if artifact != "" || version != "" || check != "" || as != "" {
					return usagef("--has asks whether a release is staged: it takes only --expect-sha256 (and --json)")
				}
				if expect == "" {
					return usagef("--has %s needs --expect-sha256 HEX: the exact release asked for", has)
				}
				return g.printHas(h.Has(ctx, host.HasOptions{Service: name, Version: has, SHA256: expect}))
			}
			if artifact == "" {
				return usagef("stage needs --artifact PATH (or --has VERSION --expect-sha256 HEX)")
			}
			if cmd.Flags().Changed("as") {
				if err := release.ValidAs(as); err != nil {
					return usagef("%w", err)
				}
			}
			var checkArgv []string
			if check != "" {
				var err error
				if checkArgv, err = config.SplitCommand(check); err != nil {
					return usagef("--check: %w", err)
				}
			}
			rel, err := h.Stage(ctx, host.StageOptions{Service: name, Artifact: artifact, Version: version, As: as,
				Check: checkArgv, ExpectSHA256: expect})
			if err != nil {
				return err
			}
			if g.json {
				return json.NewEncoder(g.stdout).Encode(schema.Staged{Schema: schema.StagedV1, Service: name, Version: rel.Version,
					SHA256: rel.SHA256, Kind: string(rel.Kind), Size: rel.Size, FleetID: fleet})
			}
			fmt.Fprintf(g.stdout, "staged release %s of %s (sha256 %s, %s, %d bytes); roll it out with `sysroll deploy %s --version %s`\n",
				rel.Version, name, rel.SHA256, rel.Kind, rel.Size, name, rel.Version)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&artifact, "artifact", "", "the release: a binary, a directory or a .tar.gz")
	f.StringVar(&version, "version", "", "name of the release (default: the first 12 hex digits of its sha256)")
	f.StringVar(&as, "as", "", "the file name a single-binary artifact gets in the release: the one the command runs")
	f.StringVar(&check, "check", "", "command run in the staged release that must exit 0, or nothing is kept")
	f.StringVar(&expect, "expect-sha256", "", "the sha256 (64 hex digits) the artifact must have, or nothing is kept (exit 1)")
	f.StringVar(&has, "has", "", "stage nothing: exit 0 if release `VERSION` is staged with --expect-sha256's digest and intact, else 1")
	registerFleetID(cmd, &fleet)
	return cmd
}

// printHas prints Has's answer; "no" is exit 1, after the answer.
func (g *globals) printHas(ans schema.Has, err error) error {
	if err != nil {
		return err
	}
	if g.json {
		if err := json.NewEncoder(g.stdout).Encode(ans); err != nil {
			return err
		}
	} else if ans.Has {
		fmt.Fprintf(g.stdout, "release %s of %s is staged here (sha256 %s)\n", ans.Version, ans.Service, ans.SHA256)
	} else {
		fmt.Fprintf(g.stdout, "no: %s\n", ans.Reason)
	}
	if !ans.Has {
		return silentError{ExitFailed}
	}
	return nil
}
