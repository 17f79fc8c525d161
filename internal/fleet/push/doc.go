// Package push copies the sysroll binary and release artifacts to fleet
// hosts, content-addressed, over one SFTP session per host (fleet.md, "The
// host binary" and "Releases: transfer and checksums").
//
//	c := push.NewConn(pool, "web1", push.Options{})
//	defer c.Close()
//	bin, sent, err := push.EnsureBinary(ctx, c, "")        // this process's own binary
//	art, sent, err := push.EnsureArtifact(ctx, c, "./build") // a dir, a .tar.gz or one binary
//
// For many hosts, prepare once (hash the binary, archive the directory)
// and ensure per host:
//
//	b, err := push.PrepareBinary("")
//	a, err := push.PrepareArtifact("./build") // a.SHA256 is what stage --expect-sha256 wants
//	defer a.Close()
//	for _, c := range conns { b.Ensure(ctx, c); a.Ensure(ctx, c) }
//
// Where things go (Options.Root, /var/lib/sysroll by default):
//
//   - the binary: .bin/sysroll-<sha256[:12]>, root-owned, directory and
//     file 0755. The last Options.Keep (3) builds stay; older ones are
//     removed. Which are the last is told by mtime: every Ensure sets the
//     current build's mtime strictly after every other build's, so the
//     order holds even within one second (SFTP carries whole seconds).
//   - artifacts: .incoming/<sha256>.<ext> (ext "tar.gz" for a directory or
//     a tarball, "bin" for a single file), directory 0700, file 0600: a
//     release may carry configuration only root should read, and only the
//     host-side stage (root) reads it.
//
// A file already there with the same sha256 (checked by size, then by
// sha256sum on the host) is not copied again: sent is 0. That is the cost
// of a fleet that is up to date: a stat and one sha256sum per file.
//
// How a copy is made safe: the bytes go to a temp name in the destination
// directory (".sysroll-tmp-<name>-<random>", created O_EXCL), with
// concurrent writes; then fsync (fsync@openssh.com, when the server offers
// it), chmod/chown, sha256sum on the host, which must match the local hash,
// and only then posix-rename@openssh.com over the final name (atomic: a
// reader sees the old file or the whole new one). A failure or ctx being
// done removes the temp (ctx ending mid-copy closes the host's SFTP
// session, which unblocks a write stuck on a stalled link; the next call
// opens a new one); when that cannot happen (the connection is lost),
// the next Ensure into the same directory deals with temps untouched for
// Options.StaleAfter by the host's clock (an upload in progress writes
// continuously, so only a dead one is that old): one of the same file is
// resumed, the others are removed.
//
// Resume: the dead temp is renamed to a new temp name (a plain SFTP
// rename, so of two controllers only one takes it), cut back by 8 MiB
// (pipelined writes may have left holes at its end), and kept only if the
// host's sha256 of what remains is the local file's prefix's; the copy
// then goes on from there, and sent counts only the new bytes. The final
// sha256 check stands as for any copy. A cancelled copy removes its temp
// (a cancel is deliberate), so only a lost connection leaves one.
//
// Why SFTP (github.com/pkg/sftp) and not the alternatives:
//
//   - SCP (the legacy protocol) needs an scp binary on the host and has no
//     checksum, resume, fsync or atomic rename; OpenSSH itself now runs
//     scp over SFTP.
//   - `cat > FILE` over an exec session needs the path quoted through the
//     remote shell and proves nothing: a truncated stream still leaves a
//     file. Everything else it would need (temp, fsync, rename, modes,
//     listing, resume) is more shell, each its own round trip.
//   - SFTP is a file protocol over the same connection: pipelined writes
//     (UseConcurrentWrites, MaxConcurrentRequestsPerFile) fill the link,
//     stat/chmod/chown/readdir/remove need no shell and no quoting, and
//     OpenSSH's extensions give fsync and an atomic rename. One session per
//     host is opened on first use and reused for every file.
//
// It needs the sftp subsystem on the host (Debian's openssh-server depends
// on openssh-sftp-server); a host without it fails with an error saying
// so. The fallback of fleet.md (stream into `sysroll receive`) is not built
// yet. Non-root SSH users (sudo -n) are not handled: the files must be
// root-owned, and a chown that the user may not do is an error naming the
// fix.
//
// A copy cut by a lost connection returns an error wrapping
// sshx.ErrConnLost: the host's state is unknown, not refused.
//
// Tests: the unit tests run the whole flow against an in-process SFTP
// server over pipes, on a temp directory; internal/e2e/push runs it on a
// two-host fleet with real sshd (prefix "fpush", subnet 12).
package push
