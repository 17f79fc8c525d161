package push

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pkg/sftp"
)

// localHost is a Conn to this machine: commands run here, and each SFTP
// session is an in-process sftp.Server over pipes on the real file
// system, so the whole flow runs with no sshd. Root is a temp directory,
// and files are owned by whoever runs the test.
type localHost struct {
	*Conn
	root     string
	opened   atomic.Int32 // sessions opened
	uname    string       // what uname -m says; "" for the real one
	tamper   func(argv []string) []string
	sessions []*sftp.Client
}

func newLocalHost(t *testing.T, opts Options) *localHost {
	t.Helper()
	h := &localHost{root: t.TempDir()}
	opts.Root = h.root
	run := func(ctx context.Context, argv []string) ([]byte, []byte, int, error) {
		if h.uname != "" && argv[0] == "sh" {
			return []byte(h.uname + "\n" + strings.Fields(mustRun(t, "date", "+%s"))[0] + "\n"), nil, 0, nil
		}
		if h.tamper != nil {
			argv = h.tamper(argv)
		}
		var out, errOut bytes.Buffer
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return out.Bytes(), errOut.Bytes(), exit.ExitCode(), nil
		}
		return out.Bytes(), errOut.Bytes(), 0, err
	}
	current := func(context.Context) (any, error) { return "local", nil }
	open := func(_ any, o ...sftp.ClientOption) (*sftp.Client, error) {
		h.opened.Add(1)
		cr, sw := io.Pipe()
		sr, cw := io.Pipe()
		srv, err := sftp.NewServer(struct {
			io.Reader
			io.WriteCloser
		}{sr, sw})
		if err != nil {
			return nil, err
		}
		go func() { srv.Serve(); srv.Close() }()
		cl, err := sftp.NewClientPipe(cr, cw, o...)
		if err == nil {
			h.sessions = append(h.sessions, cl)
		}
		return cl, err
	}
	h.Conn = newConn("local", opts, run, current, open)
	h.Conn.uid, h.Conn.gid = os.Getuid(), os.Getgid()
	t.Cleanup(func() { h.Close() })
	return h
}

func mustRun(t *testing.T, argv ...string) string {
	t.Helper()
	out, err := exec.Command(argv[0], argv[1:]...).Output()
	if err != nil {
		t.Fatalf("%s: %v", argv, err)
	}
	return string(out)
}

// fakeBuild copies the test binary (an ELF of this machine) with extra
// bytes appended: another build, same architecture.
func fakeBuild(t *testing.T, dir, tag string) (path, sha string, size int64) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(dir, "sysroll-"+tag)
	if err := os.WriteFile(path, append(b, tag...), 0o755); err != nil {
		t.Fatal(err)
	}
	sha, size, err = hashFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, sha, size
}

func ls(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func TestEnsureBinary(t *testing.T) {
	ctx := context.Background()
	h := newLocalHost(t, Options{})
	bin := filepath.Join(h.root, ".bin")
	src := t.TempDir()

	a, shaA, sizeA := fakeBuild(t, src, "a")
	remote, sent, err := EnsureBinary(ctx, h.Conn, a)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(bin, "sysroll-"+shaA[:12]); remote != want || sent != sizeA {
		t.Fatalf("first push: %s, %d bytes; want %s, %d", remote, sent, want, sizeA)
	}
	if got, _, _ := hashFile(remote); got != shaA {
		t.Errorf("the host's copy has sha256 %s, want %s", got, shaA)
	}
	for p, want := range map[string]os.FileMode{remote: 0o755, bin: os.ModeDir | 0o755} {
		if fi, err := os.Stat(p); err != nil || fi.Mode() != want {
			t.Errorf("%s: %v, %v; want mode %s", p, fi.Mode(), err, want)
		}
	}

	// Again: nothing sent, on the same session.
	if r, sent, err := EnsureBinary(ctx, h.Conn, a); err != nil || r != remote || sent != 0 {
		t.Errorf("second push: %s, %d bytes, %v; want %s, 0", r, sent, err, remote)
	}
	// A file of the right name but wrong content (a bad disk, a hand
	// edit) is replaced, not trusted.
	if err := os.WriteFile(remote, bytes.Repeat([]byte{'x'}, int(sizeA)), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, sent, err := EnsureBinary(ctx, h.Conn, a); err != nil || sent != sizeA {
		t.Errorf("push over a corrupt copy: %d bytes, %v; want %d", sent, err, sizeA)
	}
	if got, _, _ := hashFile(remote); got != shaA {
		t.Errorf("after the repair the host's copy has sha256 %s", got)
	}

	// Three more builds: each a new path; the oldest beyond Keep goes.
	var paths []string
	for _, tag := range []string{"b", "c", "d"} {
		p, sha, size := fakeBuild(t, src, tag)
		r, sent, err := EnsureBinary(ctx, h.Conn, p)
		if err != nil || sent != size || filepath.Base(r) != "sysroll-"+sha[:12] {
			t.Fatalf("push build %s: %s, %d, %v", tag, r, sent, err)
		}
		paths = append(paths, filepath.Base(r))
	}
	if got := strings.Join(ls(t, bin), " "); got != strings.Join(sortedCopy(paths), " ") {
		t.Errorf(".bin holds %s; want the last three builds %s", got, paths)
	}
	// Reusing b makes it the newest: the next new build removes c.
	b := filepath.Join(src, "sysroll-b")
	if _, sent, err := EnsureBinary(ctx, h.Conn, b); err != nil || sent != 0 {
		t.Fatalf("reuse b: %d, %v", sent, err)
	}
	e, _, _ := fakeBuild(t, src, "e")
	re, _, err := EnsureBinary(ctx, h.Conn, e)
	if err != nil {
		t.Fatal(err)
	}
	want := sortedCopy([]string{paths[0], paths[2], filepath.Base(re)})
	if got := ls(t, bin); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf(".bin holds %s; want b (reused), d, e", got)
	}
	if n := h.opened.Load(); n != 1 {
		t.Errorf("%d sftp sessions opened; want one reused", n)
	}
}

func sortedCopy(s []string) []string {
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

func TestEnsureBinaryWrongArch(t *testing.T) {
	h := newLocalHost(t, Options{})
	h.uname = "s390x"
	a, _, _ := fakeBuild(t, t.TempDir(), "a")
	_, sent, err := EnsureBinary(context.Background(), h.Conn, a)
	if err == nil || !strings.Contains(err.Error(), "s390x") || sent != 0 {
		t.Fatalf("push to an s390x host: %d bytes, %v; want a refusal naming it", sent, err)
	}
	if _, err := os.Stat(filepath.Join(h.root, ".bin")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused host got .bin made: %v", err)
	}
}

// cancelAfter cancels its ctx once n bytes were read: a push cut mid-way.
type cancelAfter struct {
	r      io.Reader
	n      int64
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.n -= int64(n); c.n <= 0 {
		c.cancel()
	}
	return n, err
}

func TestCancelledPushLeavesNoTemp(t *testing.T) {
	h := newLocalHost(t, Options{})
	a, sha, size := fakeBuild(t, t.TempDir(), "a")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := file{dir: filepath.Join(h.root, ".bin"), dirMode: 0o755, name: binaryName(sha), mode: 0o755,
		sha: sha, size: size, build: true,
		open: func() (io.ReadCloser, error) {
			r, err := os.Open(a)
			return io.NopCloser(&cancelAfter{r: r, n: size / 3, cancel: cancel}), err
		}}
	_, sent, err := h.ensure(ctx, f)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled push: %v, want context.Canceled", err)
	}
	if sent <= 0 || sent >= size {
		t.Errorf("cancelled push reports %d bytes sent of %d; want a part", sent, size)
	}
	if got := ls(t, f.dir); len(got) != 0 {
		t.Errorf("after a cancelled push .bin holds %q; want nothing", got)
	}
	// And the next push works, on a new session.
	if _, sent, err := EnsureBinary(context.Background(), h.Conn, a); err != nil || sent != size {
		t.Errorf("push after the cancel: %d, %v", sent, err)
	}
	if n := h.opened.Load(); n < 2 {
		t.Errorf("%d sessions opened: the cancelled one should have been closed", n)
	}
}

// Temps a dead upload left are removed by the next push into the same
// directory once stale; a fresh one (maybe another controller's live
// upload) is left alone.
func TestStaleTempSwept(t *testing.T) {
	h := newLocalHost(t, Options{StaleAfter: time.Minute})
	bin := filepath.Join(h.root, ".bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	dead, live := filepath.Join(bin, tempName("sysroll-0123456789ab")), filepath.Join(bin, tempName("sysroll-0123456789ab"))
	for _, p := range []string{dead, live} {
		if err := os.WriteFile(p, []byte("part"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-5 * time.Minute)
	os.Chtimes(dead, old, old)
	a, _, _ := fakeBuild(t, t.TempDir(), "a")
	if _, _, err := EnsureBinary(context.Background(), h.Conn, a); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dead); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the stale temp is still there: %v", err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("a fresh temp was removed: %v", err)
	}
}

// A copy whose sha256 on the host is not the local one is not renamed
// into place, and its temp is removed.
func TestCorruptCopyRefused(t *testing.T) {
	h := newLocalHost(t, Options{})
	a, _, _ := fakeBuild(t, t.TempDir(), "a")
	h.tamper = func(argv []string) []string {
		if argv[0] == "sha256sum" && isTemp(filepath.Base(argv[2])) {
			return []string{"sh", "-c", "echo " + strings.Repeat("0", 64) + "  x"}
		}
		return argv
	}
	_, _, err := EnsureBinary(context.Background(), h.Conn, a)
	if err == nil || !strings.Contains(err.Error(), "corrupted in transit") {
		t.Fatalf("push with a bad copy: %v", err)
	}
	if got := ls(t, filepath.Join(h.root, ".bin")); len(got) != 0 {
		t.Errorf(".bin holds %q after a refused copy; want nothing", got)
	}
}

func TestEnsureArtifact(t *testing.T) {
	ctx := context.Background()
	h := newLocalHost(t, Options{})
	inc := filepath.Join(h.root, ".incoming")

	tree := t.TempDir()
	makeTree(t, tree, time.Now(), 0o644)
	r1, sent1, err := EnsureArtifact(ctx, h.Conn, tree)
	if err != nil || sent1 == 0 || !strings.HasSuffix(r1, ".tar.gz") {
		t.Fatalf("push a tree: %s, %d, %v", r1, sent1, err)
	}
	sha, _, _ := hashFile(r1)
	if filepath.Base(r1) != sha+".tar.gz" {
		t.Errorf("remote %s is not named by its sha256 %s", r1, sha)
	}
	// The same tree, rebuilt elsewhere later: same name, nothing sent.
	tree2 := t.TempDir()
	makeTree(t, tree2, time.Now().Add(time.Hour), 0o600)
	r2, sent2, err := EnsureArtifact(ctx, h.Conn, tree2)
	if err != nil || r2 != r1 || sent2 != 0 {
		t.Errorf("push the same tree again: %s, %d, %v; want %s, 0", r2, sent2, err, r1)
	}
	for p, want := range map[string]os.FileMode{r1: 0o600, inc: os.ModeDir | 0o700} {
		if fi, err := os.Stat(p); err != nil || fi.Mode() != want {
			t.Errorf("%s: %v, %v; want %s", p, fi.Mode(), err, want)
		}
	}

	// A tarball as it is; a binary as "bin".
	tgz := filepath.Join(t.TempDir(), "rel.tgz")
	if err := os.WriteFile(tgz, []byte("not really gzip"), 0o644); err != nil {
		t.Fatal(err)
	}
	one, _, _ := fakeBuild(t, t.TempDir(), "x")
	for _, tc := range []struct{ local, ext string }{{tgz, ".tar.gz"}, {one, ".bin"}} {
		sha, size, _ := hashFile(tc.local)
		r, sent, err := EnsureArtifact(ctx, h.Conn, tc.local)
		if err != nil || r != filepath.Join(inc, sha+tc.ext) || sent != size {
			t.Errorf("push %s: %s, %d, %v; want %s%s, %d bytes", tc.local, r, sent, err, sha, tc.ext, size)
		}
	}
	if _, _, err := EnsureArtifact(ctx, h.Conn, filepath.Join(tree, "missing")); err == nil {
		t.Error("a missing artifact was no error")
	}
	fifo := filepath.Join(t.TempDir(), "fifo")
	syscall.Mkfifo(fifo, 0o644)
	if _, _, err := EnsureArtifact(ctx, h.Conn, fifo); err == nil || !strings.Contains(err.Error(), "give a directory") {
		t.Errorf("a fifo artifact: %v", err)
	}
}
