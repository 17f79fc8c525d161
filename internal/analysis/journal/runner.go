package journal

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// Runner runs journalctl with args and returns its standard output.
type Runner interface {
	Journalctl(ctx context.Context, args []string) ([]byte, error)
}

// Exec runs the journalctl binary (Path, default "journalctl"); Args are put
// before every call's arguments (e.g. "--directory=DIR", "-M", "machine").
type Exec struct {
	Path string
	Args []string
}

var _ Runner = Exec{}

// Journalctl runs journalctl; a non-zero exit is an error carrying its
// stderr.
func (e Exec) Journalctl(ctx context.Context, args []string) ([]byte, error) {
	path := e.Path
	if path == "" {
		path = "journalctl"
	}
	cmd := exec.CommandContext(ctx, path, append(append([]string(nil), e.Args...), args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w: %s", path, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}
