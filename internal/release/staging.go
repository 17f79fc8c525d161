package release

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// A staging directory (releases/.tmp-*) is flock'd by the Stage that made
// it for as long as that Stage runs, so a staging directory whose flock can
// be taken belongs to a Stage that is gone (killed, crashed): it is removed
// at once by the next Lock or Prune, not after some age. The flock is
// taken under the stage lock, as the directory is made, and the cleanup
// runs under the stage lock too, so it can never catch a directory between
// its creation and its flock.

// makeStaging creates a flock'd staging directory under releases/. Closing
// the returned file drops the flock.
func (s *Store) makeStaging() (dir string, held *os.File, err error) {
	unlock, err := s.stageLock()
	if err != nil {
		return "", nil, err
	}
	defer unlock()
	dir, err = os.MkdirTemp(filepath.Join(s.dir, releasesDir), tmpPrefix)
	if err != nil {
		return "", nil, err
	}
	held, err = os.Open(dir)
	if err == nil {
		if err = flock(held, unix.LOCK_EX|unix.LOCK_NB); err != nil {
			held.Close()
		}
	}
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("lock staging directory %s: %w", dir, err)
	}
	return dir, held, nil
}

// cleanStaging removes what killed Stage calls and interrupted atomic
// writes left in releases/ and beside the known-good file: staging
// directories nobody holds, and temporary files (only ever written under
// the stage lock, which the caller holds, so none is in progress).
func (s *Store) cleanStaging() error {
	var errs []error
	for _, dir := range []string{filepath.Join(s.dir, releasesDir), s.dir} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, e := range entries {
			name := e.Name()
			if !strings.HasPrefix(name, ".") || !strings.Contains(name, tmpPrefix) {
				continue
			}
			path := filepath.Join(dir, name)
			switch {
			case dir == s.dir && !strings.HasPrefix(name, "."+knownGoodFile+tmpPrefix):
				// Other writers in the state dir (applied.json, service.yaml)
				// do not take the stage lock: theirs may be in progress.
			case e.IsDir():
				if abandoned(path) {
					errs = append(errs, os.RemoveAll(path))
				}
			default:
				if err := os.Remove(path); !errors.Is(err, os.ErrNotExist) {
					errs = append(errs, err)
				}
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove staging leftovers: %w", err)
	}
	return nil
}

// abandoned reports whether no Stage holds the staging directory path.
func abandoned(path string) bool {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	for {
		err = unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		if err != unix.EINTR {
			return err == nil // closing fd drops our probe
		}
	}
}
