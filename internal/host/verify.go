package host

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/sysroll/sysroll/internal/release"
)

// The world can change behind sysroll's back: a release directory deleted,
// a binary replaced, an instance's link removed or pointed elsewhere. A
// restart (or a revert) onto such a release stops an instance that then
// cannot start and cannot be put back. So before a verb touches an
// instance it checks the release that instance will start, and status
// reports every instance whose next start would fail.

// BrokenError says that the release an instance would start cannot be
// trusted, and how to repair it. Nothing was stopped when it is returned.
type BrokenError struct {
	Service string
	// Problems names each instance, the release and what differs.
	Problems []string
	// Fix is the repair to suggest.
	Fix string
}

func (e *BrokenError) Error() string {
	return fmt.Sprintf("%s: refused, no instance touched: %s\n  %s", e.Service, strings.Join(e.Problems, "\n  "), e.Fix)
}

// verifyRelease checks that version's content is what was staged: its
// metadata readable, its directory there, and its checksum the recorded
// one. A binary is hashed as staged; a directory with the tree hash Stage
// recorded (treeHash, which must stay release's definition); a tarball's
// checksum is of the archive, not of what it unpacked to, so only the
// unpacked size can be compared.
func verifyRelease(store *release.Store, version string) (problem string) {
	rel, err := store.Get(version)
	if errors.Is(err, release.ErrNotFound) {
		if fi, serr := os.Lstat(store.Path(version)); serr != nil || !fi.IsDir() {
			return fmt.Sprintf("its directory %s is missing", store.Path(version))
		}
		return fmt.Sprintf("it is not staged (%v)", err)
	}
	if err != nil {
		return err.Error()
	}
	switch rel.Kind {
	case release.ArtifactBinary:
		path := filepath.Join(rel.Path, rel.Artifact)
		sum, err := hashRegular(path, rel.Size)
		if err != nil {
			return fmt.Sprintf("binary %s: %v", path, err)
		}
		if sum != rel.SHA256 {
			return fmt.Sprintf("binary %s changed since it was staged: sha256 %s, recorded %s", path, short(sum), short(rel.SHA256))
		}
	case release.ArtifactDir:
		sum, err := treeHash(rel.Path)
		if err != nil {
			return fmt.Sprintf("directory %s: %v", rel.Path, err)
		}
		if sum != rel.SHA256 {
			return fmt.Sprintf("directory %s changed since it was staged: tree sha256 %s, recorded %s", rel.Path, short(sum), short(rel.SHA256))
		}
	case release.ArtifactTarball:
		size, err := treeSize(rel.Path)
		if err != nil {
			return fmt.Sprintf("directory %s: %v", rel.Path, err)
		}
		if size != rel.Size {
			return fmt.Sprintf("directory %s changed since it was staged: %d bytes of files, recorded %d", rel.Path, size, rel.Size)
		}
	default:
		return fmt.Sprintf("metadata %s names an unknown kind %q", rel.Path+".json", rel.Kind)
	}
	return ""
}

// linkProblem reads an instance's link: the release it points at, or why
// its next start would fail ("" problem and "" version: no link at all).
func linkProblem(store *release.Store, inst string) (version, problem string) {
	v, err := store.Current(inst)
	if err != nil {
		target, lerr := os.Readlink(store.CurrentPath(inst))
		if lerr != nil {
			return "", fmt.Sprintf("its link %s is not a symbolic link: %v", store.CurrentPath(inst), lerr)
		}
		return "", fmt.Sprintf("its link %s points at %q, outside the release store", store.CurrentPath(inst), target)
	}
	if v == "" {
		return "", fmt.Sprintf("its link %s is missing", store.CurrentPath(inst))
	}
	return v, ""
}

// nextStartProblem says why an instance's next start would fail, or "".
// verified caches verifyRelease per version: hashing a release is not free.
func nextStartProblem(store *release.Store, inst string, verified map[string]string) string {
	v, problem := linkProblem(store, inst)
	if problem != "" {
		return problem
	}
	p, ok := verified[v]
	if !ok {
		p = verifyRelease(store, v)
		verified[v] = p
	}
	if p != "" {
		return "release " + v + ": " + p
	}
	return ""
}

// hashRegular hashes a regular file, not following a link, reading at
// most want+1 bytes: a file grown past its recorded size already differs.
func hashRegular(path string, want int64) (string, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("not a regular file (%s)", fi.Mode().Type())
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(f, max(want, 0)+1)); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// treeHash is release's tree checksum of a staged directory (see
// release.Stage: one line per entry in lexical order with type, path,
// mode and content hash or link target). TestTreeHashIsTheStoresOwn pins
// it to what Stage records; an exported release.Store.Verify would let
// this copy go.
func treeHash(dir string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil || rel == "." {
			return err
		}
		return hashEntry(h, path, strconv.Quote(filepath.ToSlash(rel)), d)
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func hashEntry(h hash.Hash, path, name string, d fs.DirEntry) error {
	info, err := d.Info()
	if err != nil {
		return err
	}
	switch t := d.Type(); {
	case t.IsDir():
		fmt.Fprintf(h, "d %s %04o\n", name, info.Mode().Perm())
	case t&fs.ModeSymlink != 0:
		target, err := os.Readlink(path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "l %s %s\n", name, strconv.Quote(target))
	default:
		sum, err := hashRegular(path, info.Size())
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "f %s %04o %s\n", name, info.Mode().Perm(), sum)
	}
	return nil
}

// treeSize is the bytes of regular-file content under dir, as Stage counts
// a release's Size.
func treeSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			n += info.Size()
		}
		return err
	})
	return n, err
}

func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12]
	}
	return sum
}
