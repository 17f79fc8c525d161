package release

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Names of the entries under a store's directory.
const (
	releasesDir   = "releases"
	instancesDir  = "instances"
	rolloutsDir   = "rollouts"
	knownGoodFile = "known-good"
	lockFile      = "lock"
	currentLink   = "current"
	metaSuffix    = ".json"
	tmpPrefix     = ".tmp-" // staging directories under releases/
	stageLockFile = ".lock" // under releases/: serializes Stage, Switch, Prune
)

// ErrNotFound is wrapped by errors about a release, instance or record that
// does not exist.
var ErrNotFound = errors.New("not found")

// Store is one service's release store. Its methods may be called from
// several goroutines and processes at once (see the package doc for what
// needs the deploy lock).
type Store struct {
	dir  string
	name string
}

// Open opens the store in dir, creating its directories as needed: dir,
// releases/ and instances/ 0755 (the service reads them), rollouts/ 0700.
// It refuses a store someone else could change (see SecureDir): each of
// those directories must be a real directory owned by the running user or
// root and writable by its owner alone, and so must every directory above
// (or be sticky, like /tmp). The service's name, used in messages, is
// dir's base name.
func Open(dir string) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open release store %s: %w", dir, err)
	}
	for _, d := range []struct {
		path string
		perm fs.FileMode
	}{
		{abs, 0o755},
		{filepath.Join(abs, releasesDir), 0o755},
		{filepath.Join(abs, instancesDir), 0o755},
		{filepath.Join(abs, rolloutsDir), 0o700},
	} {
		if d.path != abs {
			if err := asideIfNotDir(d.path); err != nil {
				return nil, fmt.Errorf("open release store %s: %w", dir, err)
			}
		}
		if err := mkdirAll(d.path, d.perm); err != nil {
			return nil, fmt.Errorf("open release store %s: %w", dir, err)
		}
		if err := checkOwned(d.path); err != nil {
			return nil, fmt.Errorf("open release store %s: %w", dir, err)
		}
	}
	if err := checkAbove(filepath.Dir(abs)); err != nil {
		return nil, fmt.Errorf("open release store %s: %w", dir, err)
	}
	return &Store{dir: abs, name: filepath.Base(abs)}, nil
}

// asideIfNotDir quarantines a file, FIFO or other non-directory found
// where the store keeps one of its directories (releases, instances,
// rollouts): it holds nothing sysroll wrote, and left there it failed every
// verb, status and uninstall too, with "exists and is not a directory". A
// link is left for checkOwned, which refuses it naming the fix: it may be
// an admin's move of the directory to another disk, whose content a
// quarantine would hide.
func asideIfNotDir(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && (fi.IsDir() || fi.Mode()&fs.ModeSymlink != 0)) {
		return nil
	}
	if err != nil {
		return err
	}
	ce := &CorruptError{What: filepath.Base(path) + " directory", Path: path, Err: fmt.Errorf("is not a directory but %s", DescribeType(fi.Mode()))}
	if qerr := quarantine(ce); ce.Moved == "" {
		return qerr
	}
	return nil
}

// Dir is the store's absolute directory.
func (s *Store) Dir() string { return s.dir }

// Name is the service's name (the directory's base name).
func (s *Store) Name() string { return s.name }

// Path is the directory holding a release's content, whether or not it
// exists.
func (s *Store) Path(version string) string {
	return filepath.Join(s.dir, releasesDir, version)
}

func (s *Store) metaPath(version string) string {
	return filepath.Join(s.dir, releasesDir, version+metaSuffix)
}

// ArtifactKind is what was staged.
type ArtifactKind string

// Artifact kinds.
const (
	ArtifactBinary  ArtifactKind = "binary"  // one executable, placed as releases/V/<name>
	ArtifactDir     ArtifactKind = "dir"     // a directory tree, copied
	ArtifactTarball ArtifactKind = "tarball" // a .tar.gz/.tgz, extracted
)

// Release is one staged, immutable release.
type Release struct {
	Version  string       `json:"version"`
	SHA256   string       `json:"sha256"`           // of the file staged; for a directory, see Stage
	Artifact string       `json:"artifact"`         // base name of what was staged
	Source   string       `json:"source,omitempty"` // absolute path it was staged from
	Kind     ArtifactKind `json:"kind"`
	Created  time.Time    `json:"created"`
	Size     int64        `json:"size"` // bytes of regular-file content in the release
	// TreeSHA256 is, for a tarball, the tree hash of what it unpacked to
	// (as SHA256 is for a directory), so Verify can see a changed file of
	// the same size. Empty in metadata written before it was recorded.
	TreeSHA256 string `json:"tree_sha256,omitempty"`
	// Path is the release's directory (not stored: derived from the store).
	Path string `json:"-"`
}

// Get returns a release. A release whose metadata or content is missing
// (never fully staged, or half pruned) is reported as ErrNotFound. Corrupt
// metadata is quarantined and reported as a *CorruptError naming the file;
// the release's content is kept (see Prune), and the release is not found
// from then on, with a message that says why.
func (s *Store) Get(version string) (Release, error) {
	r, err := s.meta(version)
	if err != nil {
		return Release{}, err
	}
	if fi, err := os.Lstat(r.Path); err != nil || !fi.IsDir() {
		return Release{}, fmt.Errorf("release %s: content directory missing: %w", version, ErrNotFound)
	}
	return r, nil
}

// meta reads a release's metadata as Get does, whether or not its content
// is there.
func (s *Store) meta(version string) (Release, error) {
	if err := validName("version", version); err != nil {
		return Release{}, err
	}
	path := s.metaPath(version)
	if fi, err := os.Lstat(path); err == nil && fi.IsDir() {
		return Release{}, fmt.Errorf("release %s: %w: %s is a directory (a release an older sysroll let be named %s%s)", version, ErrNotFound, path, version, metaSuffix)
	}
	data, err := readState(metaWhat, path, maxMetaSize)
	if errors.Is(err, fs.ErrNotExist) {
		if q := quarantinedAs(path); len(q) > 0 {
			return Release{}, fmt.Errorf("release %s: %w: its metadata was corrupt and is quarantined as %s; its content is kept in %s",
				version, ErrNotFound, q[len(q)-1], s.Path(version))
		}
		return Release{}, fmt.Errorf("release %s: %w", version, ErrNotFound)
	}
	var r Release
	if err == nil {
		if err = decodeState(metaWhat, path, data, &r); err == nil && r.Version != version {
			err = &CorruptError{What: metaWhat, Path: path, Err: fmt.Errorf("field version: %q, but the file is named for %q", r.Version, version)}
		}
	}
	if ce, ok := errors.AsType[*CorruptError](err); ok {
		return Release{}, fmt.Errorf("release %s: %w", version, quarantine(ce))
	}
	if err != nil {
		return Release{}, fmt.Errorf("release %s: %w", version, err)
	}
	r.Path = s.Path(version)
	return r, nil
}

const metaWhat = "release metadata"

// Releases returns every complete release, oldest first.
func (s *Store) Releases() ([]Release, error) {
	entries, err := os.ReadDir(filepath.Join(s.dir, releasesDir))
	if err != nil {
		return nil, fmt.Errorf("list releases: %w", err)
	}
	var rels []Release
	for _, e := range entries {
		version, ok := strings.CutSuffix(e.Name(), metaSuffix)
		// A directory named like metadata is a release an older sysroll
		// let be named VERSION.json: not ours to judge.
		if !ok || e.IsDir() || validName("version", version) != nil {
			continue
		}
		r, err := s.Get(version)
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrCorrupt) {
			continue // a leftover Prune cleans up, or quarantined
		}
		if err != nil {
			return nil, err
		}
		rels = append(rels, r)
	}
	slices.SortFunc(rels, func(a, b Release) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.Version, b.Version)
	})
	return rels, nil
}

// stageLock takes the short-lived lock that serializes Stage's commit,
// Switch and Prune, across processes, so Prune can never delete a release
// an instance is being switched to. It blocks; the critical sections it
// guards do only a few renames.
func (s *Store) stageLock() (unlock func(), err error) {
	f, err := openLockFile(filepath.Join(s.dir, releasesDir, stageLockFile), "stage lock")
	if err != nil {
		return nil, fmt.Errorf("lock releases: %w", err)
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock releases: %w", err)
	}
	return func() { f.Close() }, nil // closing the last fd drops the flock
}
