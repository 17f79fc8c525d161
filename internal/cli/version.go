package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sysroll/sysroll/internal/buildinfo"
)

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print sysroll's version, commit, build date, Go version and platform",
		Long: `Print which build of sysroll this is. Release builds (make build, the
Debian package) carry the version, commit and build date stamped in; other
builds show "dev" and what the Go toolchain recorded of the commit.

With --json it prints one object with the keys version, commit, date, go,
os and arch.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info := buildinfo.Get()
			if g.json {
				return json.NewEncoder(g.stdout).Encode(info)
			}
			fmt.Fprintf(g.stdout, "sysroll %s\n  commit:  %s\n  built:   %s\n  go:      %s\n  os/arch: %s/%s\n",
				info.Version, orUnknown(info.Commit), orUnknown(info.Date), info.Go, info.OS, info.Arch)
			return nil
		},
	}
}

// orUnknown shows an empty field (a build that recorded no commit) as such.
func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
