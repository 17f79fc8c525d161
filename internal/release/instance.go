package release

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// linkPrefix is how every current link starts: relative, so the state
// directory can be moved or bind-mounted elsewhere without breaking links.
const linkPrefix = "../../" + releasesDir + "/"

// LinkPath is the per-instance symlink under a service's state directory that
// selects the release the instance runs: STATEDIR/instances/INSTANCE/current.
// The rendered units refer to it (ExecStart=STATEDIR/instances/%i/current/app),
// so switching a release is an atomic symlink swap plus a restart, with no
// daemon-reload. The one definition of that path: unitfile renders it, the
// store reads and swaps it.
func LinkPath(stateDir, instance string) string {
	return filepath.Join(stateDir, instancesDir, instance, currentLink)
}

// CurrentPath is LinkPath in this store.
func (s *Store) CurrentPath(instance string) string { return LinkPath(s.dir, instance) }

// Current returns the version an instance's link points at, or "" if the
// instance has none yet.
func (s *Store) Current(instance string) (string, error) {
	if err := validName("instance", instance); err != nil {
		return "", err
	}
	target, err := os.Readlink(s.CurrentPath(instance))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("instance %s: %w", instance, err)
	}
	version, ok := strings.CutPrefix(target, linkPrefix)
	if !ok || validName("version", version) != nil {
		return "", fmt.Errorf("instance %s: current points at %q, not at a release", instance, target)
	}
	return version, nil
}

// Switch points an instance at a release, atomically: a process starting
// at any moment finds the old release or the new one, never nothing. It
// refuses a release that is not (fully) staged. The running process is not
// affected; restarting it is the caller's job.
func (s *Store) Switch(instance, version string) error {
	if err := validName("instance", instance); err != nil {
		return err
	}
	unlock, err := s.stageLock()
	if err != nil {
		return fmt.Errorf("switch %s to %s: %w", instance, version, err)
	}
	defer unlock()
	if _, err := s.Get(version); err != nil {
		return fmt.Errorf("switch %s to %s: %w", instance, version, err)
	}
	dir := filepath.Join(s.dir, instancesDir, instance)
	if err := mkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("switch %s to %s: %w", instance, version, err)
	}
	if err := replaceSymlink(linkPrefix+version, s.CurrentPath(instance)); err != nil {
		return fmt.Errorf("switch %s to %s: %w", instance, version, err)
	}
	return nil
}

// RemoveInstance forgets an instance (its link), e.g. after it was removed
// from the service file. Removing one that does not exist is not an error.
func (s *Store) RemoveInstance(instance string) error {
	if err := validName("instance", instance); err != nil {
		return err
	}
	if err := os.RemoveAll(filepath.Join(s.dir, instancesDir, instance)); err != nil {
		return fmt.Errorf("remove instance %s: %w", instance, err)
	}
	return nil
}

// Instances maps every instance that has a current link to its version.
func (s *Store) Instances() (map[string]string, error) {
	entries, err := os.ReadDir(filepath.Join(s.dir, instancesDir))
	if err != nil {
		return nil, fmt.Errorf("list instances: %w", err)
	}
	insts := make(map[string]string)
	for _, e := range entries {
		if !e.IsDir() || validName("instance", e.Name()) != nil {
			continue
		}
		v, err := s.Current(e.Name())
		if err != nil {
			return nil, err
		}
		if v != "" {
			insts[e.Name()] = v
		}
	}
	return insts, nil
}

// Running tells which release the process pid runs, from where the kernel
// resolved its working directory (the units start instances in {release},
// i.e. in instances/I/current, resolved at exec) or, failing that, its
// executable. It is the truth even when the instance's link was switched
// and the process not yet restarted (a rollout killed in between). ok is
// false when neither points into this store's releases.
func (s *Store) Running(pid uint32) (version string, ok bool) {
	if pid == 0 {
		return "", false
	}
	dir := s.dir
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real // the kernel reports resolved paths
	}
	root := filepath.Join(dir, releasesDir) + string(filepath.Separator)
	for _, link := range []string{"cwd", "exe"} {
		p, err := os.Readlink(filepath.Join("/proc", strconv.FormatUint(uint64(pid), 10), link))
		if err != nil || !strings.HasPrefix(p, root) {
			continue
		}
		v, _, _ := strings.Cut(strings.TrimPrefix(p, root), string(filepath.Separator))
		if validName("version", v) == nil {
			return v, true
		}
	}
	return "", false
}
