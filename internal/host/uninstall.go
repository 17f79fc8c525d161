package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/install"
	"github.com/sysroll/sysroll/internal/release"
)

// UninstallOptions says what Uninstall removes.
type UninstallOptions struct {
	Service string
	// Purge also deletes releases and rollout history.
	Purge bool
	// Warn is told what could not be read and was worked around (an
	// unreadable service file or record of applied units); nil drops it.
	Warn func(msg string)
}

// appliedFile is the installer's record of the units it installed, under
// the service's state dir (install owns it; named here for tests).
const appliedFile = "applied.json"

// Uninstall stops every instance, the group and the socket, and removes the
// unit files. Releases and history stay unless Purge; with Purge it also
// accepts a service an earlier uninstall left, so that space can be freed.
//
// It takes the service's lock first: an uninstall under a rollout would
// remove units the rollout then fails to revert. It works with the
// installed service file or the record of applied units unreadable: the
// units are then found by the service's name, and Warn says what was not
// read, so a corrupt state never blocks removing a service. With Purge
// not even a state dir that every other verb refuses does (see purgeable).
func (h *Host) Uninstall(ctx context.Context, opts UninstallOptions) error {
	warn := opts.Warn
	if warn == nil {
		warn = func(string) {}
	}
	dir, err := h.uninstallDir(opts.Service, opts.Purge, warn)
	if err != nil {
		return err
	}
	unitDir, err := h.unitDir()
	if err != nil {
		return err
	}
	store, err := release.Open(dir)
	if err != nil {
		if !opts.Purge || !purgeable(dir, err) {
			return err
		}
		// A state dir someone else could change (owned by another user,
		// world-writable, a link) is refused by every verb, so none can
		// hold its lock or be using it: a purge takes no lock and reads
		// nothing from it but what the installer filters by the service's
		// unit names, and removes it without following a link.
		warn(fmt.Sprintf("%s: purging it without trusting it: %v", opts.Service, err))
	} else {
		lock, err := h.lock(store)
		if err != nil {
			return err
		}
		defer lock.Unlock()
	}
	m, err := h.connect(ctx)
	if err != nil {
		return err
	}
	defer m.Close()
	if store != nil {
		// A rollout paused here waits no more: its timer would check a
		// service that is gone.
		if rec, err := unfinished(store); err == nil && rec != nil && rec.Waiting() >= 0 && rec.Pauses[rec.Waiting()].Timer != "" {
			timer := rec.Pauses[rec.Waiting()].Timer
			if err := (&timerExpiry{h: h, m: m}).Disarm(ctx, timer); err != nil {
				warn(fmt.Sprintf("stop the pause timer %s of rollout %s: %v", timer, rec.ID, err))
			}
		}
	}
	in := &install.Installer{Manager: m, UnitDir: unitDir, StateDir: dir, Warn: warn}
	// The installer never needs applied.json: an unreadable one is only
	// warned about (UnitFiles goes by the service's unit names) and, on a
	// plain uninstall, quarantined. So an error here is from systemd or the
	// files themselves, and a second try could not get past it.
	if err := in.Uninstall(ctx, opts.Service, opts.Purge); err != nil {
		return fmt.Errorf("uninstall %s: %w", opts.Service, err)
	}
	if !opts.Purge {
		if err := os.Remove(filepath.Join(dir, appliedServiceFile)); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	return nil
}

// purgeable says whether err, from opening the state dir, is one that
// uninstall --purge goes past: the dir itself or something in it is not
// trusted (*release.UntrustedError). Not a directory above it: whoever can
// change those could point the path the purge removes somewhere else.
func purgeable(dir string, err error) bool {
	ue, ok := errors.AsType[*release.UntrustedError](err)
	if !ok {
		return false
	}
	rel, rerr := filepath.Rel(dir, ue.Path)
	return rerr == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

// uninstallDir returns the state dir of an installed service, or with purge
// one that an earlier uninstall left (releases and history kept). An
// installed service file that cannot be read does not stop an uninstall:
// it is reported through warn, and the units are found by name.
func (h *Host) uninstallDir(name string, purge bool, warn func(string)) (string, error) {
	if err := config.ValidateName(name); err != nil {
		return "", asInput(err)
	}
	_, dir, err := h.loadInstalled(name)
	if err == nil {
		return dir, nil
	}
	d, derr := h.serviceDir(name)
	if derr != nil {
		return "", err
	}
	svcFile := filepath.Join(d, appliedServiceFile)
	if gone, _ := missing(svcFile); !gone {
		warn(fmt.Sprintf("%s: could not read the installed service file %s (%v); uninstalling by the service's name", name, svcFile, err))
		return d, nil
	}
	if !purge {
		return "", err
	}
	if gone, _ := missing(d); gone {
		return "", err
	}
	return d, nil
}
