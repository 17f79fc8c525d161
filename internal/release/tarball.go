package release

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// maxEntries caps the entries of a tarball, so a tarball of millions of
// empty files cannot exhaust inodes.
const maxEntries = 200_000

// extractTarball extracts the gzip'd tarball src into root and returns the
// sha256 of the tarball file and the bytes of regular-file content.
//
// Every write goes through root (os.Root), which refuses to follow a link
// out of the staging directory, so a hostile archive cannot write outside
// it even before checkSymlinks vets the links. On top of that, entries with
// an absolute name or a ".." element, devices, fifos and duplicate files are
// refused outright, and the unpacked size is capped.
func extractTarball(ctx context.Context, root *os.Root, src string, strip int, maxSize int64) (string, int64, error) {
	f, err := os.Open(src)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	tee := io.TeeReader(f, h)
	zr, err := gzip.NewReader(tee)
	if err != nil {
		return "", 0, fmt.Errorf("not a gzip file: %w", err)
	}
	tr := tar.NewReader(zr)
	var total int64
	for n := 0; ; n++ {
		if err := ctx.Err(); err != nil {
			return "", 0, err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", 0, fmt.Errorf("read tarball: %w", err)
		}
		if n >= maxEntries {
			return "", 0, fmt.Errorf("more than %d entries", maxEntries)
		}
		written, err := extractEntry(root, tr, hdr, strip, maxSize-total)
		if err != nil {
			return "", 0, fmt.Errorf("tarball entry %q: %w", hdr.Name, err)
		}
		total += written
	}
	// Read the gzip stream to its end so its CRC is verified, then the rest
	// of the file, so the checksum is the whole file's, as sha256sum prints.
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return "", 0, fmt.Errorf("read tarball: %w", err)
	}
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), total, nil
}

// extractEntry writes one entry, with at most room bytes of content.
func extractEntry(root *os.Root, tr *tar.Reader, hdr *tar.Header, strip int, room int64) (int64, error) {
	if hdr.Typeflag == tar.TypeXGlobalHeader {
		return 0, nil // e.g. git archive's commit id: metadata, not a file
	}
	name, err := entryName(hdr.Name, strip)
	if err != nil || name == "" {
		return 0, err
	}
	if dir := path.Dir(name); dir != "." {
		if err := root.MkdirAll(dir, 0o700); err != nil {
			return 0, err
		}
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		return 0, root.MkdirAll(name, 0o700)
	case tar.TypeReg:
		if hdr.Size > room {
			return 0, errors.New("release would exceed the size limit (StageOptions.MaxSize)")
		}
		// A file already there is refused by O_EXCL: a later entry must not
		// replace (or write through) an earlier one.
		n, err := writeFile(root, name, io.LimitReader(tr, hdr.Size), execBits(hdr.FileInfo().Mode()))
		if errors.Is(err, fs.ErrExist) {
			err = errors.New("duplicate entry: a later entry may not replace an earlier one")
		}
		return n, err
	case tar.TypeSymlink:
		if strings.HasPrefix(hdr.Linkname, "/") {
			return 0, fmt.Errorf("symlink to absolute path %s refused", hdr.Linkname)
		}
		return 0, root.Symlink(hdr.Linkname, name)
	case tar.TypeLink:
		target, err := entryName(hdr.Linkname, strip)
		if err != nil {
			return 0, fmt.Errorf("hard link target: %w", err)
		}
		if target == "" {
			return 0, fmt.Errorf("hard link to %q, which is stripped", hdr.Linkname)
		}
		return 0, root.Link(target, name)
	default:
		return 0, fmt.Errorf("unsupported entry type %q (devices, fifos and sparse files are refused)", hdr.Typeflag)
	}
}

// entryName cleans a tar entry name and drops strip leading elements. It
// returns "" for an entry to skip (the top directory itself, or one wholly
// stripped) and an error for a name that could land outside the release.
func entryName(name string, strip int) (string, error) {
	if strings.HasPrefix(name, "/") {
		return "", errors.New("absolute path refused")
	}
	var elems []string
	for _, e := range strings.Split(name, "/") {
		switch e {
		case "..":
			return "", errors.New(`".." in path refused`)
		case "", ".":
		default:
			elems = append(elems, e)
		}
	}
	if len(elems) <= strip {
		return "", nil
	}
	return strings.Join(elems[strip:], "/"), nil
}
