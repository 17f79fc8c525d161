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

	"github.com/sysroll/sysroll/internal/safeio"
)

// maxEntries caps the entries of a tarball, so a tarball of millions of
// empty files cannot exhaust inodes.
const maxEntries = 200_000

// maxEntryName and maxElem bound an entry's name and link target (the
// tar reader itself accepts PAX names of up to 1 MiB): Linux's PATH_MAX
// and NAME_MAX, so a name is refused with the rule, not by a later
// ENAMETOOLONG.
const (
	// maxTrailing bounds the padding after the archive's end.
	maxTrailing  = 1 << 20
	maxEntryName = 4096
	maxElem      = 255
)

// checkEntryName refuses a name (or link target) longer than the bounds.
func checkEntryName(what, name string) error {
	if len(name) > maxEntryName {
		return fmt.Errorf("%s of %d bytes, longer than the %d allowed", what, len(name), maxEntryName)
	}
	for _, e := range strings.Split(name, "/") {
		if len(e) > maxElem {
			return fmt.Errorf("%s has an element of %d bytes, longer than the %d allowed", what, len(e), maxElem)
		}
	}
	return nil
}

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
	// What follows the archive's end is padding: bounded, or a stream of
	// zeros after it could keep sysroll decompressing forever.
	if n, err := io.CopyN(io.Discard, zr, maxTrailing+1); err != nil && err != io.EOF {
		return "", 0, fmt.Errorf("read tarball: %w", err)
	} else if n > maxTrailing {
		return "", 0, fmt.Errorf("more than %s of data after the end of the archive (tar pads with at most a few KiB)", safeio.Size(maxTrailing))
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
	if err := checkEntryName("name", hdr.Name); err != nil {
		return 0, err
	}
	if err := checkEntryName("link target", hdr.Linkname); err != nil {
		return 0, err
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
