package cli

import (
	"encoding/json"
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
)

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print sysroll's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if g.json {
				return json.NewEncoder(g.stdout).Encode(map[string]string{
					"version": Version, "go": runtime.Version(),
				})
			}
			fmt.Fprintf(g.stdout, "sysroll %s (%s)\n", Version, runtime.Version())
			return nil
		},
	}
}
