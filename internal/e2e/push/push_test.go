//go:build integration

package push

import (
	"context"
	"errors"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pkg/sftp"

	"github.com/sysroll/sysroll/internal/fleet/push"
)

// TestBinary: on each host, the first push sends every byte and the file
// is the binary, 0755 root:root in a 0755 root:root .bin; the second sends
// nothing; new builds get new paths and the oldest beyond Keep (3) goes.
func TestBinary(t *testing.T) {
	f, p := pool(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bin, sha, size := build(t, 10<<20)
	const dir = "/var/lib/sysroll/.bin"
	// The hosts' sftp server offers what makes a copy durable and atomic
	// (push falls back to mv without posix-rename, and skips fsync).
	sc, err := p.Conn(ctx, "h1")
	if err != nil {
		t.Fatal(err)
	}
	cl, err := sftp.NewClient(sc.Client())
	if err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{"fsync@openssh.com", "posix-rename@openssh.com"} {
		if _, ok := cl.HasExtension(ext); !ok {
			t.Errorf("h1's sftp server does not offer %s", ext)
		}
	}
	cl.Close()
	for _, h := range f.Hosts() {
		c := conn(t, p, h.Name(), push.Options{})
		start := time.Now()
		remote, sent, err := push.EnsureBinary(ctx, c, bin)
		first := time.Since(start)
		if err != nil {
			t.Fatalf("%s: first push: %v", h.Name(), err)
		}
		if want := dir + "/sysroll-" + sha[:12]; remote != want || sent != size {
			t.Errorf("%s: first push: %s, %d bytes; want %s, %d", h.Name(), remote, sent, want, size)
		}
		if got, want := describe(t, h, remote), sha+" 755 root:root"; got != want {
			t.Errorf("%s: %s is %q, want %q", h.Name(), remote, got, want)
		}
		if got := onHost(t, h, "stat -c '%a %U:%G' "+dir); got != "755 root:root" {
			t.Errorf("%s: %s is %q, want 755 root:root", h.Name(), dir, got)
		}
		start = time.Now()
		again, sent2, err := push.EnsureBinary(ctx, c, bin)
		second := time.Since(start)
		if err != nil || again != remote || sent2 != 0 {
			t.Errorf("%s: second push: %s, %d bytes, %v; want %s, 0", h.Name(), again, sent2, err, remote)
		}
		t.Logf("%s: %.1f MiB binary: first push %d bytes in %d ms (%.0f MiB/s), second %d bytes in %d ms",
			h.Name(), float64(size)/(1<<20), sent, first.Milliseconds(), float64(sent)/(1<<20)/first.Seconds(), sent2, second.Milliseconds())
	}

	// Rotation, on h1: three more builds; the first one is removed.
	h := f.Host("h1")
	c := conn(t, p, "h1", push.Options{})
	want := []string{}
	for range 3 {
		b, s, n := build(t, 1<<20)
		remote, sent, err := push.EnsureBinary(ctx, c, b)
		if err != nil || sent != n || path.Base(remote) != "sysroll-"+s[:12] {
			t.Fatalf("h1: push a new build: %s, %d, %v", remote, sent, err)
		}
		want = append(want, path.Base(remote))
	}
	got := strings.Fields(onHost(t, h, "ls -A "+dir))
	if strings.Join(got, " ") != strings.Join(sorted(want), " ") {
		t.Errorf("h1: %s holds %q; want the last three builds %q (the first, sysroll-%s, removed)", dir, got, sorted(want), sha[:12])
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestCancelMidway: a push whose ctx ends while bytes are in flight
// returns the ctx error with a part sent, and leaves no temp (neither
// right after nor after the next push, which completes). A temp that a
// dead controller left, untouched for StaleAfter, is removed by the next
// push.
func TestCancelMidway(t *testing.T) {
	f, p := pool(t)
	h := f.Host("h2")
	const root = "/var/lib/sysroll-cancel"
	dir := root + "/.bin"
	c := conn(t, p, "h2", push.Options{Root: root})
	bin, _, size := build(t, 64<<20)

	// Warm up (handshake, session) on another file, so the deadline
	// below falls in the copy.
	warm, _, _ := build(t, 1<<20)
	if _, _, err := push.EnsureBinary(context.Background(), c, warm); err != nil {
		t.Fatal(err)
	}
	var cut bool
	for d := 20 * time.Millisecond; d < 5*time.Second && !cut; d *= 2 {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		_, sent, err := push.EnsureBinary(ctx, c, bin)
		cancel()
		switch {
		case err == nil:
			t.Fatalf("the %d-byte push finished within %s: no cut to test", size, d)
		case !errors.Is(err, context.DeadlineExceeded):
			t.Fatalf("push with a %s deadline: %v, want context.DeadlineExceeded", d, err)
		case sent > 0 && sent < size:
			cut = true
			t.Logf("cut after %s with %d of %d bytes sent", d, sent, size)
			if left := temps(t, h, dir); left != "" {
				t.Errorf("right after the cancel, %s holds temps %q", dir, left)
			}
		}
	}
	if !cut {
		t.Fatal("no deadline cut the push mid-way")
	}

	// A dead controller's temp, 5 minutes old by the host's clock.
	stale := dir + "/.sysroll-tmp-sysroll-0123456789ab-00000000deadbeef"
	onHost(t, h, "echo part > "+stale+" && touch -d '-5 min' "+stale)
	if _, sent, err := push.EnsureBinary(context.Background(), c, bin); err != nil || sent != size {
		t.Fatalf("push after the cancel: %d bytes, %v; want %d", sent, err, size)
	}
	if left := temps(t, h, dir); left != "" {
		t.Errorf("after the next push, %s holds temps %q", dir, left)
	}
	onHost(t, h, "rm -rf "+root)
}

// TestArtifactDir: a directory pushed twice (archived twice, from two
// copies with other mtimes) is one remote file named by its sha256, with
// that sha256 on the host, 0600 root; the second push sends nothing.
func TestArtifactDir(t *testing.T) {
	f, p := pool(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a, b := t.TempDir(), t.TempDir()
	for i, dir := range []string{a, b} {
		mtime := time.Now().Add(time.Duration(i) * time.Hour)
		writeTree(t, dir, map[string]string{"bin/hello": "#!/bin/sh\necho hello\n", "etc/hello.conf": "port=8080\n"}, mtime)
	}
	for _, h := range f.Hosts() {
		c := conn(t, p, h.Name(), push.Options{})
		r1, sent1, err := push.EnsureArtifact(ctx, c, a)
		if err != nil || sent1 == 0 {
			t.Fatalf("%s: first push of the tree: %s, %d, %v", h.Name(), r1, sent1, err)
		}
		sha := strings.TrimSuffix(filepath.Base(r1), ".tar.gz")
		if got, want := describe(t, h, r1), sha+" 600 root:root"; got != want {
			t.Errorf("%s: %s is %q, want %q", h.Name(), r1, got, want)
		}
		if got := onHost(t, h, "stat -c '%a %U:%G' /var/lib/sysroll/.incoming"); got != "700 root:root" {
			t.Errorf("%s: .incoming is %q, want 700 root:root", h.Name(), got)
		}
		if got := onHost(t, h, "tar -tzf "+r1+" | tr '\\n' ' '"); got != "bin/ bin/hello etc/ etc/hello.conf" {
			t.Errorf("%s: the tarball lists %q", h.Name(), got)
		}
		r2, sent2, err := push.EnsureArtifact(ctx, c, b)
		if err != nil || r2 != r1 || sent2 != 0 {
			t.Errorf("%s: the same tree again: %s, %d bytes, %v; want %s, 0", h.Name(), r2, sent2, err, r1)
		}
		t.Logf("%s: tree as %s: first push %d bytes, second %d", h.Name(), filepath.Base(r1), sent1, sent2)
	}
}
