package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/systemd"
)

// appliedServiceFile is the copy of the service file `apply` keeps in the
// service's state dir: deploy, restart and status read the config from there,
// so they act on what is installed, not on a file someone is editing.
const appliedServiceFile = "service.yaml"

func (g *globals) home() (string, error) {
	h, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("--user needs a home directory: %w", err)
	}
	return h, nil
}

// stateRoot is where every service's state dir lives.
func (g *globals) stateRoot() (string, error) {
	if g.stateDir != "" {
		return g.stateDir, nil
	}
	if !g.user {
		return "/var/lib/sysroll", nil
	}
	if x := os.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "sysroll"), nil
	}
	h, err := g.home()
	if err != nil {
		return "", err
	}
	return filepath.Join(h, ".local", "share", "sysroll"), nil
}

func (g *globals) serviceDir(name string) (string, error) {
	root, err := g.stateRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, name), nil
}

func (g *globals) unitDirectory() (string, error) {
	if g.unitDir != "" {
		return g.unitDir, nil
	}
	if !g.user {
		return "/etc/systemd/system", nil
	}
	if x := os.Getenv("XDG_CONFIG_HOME"); x != "" {
		return filepath.Join(x, "systemd", "user"), nil
	}
	h, err := g.home()
	if err != nil {
		return "", err
	}
	return filepath.Join(h, ".config", "systemd", "user"), nil
}

func (g *globals) connect(ctx context.Context) (systemd.Manager, error) {
	opts := systemd.Options{Address: g.address}
	if g.user {
		opts.Scope = systemd.User
	}
	m, err := systemd.Connect(ctx, opts)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// loadInstalled reads the service file that `apply` installed for name.
func (g *globals) loadInstalled(name string) (*config.Service, string, error) {
	if err := config.ValidateName(name); err != nil {
		return nil, "", usageError{err}
	}
	dir, err := g.serviceDir(name)
	if err != nil {
		return nil, "", err
	}
	svc, err := config.Load(filepath.Join(dir, appliedServiceFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", usagef("service %q is not installed here (no %s); install it with `sysroll apply FILE`", name, filepath.Join(dir, appliedServiceFile))
	}
	if err != nil {
		return nil, "", fmt.Errorf("installed service file of %s: %w", name, err)
	}
	return svc, dir, nil
}

// installedServices lists the services that have an installed service file.
func (g *globals) installedServices() ([]string, error) {
	root, err := g.stateRoot()
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

// uninstallDir returns the state dir of an installed service. With purge it
// also accepts one that an earlier uninstall left (releases and history
// kept), so `uninstall --purge` can still free that space.
func (g *globals) uninstallDir(name string, purge bool) (string, error) {
	_, dir, err := g.loadInstalled(name)
	if err == nil || !purge || config.ValidateName(name) != nil {
		return dir, err
	}
	d, derr := g.serviceDir(name)
	if derr != nil {
		return "", err
	}
	if gone, _ := missing(filepath.Join(d, appliedServiceFile)); !gone {
		return "", err // installed, but its file is unreadable: say why
	}
	if gone, _ := missing(d); gone {
		return "", err
	}
	return d, nil
}

// provenGood reports whether version was ever marked good.
func provenGood(store *release.Store, version string) (bool, error) {
	h, err := store.GoodHistory()
	if err != nil {
		return false, err
	}
	for _, e := range h.Entries {
		if e.Version == version {
			return true, nil
		}
	}
	return false, nil
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
