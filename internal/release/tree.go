package release

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/sysroll/sysroll/internal/safeio"
)

// copyBinary copies the executable src into root as name and returns its
// sha256 and size. The checksum is taken from the bytes copied, not from a
// second read, so it always describes what was staged.
func copyBinary(root *os.Root, src, name string) (sum string, size int64, err error) {
	in, err := os.Open(src)
	if err != nil {
		return "", 0, err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return "", 0, err
	}
	if !fi.Mode().IsRegular() {
		return "", 0, fmt.Errorf("not a regular file")
	}
	if fi.Mode().Perm()&0o111 == 0 {
		return "", 0, fmt.Errorf("not executable (mode %04o): chmod +x it, or stage a directory or tarball", fi.Mode().Perm())
	}
	h := sha256.New()
	size, err = writeFile(root, name, io.TeeReader(in, h), 0o755)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), size, nil
}

// writeFile creates name in root (never over an existing entry) with the
// content of r and mode perm.
func writeFile(root *os.Root, name string, r io.Reader, perm fs.FileMode) (int64, error) {
	out, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, r)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = root.Chmod(name, perm)
	}
	return n, err
}

// copyTree copies the directory src into root, keeping symlinks as links
// (checkSymlinks vets them afterwards) and refusing special files. It
// returns the bytes of regular-file content copied.
func copyTree(ctx context.Context, root *os.Root, src string, maxSize int64) (int64, error) {
	var total int64
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil || rel == "." {
			return err
		}
		switch t := d.Type(); {
		case t.IsDir():
			return root.Mkdir(rel, 0o700)
		case t&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return root.Symlink(target, rel)
		case t.IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			if total+info.Size() > maxSize {
				return fmt.Errorf("larger than the %d-byte limit", maxSize)
			}
			in, err := os.Open(path)
			if err != nil {
				return err
			}
			defer in.Close()
			// Copy at most what is left, plus one byte to notice a file
			// that grew since it was listed.
			n, err := writeFile(root, rel, io.LimitReader(in, maxSize-total+1), execBits(info.Mode()))
			total += n
			if err == nil && total > maxSize {
				err = fmt.Errorf("larger than the %d-byte limit", maxSize)
			}
			return err
		default:
			return fmt.Errorf("%s: unsupported file type %s (only files, directories and symlinks)", rel, t)
		}
	})
	return total, err
}

// execBits keeps only whether a file is executable; normalizeModes settles
// the final mode.
func execBits(m fs.FileMode) fs.FileMode {
	if m.Perm()&0o111 != 0 {
		return 0o700
	}
	return 0o600
}

// checkSymlinks refuses a tree with a symlink that is absolute, dangling, or
// leads outside the tree at any step, since the service would follow it
// wherever it leads. Links are checked twice: lexically, walking the target
// from the link's real directory and failing if it ever climbs above the
// top (that catches "../releases/other" style links that resolve inside the
// staging directory today but would not after the rename), and by really
// resolving it (that catches links reached through another link).
func checkSymlinks(dir string) error {
	top, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return err
	}
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink == 0 {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		target, err := os.Readlink(path)
		if err != nil {
			return err
		}
		bad := func(why string) error {
			return fmt.Errorf("symlink %s -> %s %s", rel, target, why)
		}
		if filepath.IsAbs(target) {
			return bad("is absolute; only relative links inside the release are allowed")
		}
		parent, err := filepath.EvalSymlinks(filepath.Dir(path))
		if err != nil {
			return err
		}
		depth, ok := depthBelow(top, parent)
		if !ok {
			return bad("sits in a directory outside the release")
		}
		for _, elem := range strings.Split(target, "/") {
			switch elem {
			case "", ".":
			case "..":
				if depth--; depth < 0 {
					return bad("leads outside the release")
				}
			default:
				depth++
			}
		}
		real, err := filepath.EvalSymlinks(path)
		if err != nil {
			return bad("does not resolve (dangling links are refused)")
		}
		if _, ok := depthBelow(top, real); !ok {
			return bad("resolves outside the release")
		}
		return nil
	})
}

// depthBelow says how many directories below top path is, and whether it is
// inside top at all.
func depthBelow(top, path string) (int, bool) {
	if path == top {
		return 0, true
	}
	rest, ok := strings.CutPrefix(path, top+string(filepath.Separator))
	if !ok {
		return 0, false
	}
	return strings.Count(rest, string(filepath.Separator)) + 1, true
}

// hashTree is the checksum of a staged directory: a sha256 over one line per
// entry in lexical order (type, relative path, mode, and content hash or
// link target). It depends only on what the release contains, not on where
// it came from or when. Stage records it and Verify recomputes it, so this
// is the one definition of a tree's content.
//
// It follows no link (WalkDir does not, and a file is opened O_NOFOLLOW),
// never blocks on a FIFO (a special file is hashed by its type, which
// Stage never stages, so the sum then differs) and reads at most limit
// bytes of content: a tree holding more already differs from one that
// held limit (errTreeTooLarge). A file with several names (a tarball's
// hard link) is read once, as Stage counted it.
func hashTree(dir string, limit int64) (string, error) {
	h := sha256.New()
	seen := map[fileID]string{}
	budget := limit
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil || rel == "." {
			return err
		}
		name := strconv.Quote(filepath.ToSlash(rel))
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
		case t.IsRegular():
			id, shared := idOf(info)
			sum, ok := seen[id]
			if !ok || !shared {
				var n int64
				if sum, n, err = hashRegular(path, budget); err != nil {
					return err
				}
				if budget -= n; budget < 0 {
					return errTreeTooLarge
				}
				if shared {
					seen[id] = sum
				}
			}
			fmt.Fprintf(h, "f %s %04o %s\n", name, info.Mode().Perm(), sum)
		default:
			fmt.Fprintf(h, "? %s %s\n", name, t)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// errTreeTooLarge is hashTree's: more content than its limit.
var errTreeTooLarge = errors.New("more content than its limit")

// fileID is a file's identity, to read a file with several names once.
type fileID struct{ dev, ino uint64 }

// idOf is info's identity, and whether the file has other names.
func idOf(info fs.FileInfo) (fileID, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{uint64(st.Dev), st.Ino}, st.Nlink > 1
}

// hashRegular hashes the regular file at path, not following a link and
// never blocking on a FIFO, reading at most limit+1 bytes: a file longer
// than limit already differs from what it should be, and n > limit says
// so. The error of a path that is not a regular file matches
// safeio.ErrNotRegular.
func hashRegular(path string, limit int64) (sum string, n int64, err error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
	if errors.Is(err, unix.ELOOP) {
		return "", 0, &fs.PathError{Op: "open", Path: path, Err: fmt.Errorf("%w (a symbolic link)", safeio.ErrNotRegular)}
	}
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", 0, err
	}
	if !fi.Mode().IsRegular() {
		return "", 0, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w (%s)", safeio.ErrNotRegular, fi.Mode().Type())}
	}
	h := sha256.New()
	n, err = io.Copy(h, io.LimitReader(f, max(limit, 0)+1))
	if err != nil {
		return "", n, &fs.PathError{Op: "read", Path: path, Err: err}
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// treeSize is the bytes of regular-file content under dir, counted as
// Stage counts a release's Size: a file with several names once.
func treeSize(dir string) (int64, error) {
	var total int64
	seen := map[fileID]bool{}
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if id, shared := idOf(info); shared {
			if seen[id] {
				return nil
			}
			seen[id] = true
		}
		total += info.Size()
		return nil
	})
	return total, err
}
