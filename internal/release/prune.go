package release

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Prune deletes the oldest releases so that at most keep remain, plus any
// release that must stay whatever its age:
//
//   - one an instance's current link points at;
//   - the known-good release, and the one a rollback from it would go to
//     (PreviousGood), so `sysroll rollback` always has its target;
//   - one named by a record still marked running (From, To, or any
//     instance's From/To), so an interrupted rollout can be resumed or
//     reverted.
//
// It also removes leftovers of crashed Stage or Prune calls. A release
// whose metadata was quarantined as corrupt is never deleted: what it is
// and who needs it is unknown. It returns the
// versions it deleted, oldest first. A release is deleted metadata first, so
// a crash halfway leaves a leftover, never a release with missing content.
func (s *Store) Prune(keep int) ([]string, error) {
	if keep < 0 {
		return nil, fmt.Errorf("prune: keep must be at least 0, not %d", keep)
	}
	unlock, err := s.stageLock()
	if err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	defer unlock()
	inUse, err := s.inUse()
	if err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	rels, err := s.Releases()
	if err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	var removed []string
	for _, r := range rels[:max(0, len(rels)-keep)] {
		if inUse[r.Version] {
			continue
		}
		if err := s.removeRelease(r.Version); err != nil {
			return removed, fmt.Errorf("prune %s: %w", r.Version, err)
		}
		removed = append(removed, r.Version)
	}
	if err := s.removeLeftovers(inUse); err != nil {
		return removed, fmt.Errorf("prune: %w", err)
	}
	return removed, nil
}

// inUse is the set of releases Prune must keep.
func (s *Store) inUse() (map[string]bool, error) {
	keep := make(map[string]bool)
	insts, err := s.Instances()
	if err != nil {
		return nil, err
	}
	for _, v := range insts {
		keep[v] = true
	}
	good, err := s.KnownGood()
	if err != nil {
		return nil, err
	}
	if good != "" {
		keep[good] = true
		prev, err := s.PreviousGood(good)
		if _, lost := errors.AsType[*LostGoodError](err); err != nil && !lost && !errors.Is(err, ErrNoGoodRelease) {
			return nil, err
		}
		if prev != "" {
			keep[prev] = true
		}
	}
	recs, err := s.Records()
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		if r.Result != ResultRunning {
			continue
		}
		keep[r.From], keep[r.To] = true, true
		for _, in := range r.Instances {
			keep[in.From], keep[in.To] = true, true
		}
	}
	delete(keep, "")
	return keep, nil
}

func (s *Store) removeRelease(version string) error {
	if err := os.Remove(s.metaPath(version)); err != nil {
		return err
	}
	if err := syncDir(filepath.Join(s.dir, releasesDir)); err != nil {
		return err
	}
	return os.RemoveAll(s.Path(version))
}

// removeLeftovers deletes what crashed Stage and Prune calls left behind:
// abandoned staging directories and temporary files, content without
// metadata, metadata without content. The caller holds the stage lock, so
// no commit is in progress.
func (s *Store) removeLeftovers(inUse map[string]bool) error {
	if err := s.cleanStaging(); err != nil {
		return err
	}
	dir := filepath.Join(s.dir, releasesDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name, path := e.Name(), filepath.Join(dir, e.Name())
		switch {
		case e.IsDir() && validName("version", name) == nil && !inUse[name]:
			if len(quarantinedAs(s.metaPath(name))) > 0 {
				continue // its metadata was corrupt: keep what may be in use
			}
			if _, err := os.Lstat(s.metaPath(name)); errors.Is(err, os.ErrNotExist) {
				if err := os.RemoveAll(path); err != nil {
					return err
				}
			}
		case strings.HasSuffix(name, metaSuffix) && e.Type().IsRegular():
			version := strings.TrimSuffix(name, metaSuffix)
			if validName("version", version) != nil || inUse[version] {
				continue
			}
			if _, err := os.Lstat(s.Path(version)); errors.Is(err, os.ErrNotExist) {
				if err := os.Remove(path); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
