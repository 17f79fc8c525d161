package push

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// EnsureBinary makes the sysroll binary at local ("" for this process's
// own executable) present on the host as Root/.bin/sysroll-<sha256[:12]>
// and returns that path and the bytes sent (0 when the host had it). A
// host whose uname -m is not the binary's architecture is refused before
// anything is sent.
func EnsureBinary(ctx context.Context, c *Conn, local string) (remote string, sent int64, err error) {
	if local == "" {
		if local, err = os.Executable(); err != nil {
			return "", 0, fmt.Errorf("find this program's binary to push: %w (give its path)", err)
		}
	}
	arch, err := elfArch(local)
	if err != nil {
		return "", 0, err
	}
	info, err := c.handshake(ctx)
	if err != nil {
		return "", 0, err
	}
	if err := checkArch(c.host, info.machine, local, arch); err != nil {
		return "", 0, err
	}
	sha, size, err := hashFile(local)
	if err != nil {
		return "", 0, err
	}
	return c.ensure(ctx, file{
		dir: path.Join(c.opts.Root, ".bin"), dirMode: 0o755,
		name: binaryName(sha), mode: 0o755,
		sha: sha, size: size, open: opener(local), build: true,
	})
}

// EnsureArtifact makes the release artifact at local present on the host
// as Root/.incoming/<sha256>.<ext> and returns that path and the bytes
// sent (0 when the host had it):
//
//   - a directory is sent as a deterministic tar.gz (see writeTree): the
//     same tree gives the same name, so it is sent once;
//   - a .tar.gz or .tgz file is sent as it is, ext "tar.gz";
//   - any other file (a single binary) is sent as it is, ext "bin".
func EnsureArtifact(ctx context.Context, c *Conn, local string) (remote string, sent int64, err error) {
	fi, err := os.Stat(local)
	if err != nil {
		return "", 0, fmt.Errorf("release artifact: %w", err)
	}
	src, ext := local, "bin"
	switch {
	case fi.IsDir():
		tmp, err := os.CreateTemp("", "sysroll-push-*.tar.gz")
		if err != nil {
			return "", 0, fmt.Errorf("archive %s: %w", local, err)
		}
		defer os.Remove(tmp.Name())
		err = writeTree(tmp, local)
		if cerr := tmp.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("archive %s: %w", local, cerr)
		}
		if err != nil {
			return "", 0, err
		}
		src, ext = tmp.Name(), "tar.gz"
	case !fi.Mode().IsRegular():
		return "", 0, fmt.Errorf("release artifact %s is a %s: give a directory, a .tar.gz or a binary", local, fi.Mode().Type())
	case strings.HasSuffix(local, ".tar.gz") || strings.HasSuffix(local, ".tgz"):
		ext = "tar.gz"
	}
	sha, size, err := hashFile(src)
	if err != nil {
		return "", 0, err
	}
	return c.ensure(ctx, file{
		dir: path.Join(c.opts.Root, ".incoming"), dirMode: 0o700,
		name: sha + "." + ext, mode: 0o600,
		sha: sha, size: size, open: opener(src),
	})
}

// hashFile is the sha256 (hex) and size of the file at p.
func hashFile(p string) (string, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("hash %s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

func opener(p string) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("open %s to send it: %w", p, err)
		}
		return f, nil
	}
}
