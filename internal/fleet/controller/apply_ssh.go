package controller

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"strings"

	"github.com/sysroll/sysroll/internal/fleet/push"
	"github.com/sysroll/sysroll/internal/sshx"
)

var _ ApplyHost = (*SSHHost)(nil)

// Apply implements ApplyHost: the service file goes to the incoming
// directory under a content-addressed name (two applies of different files
// never share one), the artifact as push copies it, then `sysroll apply`.
func (h *SSHHost) Apply(ctx context.Context, req ApplyRequest, line func(string)) error {
	sum := sha256.Sum256(req.File)
	remote := path.Join(push.DefaultRoot, ".incoming", req.Service+"-"+hex.EncodeToString(sum[:6])+".yaml")
	f := make([]string, 3)
	for i, p := range []string{path.Dir(remote), remote + ".tmp", remote} {
		q, err := sshx.ShellQuote([]string{p})
		if err != nil {
			return fmt.Errorf("%s: copy the service file: %w", h.name, err)
		}
		f[i] = q
	}
	script := "umask 077 && mkdir -p " + f[0] + " && cat > " + f[1] + " && mv -f " + f[1] + " " + f[2]
	if _, err := h.run(ctx, []string{"sh", "-c", script}, req.File); err != nil {
		return fmt.Errorf("copy the service file to %s: %w", remote, err)
	}
	argv := []string{h.binPath(), "apply", remote}
	if req.WithArtifact && !req.DryRun {
		sent, err := h.PushArtifact(ctx)
		if err != nil {
			return err
		}
		line(fmt.Sprintf("release copied (%d bytes)", sent))
		argv = append(argv, "--artifact", path.Join(push.DefaultRoot, ".incoming", h.art.Name()))
		if req.Version != "" {
			argv = append(argv, "--version", req.Version)
		}
	}
	if req.DryRun {
		argv = append(argv, "--dry-run")
	}
	w := &lineWriter{line: func(b []byte) { line(string(b)) }}
	var errOut bytes.Buffer
	code, err := h.pool.Stream(ctx, h.name, argv, nil, w, &errOut)
	for l := range strings.Lines(errOut.String()) {
		line(strings.TrimRight(l, "\n"))
	}
	if len(w.buf) > 0 {
		line(string(w.buf))
	}
	if err != nil {
		return fmt.Errorf("%s: sysroll apply: %w", h.name, err)
	}
	if code != 0 {
		return &ExitError{Host: h.name, Cmd: "sysroll apply " + remote, Code: code}
	}
	return nil
}
