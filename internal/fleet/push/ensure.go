package push

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"time"

	"github.com/pkg/sftp"
)

// file is one file to make present on the host, decided before any I/O.
type file struct {
	dir     string      // remote directory, absolute
	dirMode os.FileMode // its mode (root-owned)
	name    string      // final name in dir
	mode    os.FileMode // the file's mode (root-owned)
	sha     string      // sha256 of the content, hex
	size    int64
	open    func() (io.ReadCloser, error) // the local content
	build   bool                          // a binary build: stamp its use, prune old builds
}

// cleanupTimeout bounds removing a temp after a failed upload, when the
// caller's ctx may already be done.
const cleanupTimeout = 10 * time.Second

// ensure makes f present at dir/name on the host and returns that path
// and the bytes written (0 when it was there).
func (c *Conn) ensure(ctx context.Context, f file) (remote string, sent int64, err error) {
	remote = path.Join(f.dir, f.name)
	info, err := c.handshake(ctx)
	if err != nil {
		return "", 0, err
	}
	cl, key, err := c.session(ctx)
	if err != nil {
		return "", 0, err
	}
	defer func() {
		if err == nil {
			return
		}
		if lost := lostError(key); lost != nil && !errors.Is(err, lost) {
			err = fmt.Errorf("%w; %w", err, lost)
		}
		// A session error other than a status reply (a lost connection,
		// ctx ending the session) leaves it unusable: the next call
		// opens a new one.
		var st *sftp.StatusError
		if err != nil && (ctx.Err() != nil || !errors.As(err, &st)) {
			c.drop(cl)
		}
	}()
	if err := c.prepareDir(cl, f.dir, f.dirMode); err != nil {
		return "", 0, err
	}
	infos, err := cl.ReadDir(f.dir)
	if err != nil {
		return "", 0, fmt.Errorf("host %s: list %s: %w", c.host, f.dir, err)
	}
	entries := entriesOf(infos)
	present, err := c.present(ctx, cl, remote, f)
	if err != nil {
		return "", 0, err
	}
	// Temps no live copy writes: one of this file may be resumed, the
	// rest go.
	stale := staleTemps(entries, info.now(), c.opts.StaleAfter)
	var resume string
	var offset int64
	if !present {
		resume, offset = resumePoint(stale, f.name, f.size)
	}
	for _, e := range stale {
		if e.Name == resume {
			continue
		}
		if err := cl.Remove(path.Join(f.dir, e.Name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", 0, fmt.Errorf("host %s: remove the stale temp %s/%s: %w", c.host, f.dir, e.Name, err)
		}
	}
	if !present {
		if sent, err = c.upload(ctx, cl, f, resume, offset); err != nil {
			return "", sent, err
		}
	} else if err := c.own(cl, remote, f.mode); err != nil {
		return "", 0, err
	}
	if f.build {
		if err := c.rotate(cl, entries, f, info.now()); err != nil {
			return remote, sent, err
		}
	}
	return remote, sent, nil
}

// prepareDir makes dir with mode, owned by root: the binary in it is run
// as root, so nobody else may be able to replace it. For the same reason
// dir must be a real directory (not a symlink to elsewhere), and its
// parent (Root) must be root's and not writable by group or others: who
// can write there can rename dir away and put their own in its place.
func (c *Conn) prepareDir(cl *sftp.Client, dir string, mode os.FileMode) error {
	if err := cl.MkdirAll(dir); err != nil {
		return fmt.Errorf("host %s: make %s: %w", c.host, dir, err)
	}
	parent := path.Dir(dir)
	fi, err := cl.Lstat(parent)
	if err != nil {
		return fmt.Errorf("host %s: stat %s: %w", c.host, parent, err)
	}
	if uid, ok := ownerOf(fi); !fi.IsDir() || (ok && uid != c.uid) || fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("host %s: %s is %s owned by uid %d: it must be a directory of root's that only root can write (chown root: %s; chmod go-w %s), or the binary root runs could be replaced",
			c.host, parent, fi.Mode(), uid, parent, parent)
	}
	if fi, err := cl.Lstat(dir); err != nil {
		return fmt.Errorf("host %s: stat %s: %w", c.host, dir, err)
	} else if !fi.IsDir() {
		return fmt.Errorf("host %s: %s is a %s, not a directory: remove it by hand", c.host, dir, fi.Mode().Type())
	}
	return c.own(cl, dir, mode)
}

// ownerOf is the uid an SFTP stat carries, when it carries one.
func ownerOf(fi os.FileInfo) (int, bool) {
	if st, ok := fi.Sys().(*sftp.FileStat); ok {
		return int(st.UID), true
	}
	return -1, false
}

// own sets p's mode and root ownership (the owner a unit test runs as).
func (c *Conn) own(cl *sftp.Client, p string, mode os.FileMode) error {
	if err := cl.Chmod(p, mode); err != nil {
		return fmt.Errorf("host %s: chmod %o %s: %w", c.host, mode, p, err)
	}
	if err := cl.Chown(p, c.uid, c.gid); err != nil {
		return fmt.Errorf("host %s: chown root %s: %w (push needs to log in as root: sudo for other users is not supported yet)", c.host, p, err)
	}
	return nil
}

// present reports whether remote already holds f's content: same size,
// then the host's sha256sum. A different file there is replaced.
func (c *Conn) present(ctx context.Context, cl *sftp.Client, remote string, f file) (bool, error) {
	fi, err := cl.Lstat(remote)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("host %s: stat %s: %w", c.host, remote, err)
	}
	if !fi.Mode().IsRegular() {
		return false, fmt.Errorf("host %s: %s is a %s, not a file: remove it by hand", c.host, remote, fi.Mode().Type())
	}
	if fi.Size() != f.size {
		return false, nil
	}
	sha, err := c.remoteSHA256(ctx, remote)
	if err != nil {
		return false, err
	}
	return sha == f.sha, nil
}

// upload writes f to a temp, checks it on the host and renames it over
// remote; sent counts the bytes written by this call. With resume (a
// stale temp of the same file), it first takes that temp over and keeps
// its first offset bytes if their hash is right. It never leaves the temp
// unless the connection is gone (then the next ensure resumes or sweeps
// it).
func (c *Conn) upload(ctx context.Context, cl *sftp.Client, f file, resume string, offset int64) (sent int64, err error) {
	remote := path.Join(f.dir, f.name)
	tmp := path.Join(f.dir, tempName(f.name))
	src, err := f.open()
	if err != nil {
		return 0, err
	}
	defer src.Close()
	seeker, canSeek := src.(io.Seeker)
	if resume == "" || !canSeek {
		offset = 0
	} else {
		offset = c.takeOver(ctx, cl, path.Join(f.dir, resume), tmp, f, offset)
	}
	var w *sftp.File
	if offset > 0 {
		w, err = cl.OpenFile(tmp, os.O_WRONLY)
		if err == nil {
			err = w.Truncate(offset) // drop the window that may hold holes
		}
		if err == nil {
			_, err = w.Seek(offset, io.SeekStart)
		}
		if err == nil {
			_, err = seeker.Seek(offset, io.SeekStart)
		}
	} else {
		w, err = cl.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	}
	if err != nil {
		if w != nil {
			w.Close()
		}
		c.removeTemp(tmp)
		return 0, fmt.Errorf("host %s: open %s: %w", c.host, tmp, err)
	}
	renamed := false
	defer func() {
		if !renamed {
			w.Close()
			c.removeTemp(tmp)
		}
	}()
	if err := w.Chmod(0o600); err != nil { // nobody reads it half-written
		return 0, fmt.Errorf("host %s: chmod %s: %w", c.host, tmp, err)
	}

	// A write blocked on a stalled link does not see ctx: closing the
	// session when ctx is done unblocks it.
	stop := context.AfterFunc(ctx, func() { c.drop(cl) })
	sent, err = w.ReadFromWithConcurrency(ctxReader{ctx, src}, c.opts.Concurrency)
	stop()
	if ctx.Err() != nil {
		return sent, fmt.Errorf("host %s: copy to %s: %w", c.host, remote, ctx.Err())
	}
	if err != nil {
		return sent, fmt.Errorf("host %s: copy to %s: %w", c.host, tmp, err)
	}
	if offset+sent != f.size {
		return sent, fmt.Errorf("host %s: copy to %s: %d bytes read, want %d: the local file changed while it was sent", c.host, remote, offset+sent, f.size)
	}
	if _, ok := cl.HasExtension("fsync@openssh.com"); ok {
		if err := w.Sync(); err != nil {
			return sent, fmt.Errorf("host %s: fsync %s: %w", c.host, tmp, err)
		}
	}
	if err := w.Chmod(f.mode); err != nil {
		return sent, fmt.Errorf("host %s: chmod %s: %w", c.host, tmp, err)
	}
	if err := w.Chown(c.uid, c.gid); err != nil {
		return sent, fmt.Errorf("host %s: chown root %s: %w (push needs to log in as root: sudo for other users is not supported yet)", c.host, tmp, err)
	}
	if err := w.Close(); err != nil {
		return sent, fmt.Errorf("host %s: close %s: %w", c.host, tmp, err)
	}
	sha, err := c.remoteSHA256(ctx, tmp)
	if err != nil {
		return sent, err
	}
	if sha != f.sha {
		return sent, fmt.Errorf("host %s: %s has sha256 %s on the host, want %s: corrupted in transit or the local file changed; run again", c.host, remote, sha, f.sha)
	}
	if err := c.rename(ctx, cl, tmp, remote); err != nil {
		return sent, err
	}
	renamed = true
	return sent, nil
}

// rename replaces remote with tmp atomically: posix-rename@openssh.com,
// or mv on the host when the server lacks it (plain SFTP rename fails on
// an existing target).
func (c *Conn) rename(ctx context.Context, cl *sftp.Client, tmp, remote string) error {
	if _, ok := cl.HasExtension("posix-rename@openssh.com"); ok {
		if err := cl.PosixRename(tmp, remote); err != nil {
			return fmt.Errorf("host %s: rename %s to %s: %w", c.host, tmp, remote, err)
		}
		return nil
	}
	_, err := c.runOK(ctx, "mv", "-f", "-T", "--", tmp, remote)
	return err
}

// removeTemp removes tmp on a session of its own deadline (ctx may be
// done, and the session closed with it). Failing, the sweep removes it.
func (c *Conn) removeTemp(tmp string) {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	cl, err := c.sftp(ctx)
	if err != nil {
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = cl.Remove(tmp)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		c.drop(cl)
	}
}

// rotate stamps the current build as the newest and removes builds
// beyond Keep.
func (c *Conn) rotate(cl *sftp.Client, entries []entry, f file, now time.Time) error {
	remote := path.Join(f.dir, f.name)
	stamp := useStamp(entries, f.name, now)
	if err := cl.Chtimes(remote, stamp, stamp); err != nil {
		return fmt.Errorf("host %s: touch %s: %w", c.host, remote, err)
	}
	for _, old := range oldBuilds(entries, f.name, c.opts.Keep) {
		p := path.Join(f.dir, old)
		if err := cl.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("host %s: remove the old build %s: %w", c.host, p, err)
		}
	}
	return nil
}

// ctxReader ends a copy once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}
