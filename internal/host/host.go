package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/portcheck"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/safeio"
	"github.com/sysroll/sysroll/internal/systemd"
	"github.com/sysroll/sysroll/internal/unitfile"
)

// Host is one machine's systemd and sysroll state. The zero value manages the
// system manager of the machine it runs on.
type Host struct {
	// User manages services with the calling user's own manager
	// (systemctl --user) and keeps state under the user's home.
	User bool
	// Address is the D-Bus address of the manager; "" is the default one.
	Address string
	// StateRoot holds one state directory per service. Default
	// /var/lib/sysroll, or $XDG_DATA_HOME/sysroll (~/.local/share/sysroll)
	// with User.
	StateRoot string
	// UnitDir is where unit files are installed. Default
	// /etc/systemd/system, or $XDG_CONFIG_HOME/systemd/user with User.
	UnitDir string
	// Connect opens the systemd manager; nil connects with Address and User.
	Connect func(ctx context.Context) (systemd.Manager, error)
	// Logs returns a unit's last n journal lines, shown when an instance
	// fails; nil reads them with journalctl.
	Logs func(ctx context.Context, unit string, n int) []string
	// Journalctl runs journalctl with args, its output to stdout, until it
	// ends or ctx does (`sysroll logs`); nil runs the real one.
	Journalctl func(ctx context.Context, args []string, stdout io.Writer) error
	// Ports finds who listens on a TCP port, checked before apply starts an
	// instance on one; nil reads /proc.
	Ports portcheck.Table
	// Who is recorded as who ran a rollout; "" is the calling user (the
	// sudo user behind root).
	Who string
	// Command is recorded in the deploy lock, so a refused second rollout
	// can say what holds it; "" is this process's command line.
	Command string
	// Fleet is the fleet rollout (--fleet ID) the rollout verbs act for,
	// recorded in their records (release.Record.FleetID); "" for none.
	Fleet string
	// BootID is recorded as the boot a rollout started in; "" reads the
	// kernel's (BootIDFile).
	BootID string
}

// InputError marks a failure caused by the caller's input: a name, file,
// flag value or artifact. Nothing was changed.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// inputf builds an *InputError.
func inputf(format string, a ...any) error { return &InputError{fmt.Errorf(format, a...)} }

// asInput marks err (if any) as bad input.
func asInput(err error) error {
	if err == nil {
		return nil
	}
	return &InputError{err}
}

// appliedServiceFile is the copy of the service file Apply keeps in the
// service's state dir: the other verbs read the config from there, so they
// act on what is installed, not on a file someone is editing.
const appliedServiceFile = "service.yaml"

func (h *Host) home() (string, error) {
	d, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("--user needs a home directory: %w", err)
	}
	return d, nil
}

// stateRoot is where every service's state dir lives.
func (h *Host) stateRoot() (string, error) {
	if h.StateRoot != "" {
		return h.StateRoot, nil
	}
	if !h.User {
		return unitfile.DefaultStateRoot, nil
	}
	if x := os.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "sysroll"), nil
	}
	d, err := h.home()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, ".local", "share", "sysroll"), nil
}

func (h *Host) serviceDir(name string) (string, error) {
	root, err := h.stateRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, name), nil
}

func (h *Host) unitDir() (string, error) {
	if h.UnitDir != "" {
		return h.UnitDir, nil
	}
	if !h.User {
		return unitfile.DefaultUnitDir, nil
	}
	if x := os.Getenv("XDG_CONFIG_HOME"); x != "" {
		return filepath.Join(x, "systemd", "user"), nil
	}
	d, err := h.home()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, ".config", "systemd", "user"), nil
}

func (h *Host) connect(ctx context.Context) (systemd.Manager, error) {
	if h.Connect != nil {
		return h.Connect(ctx)
	}
	opts := systemd.Options{Address: h.Address}
	if h.User {
		opts.Scope = systemd.User
	}
	return systemd.Connect(ctx, opts)
}

func (h *Host) command() string {
	if h.Command != "" {
		return h.Command
	}
	return strings.Join(os.Args, " ")
}

// Load reads and validates a service file; any problem is bad input.
func Load(path string) (*config.Service, error) {
	svc, err := config.Load(path)
	if err != nil {
		return nil, asInput(err)
	}
	return svc, nil
}

// loadInstalled reads the service file that Apply installed for name and
// returns it with the service's state dir.
func (h *Host) loadInstalled(name string) (*config.Service, string, error) {
	if err := config.ValidateName(name); err != nil {
		return nil, "", asInput(err)
	}
	dir, err := h.serviceDir(name)
	if err != nil {
		return nil, "", err
	}
	svc, err := config.Load(filepath.Join(dir, appliedServiceFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", inputf("service %q is not installed here (no %s); install it with `sysroll apply FILE`", name, filepath.Join(dir, appliedServiceFile))
	}
	if err != nil {
		return nil, "", fmt.Errorf("installed service file of %s: %w", name, err)
	}
	return svc, dir, nil
}

// installedStore opens the release store of an installed service, without
// its lock: for reading (history), or for leaving a request.
func (h *Host) installedStore(name string) (*release.Store, error) {
	_, dir, err := h.loadInstalled(name)
	if err != nil {
		return nil, err
	}
	return release.Open(dir)
}

// installedServices lists the services that have an installed service file.
func (h *Host) installedServices() ([]string, error) {
	root, err := h.stateRoot()
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list services in %s: %w", root, err)
	}
	var names []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(root, e.Name(), appliedServiceFile)); err == nil {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// Render renders a service's units for this host's directories, without
// installing anything or contacting systemd.
func (h *Host) Render(svc *config.Service) (unitfile.Files, error) {
	files, _, err := h.render(svc)
	return files, err
}

func (h *Host) render(svc *config.Service) (unitfile.Files, string, error) {
	unitDir, err := h.unitDir()
	if err != nil {
		return nil, "", err
	}
	stateDir, err := h.serviceDir(svc.Name)
	if err != nil {
		return nil, "", err
	}
	files, err := unitfile.Render(svc, unitfile.Paths{UnitDir: unitDir, StateDir: stateDir, User: h.User, Sysroll: sysrollPath()})
	if err != nil {
		return nil, "", asInput(err)
	}
	return files, stateDir, nil
}

// missing reports whether path does not exist.
func missing(path string) (bool, error) {
	_, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("check %s: %w", path, err)
	}
	return false, nil
}

// readIfExists returns the content of a file sysroll keeps in its state
// directory, or nil when it does not exist; a link planted there is refused.
func readIfExists(path string) ([]byte, error) {
	b, err := safeio.ReadFileNoFollow(path, config.MaxFileSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}
