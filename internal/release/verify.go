package release

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sysroll/sysroll/internal/safeio"
)

// ErrChanged is matched (errors.Is) by every *ChangedError.
var ErrChanged = errors.New("release changed since it was staged")

// ChangedError says that a release's content on disk is not what Stage
// recorded in its metadata: the world changed behind sysroll's back.
type ChangedError struct {
	Release string // the release's version
	Path    string // what differs: the release's directory, or its binary
	// What is the property that differs: "existence" (Path is gone),
	// "type" (Path is not a directory, or not a regular file), "sha256",
	// "tree sha256", "size" or "mode" (of a binary).
	What string
	Want string // as Stage recorded it
	Got  string // as found now
}

func (e *ChangedError) Error() string {
	switch e.What {
	case "existence":
		return fmt.Sprintf("release %s: %s %s is missing", e.Release, e.Want, e.Path)
	case "type":
		return fmt.Sprintf("release %s: %s is %s, but was staged as %s", e.Release, e.Path, e.Got, e.Want)
	}
	want, got := e.Want, e.Got
	if strings.HasSuffix(e.What, "sha256") {
		want, got = short(want), short(got)
	}
	return fmt.Sprintf("release %s: %s changed since it was staged: %s %s, recorded %s", e.Release, e.Path, e.What, got, want)
}

// Is makes errors.Is(err, ErrChanged) true.
func (e *ChangedError) Is(target error) bool { return target == ErrChanged }

// Verify checks that version's content on disk is what Stage recorded: its
// metadata readable (a corrupt file is a *CorruptError, quarantined as Get
// does), its directory there and a real directory (not a link), and its
// checksum the recorded one: a binary's sha256, a directory's tree hash
// (see Stage), a tarball's unpacked tree hash (TreeSHA256). A tarball
// staged by a sysroll that did not record TreeSHA256 can only be compared
// by its unpacked size, so a file changed to one of the same size is not
// seen there; staging it again records the tree hash.
//
// Verify follows no link, never blocks on a special file and reads at most
// the recorded size (plus one byte) of content. Content that differs is a
// *ChangedError naming the release, the path and what differs; metadata
// that is missing wraps ErrNotFound; anything else (a file it may not
// read) is returned with the path.
func (s *Store) Verify(version string) error {
	rel, err := s.meta(version)
	if err != nil {
		return err
	}
	return verifyContent(rel)
}

// verifyContent checks rel's content against rel's checksums.
func verifyContent(rel Release) error {
	changed := func(path, what, want, got string) error {
		return &ChangedError{Release: rel.Version, Path: path, What: what, Want: want, Got: got}
	}
	fi, err := os.Lstat(rel.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return changed(rel.Path, "existence", "directory", "missing")
	case err != nil:
		return fmt.Errorf("release %s: %w", rel.Version, err)
	case !fi.IsDir():
		return changed(rel.Path, "type", "a directory", DescribeType(fi.Mode()))
	}
	switch rel.Kind {
	case ArtifactBinary:
		if !validFileName(rel.Artifact) {
			return fmt.Errorf("release %s: metadata %s: field artifact: %q is not a file name (one path element)", rel.Version, rel.Path+metaSuffix, rel.Artifact)
		}
		path := filepath.Join(rel.Path, rel.Artifact)
		sum, n, err := hashRegular(path, rel.Size)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return changed(path, "existence", "binary", "missing")
		case errors.Is(err, safeio.ErrNotRegular):
			got := "not a regular file"
			if fi, err := os.Lstat(path); err == nil {
				got = DescribeType(fi.Mode())
			}
			return changed(path, "type", "a regular file", got)
		case err != nil:
			return fmt.Errorf("release %s: %w", rel.Version, err)
		case n > rel.Size:
			return changed(path, "size", byteCount(rel.Size), "more than "+byteCount(rel.Size))
		case sum != rel.SHA256:
			return changed(path, "sha256", rel.SHA256, sum)
		}
		// Stage makes it 0755; without x it would not start.
		if fi, err := os.Lstat(path); err == nil && fi.Mode().Perm() != 0o755 {
			return changed(path, "mode", "0755", fmt.Sprintf("%04o", fi.Mode().Perm()))
		}
	case ArtifactDir:
		return verifyTree(rel, rel.SHA256)
	case ArtifactTarball:
		if rel.TreeSHA256 != "" {
			return verifyTree(rel, rel.TreeSHA256)
		}
		size, err := treeSize(rel.Path)
		if err != nil {
			return fmt.Errorf("release %s: %w", rel.Version, err)
		}
		if size != rel.Size {
			return changed(rel.Path, "size", byteCount(rel.Size)+" of files", byteCount(size)+" of files")
		}
	default:
		return fmt.Errorf("release %s: metadata %s: field kind: %q is none of binary, dir, tarball", rel.Version, rel.Path+metaSuffix, rel.Kind)
	}
	return nil
}

// verifyTree compares rel's directory with the tree hash want.
func verifyTree(rel Release, want string) error {
	sum, err := hashTree(rel.Path, rel.Size)
	switch {
	case errors.Is(err, errTreeTooLarge):
		return &ChangedError{Release: rel.Version, Path: rel.Path, What: "size", Want: byteCount(rel.Size) + " of files", Got: "more than " + byteCount(rel.Size) + " of files"}
	case err != nil:
		return fmt.Errorf("release %s: %w", rel.Version, err)
	case sum != want:
		return &ChangedError{Release: rel.Version, Path: rel.Path, What: "tree sha256", Want: want, Got: sum}
	}
	return nil
}

// validFileName reports whether name is one element of a path.
func validFileName(name string) bool {
	return name != "" && name != "." && name != ".." && filepath.Base(name) == name
}

// byteCount says n bytes.
func byteCount(n int64) string { return strconv.FormatInt(n, 10) + " bytes" }
