package release

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
// it came from or when.
func hashTree(dir string) (string, error) {
	h := sha256.New()
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
		default:
			sum, err := hashFile(path)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "f %s %04o %s\n", name, info.Mode().Perm(), sum)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
