package release

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// DefaultMaxSize caps what a directory or tarball may unpack to, so a
// gzip bomb cannot fill the disk holding the state directory.
const DefaultMaxSize int64 = 4 << 30

// DefaultCheckTimeout bounds StageOptions.Check when no timeout is given.
const DefaultCheckTimeout = time.Minute

// StageOptions tune Stage.
type StageOptions struct {
	// Version names the release. Empty means the first 12 hex digits of the
	// artifact's sha256, so staging the same artifact twice yields the same
	// release.
	Version string
	// Check, if set, is a command run against the staged release before it
	// is committed (overseer's SanityCheck), e.g. {"hello", "-version"}.
	// It runs with the staging directory as working directory and first in
	// PATH, so a bare name finds the release's own binary; "{release}" in
	// any argument is replaced by that directory, which is also in
	// $SYSROLL_RELEASE. It is a temporary path: a check must not remember
	// it. A non-zero exit refuses the release. Not run when the release
	// already exists.
	Check []string
	// CheckTimeout bounds Check; zero means DefaultCheckTimeout.
	CheckTimeout time.Duration
	// StripComponents drops that many leading path elements from tarball
	// entries (tar --strip-components), for tarballs that wrap everything
	// in a top directory such as hello-1.2/.
	StripComponents int
	// MaxSize caps the bytes a directory or tarball may unpack to; zero
	// means DefaultMaxSize.
	MaxSize int64
	// As is the file name a single binary gets in the release, instead of
	// its own: ./hello-v2 staged As "hello" is releases/V/hello, which a
	// command "{release}/hello" runs. Only for a binary.
	As string
	// Program, if set, is the program the service's command runs (its
	// argv[0], unexpanded). When it is "{release}/PATH", the staged
	// release must hold PATH, executable, or Stage refuses it before
	// anything is committed: otherwise every instance would fail to start
	// (203/EXEC) only once a rollout reached it.
	Program string
	// ExpectSHA256, if set, is the hex sha256 the artifact must have (the
	// digest Release.SHA256 holds for its kind: of the file for a binary
	// or tarball, the tree hash for a directory). It is compared with what
	// was actually read while staging, before anything is committed, so a
	// copy damaged or swapped on its way is refused and nothing is kept
	// (*ChecksumError).
	ExpectSHA256 string
}

// ChecksumError is Stage's refusal of an artifact whose sha256 is not
// StageOptions.ExpectSHA256.
type ChecksumError struct {
	Want, Got string
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("sha256 is %s, not the expected %s: the artifact changed or was damaged on its way; nothing was staged", e.Got, e.Want)
}

// Stage copies an artifact into the store as an immutable release and
// returns it. The artifact is one of:
//
//   - an executable regular file: placed as releases/V/<its name> (or
//     StageOptions.As), 0755;
//   - a directory: copied recursively (symlinks kept only if they resolve
//     inside it; devices, sockets and fifos refused);
//   - a .tar.gz or .tgz file: extracted with the same rules, refusing
//     absolute paths, ".." and devices, within MaxSize.
//
// Modes are normalized (directories 0755, files 0755 if executable by
// anyone, else 0644; no setuid) and owners are the caller, so any user
// the service runs as can read the release and nobody can change it.
//
// SHA256 is the sha256 of the file for a binary or tarball (what sha256sum
// prints). For a directory it is a sha256 over the sorted relative paths,
// types, modes, content hashes and link targets of the staged tree; for a
// tarball that tree hash of what it unpacked to is TreeSHA256.
//
// Staging the same version with the same checksum again returns the existing
// release; with a different checksum it fails. If the existing release no
// longer verifies (see Verify: its directory deleted, its binary replaced,
// a file changed), staging the artifact it was staged from repairs it: the
// freshly staged content takes the broken content's place in one atomic
// exchange, and the metadata (its time of staging included) is kept.
// Content that verifies is never replaced. A release that lacks the
// program StageOptions.Program names is refused before it is committed.
// Content is staged in a
// temporary directory and renamed into place, and the metadata file is
// written last, so a crash at any point leaves no half release.
func (s *Store) Stage(ctx context.Context, artifact string, opts StageOptions) (Release, error) {
	if opts.Version != "" {
		if err := validName("version", opts.Version); err != nil {
			return Release{}, fmt.Errorf("stage %s: %w", artifact, err)
		}
	}
	if opts.MaxSize <= 0 {
		opts.MaxSize = DefaultMaxSize
	}
	if opts.StripComponents < 0 {
		return Release{}, fmt.Errorf("stage %s: negative StripComponents", artifact)
	}
	rel, err := s.stage(ctx, artifact, opts)
	if err != nil {
		return Release{}, fmt.Errorf("stage %s: %w", artifact, err)
	}
	return rel, nil
}

func (s *Store) stage(ctx context.Context, artifact string, opts StageOptions) (Release, error) {
	src, err := filepath.Abs(artifact)
	if err != nil {
		return Release{}, err
	}
	fi, err := os.Stat(src)
	if err != nil {
		return Release{}, err
	}
	rel := Release{Artifact: filepath.Base(src), Source: src}
	switch {
	case fi.IsDir():
		rel.Kind = ArtifactDir
		// WalkDir does not descend through a symlink given as its root.
		if src, err = filepath.EvalSymlinks(src); err != nil {
			return Release{}, err
		}
	case !fi.Mode().IsRegular():
		return Release{}, fmt.Errorf("not a regular file or directory (%s)", fi.Mode().Type())
	case strings.HasSuffix(src, ".tar.gz") || strings.HasSuffix(src, ".tgz"):
		rel.Kind = ArtifactTarball
	default:
		rel.Kind = ArtifactBinary
	}
	if err := validAs(rel.Kind, opts.As); err != nil {
		return Release{}, err
	}
	if opts.As != "" {
		rel.Artifact = opts.As // Verify finds the binary under this name
	}

	tmp, held, err := s.makeStaging()
	if err != nil {
		return Release{}, err
	}
	defer held.Close()
	defer os.RemoveAll(tmp) // a no-op once tmp is renamed into place
	if err := fill(ctx, tmp, src, rel.Kind, opts, &rel); err != nil {
		return Release{}, err
	}
	if opts.ExpectSHA256 != "" && !strings.EqualFold(opts.ExpectSHA256, rel.SHA256) {
		return Release{}, &ChecksumError{Want: strings.ToLower(opts.ExpectSHA256), Got: rel.SHA256}
	}

	if opts.Version == "" {
		opts.Version = rel.SHA256[:12]
	}
	rel.Version = opts.Version
	old, state, err := s.existing(rel)
	if err != nil {
		return old, err
	}
	if state == intact {
		// The same content staged before, maybe under another binary name
		// (the same sha256): what instances would run is old's.
		if err := checkProgram(old.Path, opts.Program, old); err != nil {
			if old.Kind == ArtifactBinary && old.Artifact != rel.Artifact {
				return Release{}, fmt.Errorf("release %s holds this binary already, staged before as %s, and the command runs %s: stage it under another --version to name it %s",
					old.Version, old.Artifact, opts.Program, rel.Artifact)
			}
			return Release{}, fmt.Errorf("release %s, staged before: %w", old.Version, err)
		}
		return old, nil
	}
	if state == broken && old.Artifact != rel.Artifact && old.Kind == ArtifactBinary {
		// A repair keeps old's metadata, which names the binary old's way.
		return Release{}, fmt.Errorf("release %s needs repair and was staged with its binary named %s, not %s: stage it again with --as %s, or as a new release with another --version",
			old.Version, old.Artifact, rel.Artifact, old.Artifact)
	}
	if err := checkProgram(tmp, opts.Program, rel); err != nil {
		return Release{}, err
	}
	// A repair stages what was checked before: the same sha256.
	if state == absent && len(opts.Check) > 0 {
		if err := runCheck(ctx, tmp, opts.Check, opts.CheckTimeout); err != nil {
			return Release{}, &CheckError{err}
		}
		if err := unchangedByCheck(tmp, rel, opts); err != nil {
			return Release{}, &CheckError{err}
		}
	}
	if err := syncTree(tmp); err != nil {
		return Release{}, err
	}
	return s.commit(tmp, rel)
}

// fill stages src into the empty directory tmp and sets rel's checksum and
// size.
func fill(ctx context.Context, tmp, src string, kind ArtifactKind, opts StageOptions, rel *Release) error {
	root, err := os.OpenRoot(tmp)
	if err != nil {
		return err
	}
	defer root.Close()
	switch kind {
	case ArtifactBinary:
		rel.SHA256, rel.Size, err = copyBinary(root, src, rel.Artifact)
	case ArtifactDir:
		rel.Size, err = copyTree(ctx, root, src, opts.MaxSize)
	case ArtifactTarball:
		rel.SHA256, rel.Size, err = extractTarball(ctx, root, src, opts.StripComponents, opts.MaxSize)
	}
	if err != nil {
		return err
	}
	if err := normalizeModes(tmp); err != nil {
		return err
	}
	if err := checkSymlinks(tmp); err != nil {
		return err
	}
	switch kind {
	case ArtifactDir:
		rel.SHA256, err = hashTree(tmp, opts.MaxSize)
	case ArtifactTarball:
		rel.TreeSHA256, err = hashTree(tmp, opts.MaxSize)
	}
	return err
}

// stagedState is what is staged already under a version being staged.
type stagedState int

const (
	absent stagedState = iota // nothing: commit the new release
	intact                    // the same artifact, content verified: keep it
	broken                    // the same artifact, content changed: repair it
)

// existing says what is staged already under rel's version: the release
// and its state, or an error if it was staged from another artifact (a
// different checksum) or cannot be read.
func (s *Store) existing(rel Release) (Release, stagedState, error) {
	old, err := s.meta(rel.Version)
	switch {
	case errors.Is(err, ErrNotFound):
		return Release{}, absent, nil
	case err != nil:
		return Release{}, absent, err
	case old.SHA256 != rel.SHA256:
		return Release{}, absent, fmt.Errorf("release %s already exists with a different checksum (have %s, staging %s)",
			rel.Version, short(old.SHA256), short(rel.SHA256))
	}
	check := old
	if check.Kind == ArtifactTarball && check.TreeSHA256 == "" {
		// Metadata from before tree hashes: the same archive unpacks to
		// the tree just staged, so that is what it must hold.
		check.TreeSHA256 = rel.TreeSHA256
	}
	err = verifyContent(check)
	switch {
	case errors.Is(err, ErrChanged):
		return old, broken, nil
	case err != nil:
		return Release{}, absent, err
	}
	return old, intact, nil
}

// commit renames the staged tree into place and then writes its metadata,
// the step that makes the release exist; or, for a release whose content
// no longer verifies, puts the staged tree in place of that content.
func (s *Store) commit(tmp string, rel Release) (Release, error) {
	unlock, err := s.stageLock()
	if err != nil {
		return Release{}, err
	}
	defer unlock()
	// Again under the lock: another process may have staged (or repaired)
	// it meanwhile.
	old, state, err := s.existing(rel)
	switch {
	case err != nil || state == intact:
		return old, err
	case state == broken:
		return s.repair(tmp, old, rel)
	}
	rel.Path = s.Path(rel.Version)
	// A directory without metadata was never committed (a crash mid-Stage or
	// mid-Prune); replace it, unless an instance somehow points at it.
	if _, err := os.Lstat(rel.Path); err == nil {
		if q := quarantinedAs(s.metaPath(rel.Version)); len(q) > 0 {
			return Release{}, fmt.Errorf("release %s: its metadata was corrupt and is quarantined as %s, and its content in %s may be what an instance runs or what was proven good: "+
				"stage this artifact under another version, or, once you know %s is not needed, remove it and the quarantined file by hand", rel.Version, q[len(q)-1], rel.Path, rel.Path)
		}
		users, err := s.usersOf(rel.Version)
		if err != nil {
			return Release{}, err
		}
		if len(users) > 0 {
			return Release{}, fmt.Errorf("%s exists without metadata and instance %s uses it; refusing to replace it", rel.Path, users[0])
		}
		if err := os.RemoveAll(rel.Path); err != nil {
			return Release{}, err
		}
	}
	if err := os.Rename(tmp, rel.Path); err != nil {
		return Release{}, err
	}
	rel.Created = time.Now().UTC()
	data, err := json.MarshalIndent(rel, "", "  ")
	if err == nil {
		err = WriteFileAtomic(s.metaPath(rel.Version), append(data, '\n'), 0o644)
	}
	if err != nil {
		os.RemoveAll(rel.Path)
		return Release{}, err
	}
	return rel, nil
}

// repair puts the freshly staged tree tmp in the place of old's content,
// which no longer verifies, with one rename(2) exchange: a process
// starting at any moment finds the broken content or the repaired one,
// never a missing directory. tmp then holds the broken content, which
// Stage's cleanup removes (or, after a crash, the next Lock or Prune: it
// is a staging directory). old's metadata stays; a tarball staged before
// tree hashes gains its TreeSHA256.
func (s *Store) repair(tmp string, old, rel Release) (Release, error) {
	err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, old.Path, unix.RENAME_EXCHANGE)
	switch {
	case errors.Is(err, unix.ENOENT):
		err = os.Rename(tmp, old.Path) // the content is gone: nothing to exchange
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOSYS):
		// A filesystem without RENAME_EXCHANGE: the broken content aside
		// under a staging name, then the new in its place.
		aside := tmp + "-broken"
		if err = os.Rename(old.Path, aside); err == nil {
			err = os.Rename(tmp, old.Path)
			os.RemoveAll(aside)
		}
	}
	if err != nil {
		return Release{}, fmt.Errorf("repair release %s: %w", old.Version, err)
	}
	if old.Kind == ArtifactTarball && old.TreeSHA256 == "" && rel.TreeSHA256 != "" {
		old.TreeSHA256 = rel.TreeSHA256
		data, err := json.MarshalIndent(old, "", "  ")
		if err == nil {
			err = WriteFileAtomic(s.metaPath(old.Version), append(data, '\n'), 0o644)
		}
		if err != nil {
			return Release{}, fmt.Errorf("repair release %s: record its tree hash: %w", old.Version, err)
		}
	}
	return old, nil
}

// usersOf lists the instances whose current link points at version.
func (s *Store) usersOf(version string) ([]string, error) {
	insts, err := s.Instances()
	if err != nil {
		return nil, err
	}
	var users []string
	for inst, v := range insts {
		if v == version {
			users = append(users, inst)
		}
	}
	return users, nil
}

// syncTree flushes every file and directory of the staged tree, so the
// content is on disk before the rename that publishes it. (syncfs(2) would
// be one call, but it also waits for every other writer on the filesystem.)
func syncTree(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !(d.IsDir() || d.Type().IsRegular()) {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		err = f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	})
}

// normalizeModes makes the staged tree readable by anyone and writable by
// no one but its owner, and drops setuid/setgid/sticky bits.
func normalizeModes(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		var mode fs.FileMode
		switch {
		case d.IsDir():
			mode = 0o755
		case d.Type().IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			mode = 0o644
			if info.Mode().Perm()&0o111 != 0 {
				mode = 0o755
			}
		default:
			return nil // symlinks have no mode of their own
		}
		return os.Chmod(path, mode)
	})
}

func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12]
	}
	return sum
}

// unchangedByCheck refuses a release its check wrote into: the tree's
// sha256 was taken before the check, and every later use verifies it, so
// a changed tree would be refused as tampered with at the first deploy.
// (A single binary's release is verified by the binary alone.)
func unchangedByCheck(tmp string, rel Release, opts StageOptions) error {
	want := rel.TreeSHA256
	switch rel.Kind {
	case ArtifactDir:
		want = rel.SHA256
	case ArtifactBinary:
		return nil
	}
	got, err := hashTree(tmp, opts.MaxSize)
	if err != nil {
		return fmt.Errorf("hashing the release after its check: %w", err)
	}
	if got != want {
		return fmt.Errorf("check %q wrote into the release (its files changed while it ran): a release is immutable once staged; make the check write elsewhere, e.g. under /tmp", shellJoin(opts.Check))
	}
	return nil
}
