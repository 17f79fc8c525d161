package push

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// tarEpoch is every entry's mtime: a tree's bytes, not when it was built,
// decide its sha256, so the same tree built twice is one release.
var tarEpoch = time.Unix(0, 0).UTC()

// writeTree writes the directory dir to w as a deterministic tar.gz: entries
// sorted by slash path, directories before their contents, uid/gid 0 with
// no names, mtime tarEpoch, modes normalised to 0755 (directories, and
// files with any execute bit) or 0644 (the umask of whoever built the tree
// must not change the hash), fixed gzip header. Symlinks are kept as
// links (the host-side stage checks where they point); other special files
// are refused.
func writeTree(w io.Writer, dir string) error {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read release tree %s: %w", dir, err)
	}
	rel := make(map[string]string, len(paths))
	for _, p := range paths {
		r, err := filepath.Rel(dir, p)
		if err != nil {
			return fmt.Errorf("release tree %s: %w", dir, err)
		}
		rel[p] = filepath.ToSlash(r)
	}
	sort.Slice(paths, func(i, j int) bool { return rel[paths[i]] < rel[paths[j]] })

	zw, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return err
	}
	zw.Header = gzip.Header{OS: 255} // no name, no mtime: fixed
	tw := tar.NewWriter(zw)
	for _, p := range paths {
		if err := addEntry(tw, p, rel[p]); err != nil {
			return fmt.Errorf("release tree %s: %w", dir, err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("release tree %s: %w", dir, err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("release tree %s: %w", dir, err)
	}
	return nil
}

// addEntry writes one path's header (and content for a file).
func addEntry(tw *tar.Writer, path, name string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	h := &tar.Header{Name: name, ModTime: tarEpoch, Format: tar.FormatPAX}
	switch mode := fi.Mode(); {
	case mode.IsDir():
		h.Typeflag, h.Name, h.Mode = tar.TypeDir, name+"/", 0o755
	case mode&fs.ModeSymlink != 0:
		target, err := os.Readlink(path)
		if err != nil {
			return err
		}
		h.Typeflag, h.Linkname, h.Mode = tar.TypeSymlink, target, 0o777
	case mode.IsRegular():
		h.Typeflag, h.Size, h.Mode = tar.TypeReg, fi.Size(), 0o644
		if mode&0o111 != 0 {
			h.Mode = 0o755
		}
	default:
		return fmt.Errorf("%s is a %s, not a file, directory or symlink: a release holds only those", name, mode.Type())
	}
	if err := tw.WriteHeader(h); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if h.Typeflag != tar.TypeReg {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	// CopyN: a file that grows while it is read must not overrun its
	// header's size (tar.Writer would refuse), and one that shrinks fails.
	if _, err := io.CopyN(tw, f, h.Size); err != nil {
		return fmt.Errorf("%s changed while it was archived: %w", name, err)
	}
	return nil
}
