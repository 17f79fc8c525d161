package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sysroll/sysroll/internal/buildinfo"
	"github.com/sysroll/sysroll/internal/host"
	"github.com/sysroll/sysroll/internal/schema"
)

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print sysroll's version, commit, build date, Go version and platform",
		Long: `Print which build of sysroll this is. Release builds (make build, the
Debian package) carry the version, commit and build date stamped in; other
builds show "dev" and what the Go toolchain recorded of the commit.

With --json it prints one object (schema sysroll.version/v1) with the keys
version, commit, date, go, os and arch, and what the fleet controller's
handshake reads: protocol (the fleet protocol this build speaks; the
controller refuses a host whose protocol differs from its own), sha256 (of
the running executable, so the controller pushes its build only when the
host runs another) and boot_id (the kernel's, to tell a reboot). When the
executable or the boot ID cannot be read, those keys are empty and "error"
says why; the exit status is still 0.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info := buildinfo.Get()
			if g.json {
				return json.NewEncoder(g.stdout).Encode(versionDoc(info, host.SelfExe, host.BootIDFile))
			}
			fmt.Fprintf(g.stdout, "sysroll %s\n  commit:  %s\n  built:   %s\n  go:      %s\n  os/arch: %s/%s\n",
				info.Version, orUnknown(info.Commit), orUnknown(info.Date), info.Go, info.OS, info.Arch)
			return nil
		},
	}
}

// versionDoc is `version --json`: info plus the handshake's fields, read
// from exe (the running binary) and bootID.
func versionDoc(info buildinfo.Info, exe, bootID string) schema.Version {
	v := schema.Version{Schema: schema.VersionV1, Info: info, Protocol: schema.FleetProtocol}
	var errs []error
	var err error
	if v.SHA256, err = host.ExecutableSHA256(exe, host.MaxExecutableSize); err != nil {
		errs = append(errs, err)
	}
	if v.BootID, err = host.ReadBootID(bootID); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		v.Error = strings.ReplaceAll(err.Error(), "\n", "; ")
	}
	return v
}

// orUnknown shows an empty field (a build that recorded no commit) as such.
func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
