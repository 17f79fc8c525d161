package controller

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/sysroll/sysroll/internal/fleet/push"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/schema"
	"github.com/sysroll/sysroll/internal/sshx"
)

// SSHHost is Host over an sshx.Pool: commands run the controller's own
// build on the host, at its content-addressed path (push's), so the host
// and the controller always speak the same protocol.
type SSHHost struct {
	pool *sshx.Pool
	name string
	conn *push.Conn
	bin  *push.Binary
	art  *push.Artifact
	// StopTimeout is the steps' TimeoutStopSec: longer than a step's
	// revert, so systemd never SIGKILLs one (fleet.md, "Controller Ctrl-C").
	StopTimeout time.Duration
}

var _ Host = (*SSHHost)(nil)

// NewSSHHost is host name of pool, pushing bin and art (art may be nil for
// a rollout that copies no release). Close it when done.
func NewSSHHost(pool *sshx.Pool, name string, bin *push.Binary, art *push.Artifact) *SSHHost {
	return &SSHHost{pool: pool, name: name, conn: push.NewConn(pool, name, push.Options{}), bin: bin, art: art, StopTimeout: 15 * time.Minute}
}

// Close ends the host's SFTP session (the connection is the pool's).
func (h *SSHHost) Close() error { return h.conn.Close() }

// Name implements Host.
func (h *SSHHost) Name() string { return h.name }

// binPath is the controller's build on the host.
func (h *SSHHost) binPath() string { return push.DefaultRoot + "/.bin/" + h.bin.Name() }

// Connect implements Host.
func (h *SSHHost) Connect(ctx context.Context) error {
	_, err := h.pool.Conn(ctx, h.name) // its errors name the host already
	return err
}

// run runs argv on the host; a non-zero exit is an error quoting stderr.
func (h *SSHHost) run(ctx context.Context, argv []string, stdin []byte) ([]byte, error) {
	var in io.Reader // a nil []byte must stay a nil Reader: no stdin at all
	if stdin != nil {
		in = bytes.NewReader(stdin)
	}
	out, errOut, code, err := h.pool.Run(ctx, h.name, argv, in)
	if err != nil {
		return out, fmt.Errorf("%s: %s: %w", h.name, path.Base(argv[0]), err)
	}
	if code != 0 {
		return out, &ExitError{Host: h.name, Cmd: strings.Join(argv, " "), Code: code, Stderr: strings.TrimSpace(string(errOut))}
	}
	return out, nil
}

// sysroll runs the controller's build with args and decodes its JSON
// answer into v when v is not nil; a non-zero exit with a JSON answer
// still decodes (status exits 1 when an instance is unhealthy) and
// returns the *ExitError too.
func (h *SSHHost) sysroll(ctx context.Context, v any, args ...string) error {
	out, err := h.run(ctx, append([]string{h.binPath()}, args...), nil)
	if v == nil {
		return err
	}
	if derr := json.Unmarshal(out, v); derr != nil {
		if err != nil {
			return err
		}
		return fmt.Errorf("%s: sysroll %s: not one JSON answer (%w): %q", h.name, args[0], derr, clip(string(out)))
	}
	return err
}

// ExitError is a host command that exited non-zero.
type ExitError struct {
	Host, Cmd string
	Code      int
	Stderr    string
}

func (e *ExitError) Error() string {
	msg := fmt.Sprintf("%s: %s exited %d", e.Host, e.Cmd, e.Code)
	// sysroll's own pointer to its --help is about the host's command
	// line, which the operator did not write: leave it out.
	var keep []string
	for l := range strings.Lines(e.Stderr) {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "see `") {
			keep = append(keep, l)
		}
	}
	if len(keep) > 0 {
		msg += ": " + clip(strings.Join(keep, "; "))
	}
	return msg
}

// Version implements Host. The shell's 127 (no such file) means the build
// is not on the host.
func (h *SSHHost) Version(ctx context.Context) (schema.Version, bool, error) {
	var v schema.Version
	err := h.sysroll(ctx, &v, "version", "--json")
	if ee, ok := err.(*ExitError); ok && (ee.Code == 127 || ee.Code == 126) {
		return v, false, nil
	}
	if err != nil {
		return v, false, err
	}
	return v, true, checkBuild(h.name, h.binPath(), h.bin.SHA256, v.SHA256)
}

// checkBuild refuses a build at the content-addressed path whose own
// sha256 (what it hashed of itself, version --json) is not the
// controller's: the path names only the first 12 hex digits, and a file
// that was there may be damaged or replaced since it was copied; root
// runs it. got "" is an answer without the hash (a probe that skipped
// it), which checks nothing.
func checkBuild(host, path, want, got string) error {
	if got == "" || want == "" || got == want {
		return nil
	}
	return fmt.Errorf("%s: the sysroll build at %s hashes to %s, not this controller's %s: it was damaged or replaced since it was copied; remove it (the next command copies it afresh) and find out why", host, path, got, want)
}

// PushBinary implements Host.
func (h *SSHHost) PushBinary(ctx context.Context) (int64, error) {
	_, sent, err := h.bin.Ensure(ctx, h.conn)
	if err != nil {
		return sent, fmt.Errorf("%s: copy sysroll: %w", h.name, err)
	}
	return sent, nil
}

// Has implements Host.
func (h *SSHHost) Has(ctx context.Context, service, version, sha256 string) (bool, error) {
	var has schema.Has
	if err := h.sysroll(ctx, &has, "stage", service, "--has", version, "--expect-sha256", sha256, "--json"); err != nil {
		if _, ok := err.(*ExitError); !ok || has.Schema == "" {
			return false, err
		}
	}
	return has.Has, nil
}

// PushArtifact implements Host.
func (h *SSHHost) PushArtifact(ctx context.Context) (int64, error) {
	if h.art == nil {
		return 0, nil
	}
	_, sent, err := h.art.Ensure(ctx, h.conn)
	if err != nil {
		return sent, fmt.Errorf("%s: copy the release: %w", h.name, err)
	}
	return sent, nil
}

// Stage implements Host.
func (h *SSHHost) Stage(ctx context.Context, service, version, sha256, fleetID string) (schema.Staged, error) {
	var st schema.Staged
	if h.art == nil {
		return st, fmt.Errorf("%s: no release to stage", h.name)
	}
	remote := path.Join(push.DefaultRoot, ".incoming", h.art.Name())
	err := h.sysroll(ctx, &st, "stage", service, "--artifact", remote, "--version", version,
		"--expect-sha256", sha256, "--fleet", fleetID, "--json")
	return st, err
}

// Status implements Host.
func (h *SSHHost) Status(ctx context.Context, service string) (schema.Status, error) {
	var st schema.Status
	err := h.sysroll(ctx, &st, "status", service, "--json")
	if _, ok := err.(*ExitError); ok && st.Schema != "" {
		err = nil // unhealthy instances: the JSON tells which
	}
	return st, err
}

// Start implements Host: the host step as fleet.md's "The host step".
func (h *SSHHost) Start(ctx context.Context, s Step) error {
	if _, err := h.run(ctx, []string{"install", "-d", "-m", "0700", path.Dir(s.Events)}, nil); err != nil {
		return err
	}
	argv := []string{"systemd-run", "--unit=" + s.Unit, "--collect", "--quiet",
		"--service-type=exec", "--description=" + s.Description,
		"-p", "TimeoutStopSec=" + strconv.Itoa(int(h.StopTimeout.Seconds())),
		"--", h.binPath()}
	argv = append(argv, s.Args...)
	argv = append(argv, "--events", s.Events, "--json")
	_, err := h.run(ctx, argv, nil)
	return err
}

// Follow implements Host.
func (h *SSHHost) Follow(ctx context.Context, s Step, from int64, line func([]byte)) (int64, error) {
	w := &lineWriter{offset: from, line: line}
	var errOut bytes.Buffer
	argv := []string{h.binPath(), "follow", s.Events, "--from", strconv.FormatInt(from, 10), "--unit", strings.TrimSuffix(s.Unit, ".service")}
	code, err := h.pool.Stream(ctx, h.name, argv, nil, w, &errOut)
	if err != nil {
		return w.offset, fmt.Errorf("%s: follow %s: %w", h.name, s.Events, err)
	}
	if code != 0 {
		return w.offset, &ExitError{Host: h.name, Cmd: strings.Join(argv, " "), Code: code, Stderr: strings.TrimSpace(errOut.String())}
	}
	return w.offset, nil
}

// Stop implements Host: SIGTERM to the step's main process only (its
// probes and hooks are its own to end).
func (h *SSHHost) Stop(ctx context.Context, s Step) error {
	_, err := h.run(ctx, []string{"sh", "-c", "systemctl kill --kill-whom=main -s TERM " + s.Unit + " 2>/dev/null || ! systemctl is-active --quiet " + s.Unit}, nil)
	return err
}

// Record implements Host.
func (h *SSHHost) Record(ctx context.Context, service, fleetID string) (*release.Record, error) {
	var hist schema.History
	if err := h.sysroll(ctx, &hist, "history", service, "--fleet", fleetID, "--json"); err != nil {
		return nil, err
	}
	if len(hist.Rollouts) == 0 {
		return nil, nil
	}
	return &hist.Rollouts[0], nil
}

// WriteClaim implements Host: temp file, fsync-free mv in one directory
// (rename is atomic; the claim is rewritten at every phase, so the last
// one lost to a crash is the previous phase, which resume handles).
func (h *SSHHost) WriteClaim(ctx context.Context, service, fleetID string, data []byte) error {
	final := ClaimPath(service, fleetID)
	f := make([]string, 3)
	for i, p := range []string{path.Dir(final), final + ".tmp", final} {
		q, err := sshx.ShellQuote([]string{p})
		if err != nil {
			return fmt.Errorf("%s: claim: %w", h.name, err)
		}
		f[i] = q
	}
	script := "umask 077 && mkdir -p " + f[0] + " && cat > " + f[1] + " && sync " + f[1] + " && mv -f " + f[1] + " " + f[2]
	if _, err := h.run(ctx, []string{"sh", "-c", script}, data); err != nil {
		return fmt.Errorf("write the claim %s: %w", final, err)
	}
	return nil
}

// lineWriter calls line for each complete line and counts the offset of
// the end of the last one.
type lineWriter struct {
	offset int64
	buf    []byte
	line   func([]byte)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		l := w.buf[:i+1]
		w.offset += int64(len(l))
		w.line(bytes.TrimSuffix(l, []byte("\n")))
		w.buf = w.buf[i+1:]
	}
	return len(p), nil
}

func clip(s string) string {
	if len(s) > 400 {
		return s[:400] + "..."
	}
	return s
}
