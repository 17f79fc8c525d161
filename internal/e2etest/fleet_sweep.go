//go:build integration

package e2etest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/sysroll/sysroll/internal/testbed"
)

// sweepFleet removes what a killed earlier run with this prefix left. It
// runs under the prefix's lock, so no live run owns any of it. The
// killed run's containers halted by themselves (testbed's parent-death
// signal); left are its namespaces, links and bridge (names starting with
// exactly "srPREFIX-", see planFleet), its fleet directory, and what
// testbed keeps per container until Close: the log directory, nspawn's
// propagation directory and the container's cgroups, named after its
// machine name "PREFIX-hN-PID-..." and taken only when that PID is gone.
func sweepFleet(ctx context.Context, prefix string) error {
	var swept []string
	err := removeLinks(ctx, func(name string) bool {
		if ownedByFleet(prefix, name) {
			swept = append(swept, name)
			return true
		}
		return false
	})
	if err != nil {
		return fmt.Errorf("sweep a killed run's namespaces and links: %w", err)
	}
	stale := func(name string) bool {
		if fleetDirOf(prefix, name) {
			return true
		}
		pid, ok := fleetMachinePID(prefix, strings.TrimPrefix(name, "testbed-"))
		return ok && !processExists(pid)
	}
	var errs []error
	for _, dir := range append([]string{os.TempDir(), "/run/systemd/nspawn/propagate"}, testbed.OwnCgroupDirs()...) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue // no such directory here
		}
		for _, e := range entries {
			if !e.IsDir() || !stale(e.Name()) {
				continue
			}
			p := filepath.Join(dir, e.Name())
			swept = append(swept, p)
			if strings.HasPrefix(dir, "/sys/fs/cgroup") {
				errs = append(errs, removeCgroupTree(p))
			} else {
				errs = append(errs, os.RemoveAll(p))
			}
		}
	}
	if len(swept) > 0 && testingVerbose() {
		fmt.Fprintf(os.Stderr, "fleet %s: swept what an earlier run left: %s\n", prefix, strings.Join(swept, " "))
	}
	// Files in the way break nothing: say so and go on.
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintf(os.Stderr, "fleet %s: could not sweep all of a killed run's files: %v\n", prefix, err)
	}
	return nil
}

func processExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// removeCgroupTree removes an empty cgroup and its children, deepest
// first (cgroup directories go with rmdir, not by removing their files).
func removeCgroupTree(dir string) error {
	var all []string
	filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && e.IsDir() {
			all = append(all, p)
		}
		return nil
	})
	var errs []error
	for _, p := range slices.Backward(all) {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
