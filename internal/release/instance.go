package release

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
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

// ErrForeignLink is wrapped by Current's error for an instance whose link
// is not one sysroll made: instances/INSTANCE not a real directory,
// current not a symbolic link, or one that points outside this store's
// releases. Such a link is never followed nor written through; Switch
// replaces it (the host's link repair does so) and Instances skips it.
var ErrForeignLink = errors.New("not a link sysroll made")

// Current returns the version an instance's link points at, or "" if the
// instance has none yet. Only what sysroll itself makes is used:
// instances/INSTANCE a directory (not a link: one planted there is not
// followed), current in it a symlink to ../../releases/VERSION; anything
// else is an error wrapping ErrForeignLink that names the path.
func (s *Store) Current(instance string) (string, error) {
	if err := validName("instance", instance); err != nil {
		return "", err
	}
	dir := filepath.Join(s.dir, instancesDir, instance)
	if fi, err := os.Lstat(dir); err == nil && !fi.IsDir() {
		return "", fmt.Errorf("instance %s: %s is %s, not a directory: %w", instance, dir, DescribeType(fi.Mode()), ErrForeignLink)
	}
	link := s.CurrentPath(instance)
	target, err := os.Readlink(link)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if errors.Is(err, syscall.EINVAL) {
		return "", fmt.Errorf("instance %s: %s is not a symbolic link: %w", instance, link, ErrForeignLink)
	}
	if err != nil {
		return "", fmt.Errorf("instance %s: %w", instance, err)
	}
	version, ok := strings.CutPrefix(target, linkPrefix)
	if !ok || validName("version", version) != nil {
		return "", fmt.Errorf("instance %s: current points at %q, not at a release: %w", instance, target, ErrForeignLink)
	}
	return version, nil
}

const linkWhat = "release link"

// asideIfNotLink quarantines what is at path unless it is a symbolic link
// or nothing: a directory or file there would make the rename of the new
// link fail or land inside it.
func (s *Store) asideIfNotLink(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && fi.Mode()&fs.ModeSymlink != 0) {
		return nil
	}
	if err != nil {
		return err
	}
	ce := &CorruptError{What: linkWhat, Path: path, Err: fmt.Errorf("is not a symbolic link but %s", DescribeType(fi.Mode()))}
	if qerr := quarantine(ce); ce.Moved == "" {
		return qerr
	}
	return nil
}

// instanceDir checks that instances/INSTANCE, if it exists, is a directory
// and not a link: one planted there would make Switch write through it.
// Such a thing is quarantined. With create, a missing one is made.
func (s *Store) instanceDir(instance string, create bool) error {
	dir := filepath.Join(s.dir, instancesDir, instance)
	fi, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("instance %s: %w", instance, err)
	case fi.IsDir():
		return nil
	default:
		ce := &CorruptError{What: "instance directory", Path: dir, Err: fmt.Errorf("is not a directory but %s, which sysroll never follows", DescribeType(fi.Mode()))}
		if qerr := quarantine(ce); ce.Moved == "" {
			return fmt.Errorf("instance %s: %w", instance, qerr)
		}
	}
	if !create {
		return nil
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("instance %s: %w", instance, err)
	}
	if err := os.Chmod(dir, 0o755); err != nil { // exactly, whatever the umask
		return fmt.Errorf("instance %s: %w", instance, err)
	}
	return s.instanceDir(instance, false)
}

// DescribeType names the kind of file m is ("a symbolic link", "a
// directory", "a regular file", ...), for messages about what was found
// where sysroll keeps its own.
func DescribeType(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a directory"
	case m.IsRegular():
		return "a regular file"
	}
	return "a " + m.Type().String() + " file"
}

// Switch points an instance at a release, atomically: a process starting
// at any moment finds the old release or the new one, never nothing. It
// refuses a release that is not (fully) staged. The running process is not
// affected; restarting it is the caller's job. What is planted where
// sysroll keeps its own (instances/INSTANCE not a real directory, current
// not a symbolic link) is moved aside first, never written through; a
// current link pointing elsewhere is simply replaced (rename(2) replaces
// the link itself, it does not follow it).
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
	if err := s.instanceDir(instance, true); err != nil {
		return fmt.Errorf("switch %s to %s: %w", instance, version, err)
	}
	if err := s.asideIfNotLink(s.CurrentPath(instance)); err != nil {
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
		if validName("instance", e.Name()) != nil {
			continue // quarantined, temporary files
		}
		v, err := s.Current(e.Name())
		if errors.Is(err, ErrForeignLink) {
			continue // points at no release of ours, so it protects none
		}
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
