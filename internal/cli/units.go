package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/install"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/unitfile"
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
			_, err := g.stdout.Write(config.Starter(args[0]))
			return err
		},
	}
}

// loadFile reads and validates a service file; any problem is bad input.
func loadFile(path string) (*config.Service, error) {
	svc, err := config.Load(path)
	if err != nil {
		return nil, asUsage(err)
	}
	return svc, nil
}

func (g *globals) render(svc *config.Service) (unitfile.Files, string, error) {
	unitDir, err := g.unitDirectory()
	if err != nil {
		return nil, "", err
	}
	stateDir, err := g.serviceDir(svc.Name)
	if err != nil {
		return nil, "", err
	}
	files, err := unitfile.Render(svc, unitfile.Paths{UnitDir: unitDir, StateDir: stateDir, User: g.user})
	if err != nil {
		return nil, "", asUsage(err)
	}
	return files, stateDir, nil
}

func newRenderCmd(g *globals) *cobra.Command {
	var outDir string
	cmd := &cobra.Command{
		Use:   "render FILE",
		Short: "Print the units exactly as `apply` would install them",
		Long: `Render the service file into its units (NAME@.service, NAME.target, and
NAME.socket with a shared socket) and print them, or with --output-dir write
them there as files, for people who ship units with their own configuration
management. Nothing is installed and systemd is not contacted.`,
		Example: `  sysroll render hello.yaml
  sysroll render hello.yaml --output-dir ./units`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := loadFile(args[0])
			if err != nil {
				return err
			}
			files, _, err := g.render(svc)
			if err != nil {
				return err
			}
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
	return cmd
}

// desired turns rendered files into what the installer converges to.
func desired(svc *config.Service, files unitfile.Files) install.Desired {
	d := install.Desired{
		Service:   svc.Name,
		Instances: svc.InstanceNames(),
		Template:  unitfile.TemplateUnit(svc.Name),
		Target:    unitfile.TargetUnit(svc.Name),
		InstanceUnit: func(inst string) string {
			return unitfile.InstanceUnit(svc.Name, inst)
		},
	}
	if svc.Listen != "" {
		d.Socket = unitfile.SocketUnit(svc.Name)
	}
	for _, f := range files {
		d.Files = append(d.Files, install.File{Name: f.Name, Data: []byte(f.Content)})
	}
	return d
}

// readIfExists returns a file's content, or nil when it does not exist.
func readIfExists(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}
