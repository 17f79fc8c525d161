package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sysroll/sysroll/internal/buildinfo"
	"github.com/sysroll/sysroll/internal/fleet/journal"
	"github.com/sysroll/sysroll/internal/host"
	"github.com/sysroll/sysroll/internal/schema"
)

func newProbeCmd(g *globals) *cobra.Command {
	var claimsDir, has, expect string
	var noSHA bool
	cmd := &cobra.Command{
		Use:   "probe NAME --claims-dir DIR [--has VERSION --expect-sha256 HEX] [--no-sha256]",
		Short: "Print version, status, staged release and fleet claims in one JSON object (fleet plumbing)",
		Long: `Print, as one JSON object (schema sysroll.probe/v1), what the fleet controller
reads of a host before a rollout and before each host batch, each part the
document its own verb prints:
  version       version --json (protocol, sha256, boot_id); with
                --no-sha256 without the sha256 of the build, whose reading
                is most of the probe's own CPU (a batch's preflight needs
                only the status and the claims)
  status        status NAME --json, probes run; or status_error (NAME not
                applied here, mostly)
  has           stage NAME --has VERSION --expect-sha256 HEX --json, with
                --has only; or has_error
  claims        the unfinished fleet claims in DIR (*.json, decoded and
                validated; finished ones are left out); or claims_error,
                naming a claim that cannot be read: it must block a rollout,
                never be taken as none
One process and one SSH session instead of one for each. The output is JSON
with or without --json. It only reads.

Exit status: 0 when the object was printed (whatever its parts say), 2 bad
usage.`,
		Example: `  sysroll probe hello --claims-dir /var/lib/sysroll/hello/fleet --json
  sysroll probe hello --claims-dir /var/lib/sysroll/hello/fleet --has v2 --expect-sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 --json`,
		Args:   cobra.ExactArgs(1),
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			// The claims directory is the controller's (where it writes
			// them), so it says where: an omitted one would read as no
			// claim at all.
			if claimsDir == "" {
				return usagef("probe needs --claims-dir DIR: where the fleet claims of %s are", args[0])
			}
			if (has == "") != (expect == "") {
				return usagef("--has VERSION and --expect-sha256 HEX go together: the exact release asked for")
			}
			ctx, h, name := cmd.Context(), g.host(), args[0]
			p := schema.Probe{Schema: schema.ProbeV1, Service: name,
				Version: probeVersion(noSHA)}
			if st, err := h.Status(ctx, host.StatusOptions{Service: name}); err != nil {
				p.StatusError = flatErr(err)
			} else {
				p.Status = st
			}
			if has != "" {
				if ans, err := h.Has(ctx, host.HasOptions{Service: name, Version: has, SHA256: expect}); err != nil {
					p.HasError = flatErr(err)
				} else {
					p.Has = &ans
				}
			}
			var err error
			if p.Claims, err = unfinishedClaims(claimsDir); err != nil {
				p.ClaimsError = flatErr(err)
			}
			return json.NewEncoder(g.stdout).Encode(p)
		},
	}
	f := cmd.Flags()
	f.StringVar(&claimsDir, "claims-dir", "", "the directory of the service's fleet claims (`DIR`/*.json)")
	f.StringVar(&has, "has", "", "also say whether release `VERSION` is staged with --expect-sha256's digest, intact")
	f.StringVar(&expect, "expect-sha256", "", "the sha256 (64 hex digits) --has asks for")
	f.BoolVar(&noSHA, "no-sha256", false, "leave the build's own sha256 out of version (it is read whole to hash it)")
	return cmd
}

// probeVersion is version --json's document, or, noSHA, the same without
// the sha256 of the running build.
func probeVersion(noSHA bool) schema.Version {
	if !noSHA {
		return versionDoc(buildinfo.Get(), host.SelfExe, host.BootIDFile)
	}
	v := schema.Version{Schema: schema.VersionV1, Info: buildinfo.Get(), Protocol: schema.FleetProtocol}
	var err error
	if v.BootID, err = host.ReadBootID(host.BootIDFile); err != nil {
		v.Error = flatErr(err)
	}
	return v
}

// unfinishedClaims is the claims in dir that are not finished, in file
// name order; a missing dir holds none. The fleet controller reads the same
// files the same way (a claim being replaced is a .json.tmp, never read);
// one it cannot decode is an error, after the others were read.
func unfinishedClaims(dir string) ([]*journal.Claim, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return []*journal.Claim{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the fleet claims in %s: %w", dir, err)
	}
	out := []*journal.Claim{}
	var errs []error
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") || e.IsDir() {
			continue
		}
		file := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(file)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c, err := journal.DecodeClaim(file, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !c.Finished {
			out = append(out, c)
		}
	}
	return out, errors.Join(errs...)
}

// flatErr is err's message on one line, for a JSON field.
func flatErr(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}
