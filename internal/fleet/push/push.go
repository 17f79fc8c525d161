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

// Binary is a sysroll build ready to push: read and hashed once, for
// every host it goes to.
type Binary struct {
	Path   string // local path
	Arch   string // GOARCH of its ELF header
	SHA256 string // hex
	Size   int64
}

// PrepareBinary reads the binary at local ("" for this process's own
// executable): its architecture and sha256.
func PrepareBinary(local string) (*Binary, error) {
	if local == "" {
		var err error
		if local, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("find this program's binary to push: %w (give its path)", err)
		}
	}
	arch, err := elfArch(local)
	if err != nil {
		return nil, err
	}
	sha, size, err := hashFile(local)
	if err != nil {
		return nil, err
	}
	return &Binary{Path: local, Arch: arch, SHA256: sha, Size: size}, nil
}

// Name is the build's file name on every host: sysroll-<sha256[:12]>.
func (b *Binary) Name() string { return binaryName(b.SHA256) }

// Ensure makes b present on c's host as Root/.bin/sysroll-<sha256[:12]>
// and returns that path and the bytes sent (0 when the host had it; on an
// error, what was handed to the host before it). A host whose uname -m is
// not b's architecture is refused before anything is sent.
func (b *Binary) Ensure(ctx context.Context, c *Conn) (remote string, sent int64, err error) {
	info, err := c.handshake(ctx)
	if err != nil {
		return "", 0, err
	}
	if err := checkArch(c.host, info.machine, b.Path, b.Arch); err != nil {
		return "", 0, err
	}
	return c.ensure(ctx, file{
		dir: path.Join(c.opts.Root, ".bin"), dirMode: 0o755,
		name: b.Name(), mode: 0o755,
		sha: b.SHA256, size: b.Size, open: opener(b.Path), build: true,
	})
}

// EnsureBinary is PrepareBinary then Ensure, for one host.
func EnsureBinary(ctx context.Context, c *Conn, local string) (remote string, sent int64, err error) {
	b, err := PrepareBinary(local)
	if err != nil {
		return "", 0, err
	}
	return b.Ensure(ctx, c)
}

// Artifact is a release artifact ready to push: hashed once, a directory
// archived once, for every host it goes to. Close it to remove the
// archive.
type Artifact struct {
	Path   string // the file sent: local, or the archive of a directory
	Ext    string // "tar.gz" or "bin"
	SHA256 string // hex, of the file sent
	Size   int64
	temp   bool // Path is ours to remove
}

// PrepareArtifact reads the release artifact at local:
//
//   - a directory is archived as a deterministic tar.gz (see writeTree):
//     the same tree gives the same sha256, so it is sent once;
//   - a .tar.gz or .tgz file is sent as it is, ext "tar.gz";
//   - any other file (a single binary) is sent as it is, ext "bin".
func PrepareArtifact(local string) (_ *Artifact, err error) {
	fi, err := os.Stat(local)
	if err != nil {
		return nil, fmt.Errorf("release artifact: %w", err)
	}
	a := &Artifact{Path: local, Ext: "bin"}
	switch {
	case fi.IsDir():
		tmp, err := os.CreateTemp("", "sysroll-push-*.tar.gz")
		if err != nil {
			return nil, fmt.Errorf("archive %s: %w", local, err)
		}
		a.Path, a.Ext, a.temp = tmp.Name(), "tar.gz", true
		defer func() {
			if err != nil {
				a.Close()
			}
		}()
		err = writeTree(tmp, local)
		if cerr := tmp.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("archive %s: %w", local, cerr)
		}
		if err != nil {
			return nil, err
		}
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("release artifact %s is a %s: give a directory, a .tar.gz or a binary", local, fi.Mode().Type())
	case strings.HasSuffix(local, ".tar.gz") || strings.HasSuffix(local, ".tgz"):
		a.Ext = "tar.gz"
	}
	if a.SHA256, a.Size, err = hashFile(a.Path); err != nil {
		return nil, err
	}
	return a, nil
}

// Name is the artifact's file name on every host: <sha256>.<ext>.
func (a *Artifact) Name() string { return a.SHA256 + "." + a.Ext }

// Close removes the archive of a directory; it is a no-op otherwise.
func (a *Artifact) Close() error {
	if !a.temp {
		return nil
	}
	a.temp = false
	return os.Remove(a.Path)
}

// Ensure makes a present on c's host as Root/.incoming/<sha256>.<ext>
// and returns that path and the bytes sent (0 when the host had it; on an
// error, what was handed to the host before it).
func (a *Artifact) Ensure(ctx context.Context, c *Conn) (remote string, sent int64, err error) {
	return c.ensure(ctx, file{
		dir: path.Join(c.opts.Root, ".incoming"), dirMode: 0o700,
		name: a.Name(), mode: 0o600,
		sha: a.SHA256, size: a.Size, open: opener(a.Path),
	})
}

// EnsureArtifact is PrepareArtifact, Ensure and Close, for one host.
func EnsureArtifact(ctx context.Context, c *Conn, local string) (remote string, sent int64, err error) {
	a, err := PrepareArtifact(local)
	if err != nil {
		return "", 0, err
	}
	defer a.Close()
	return a.Ensure(ctx, c)
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
