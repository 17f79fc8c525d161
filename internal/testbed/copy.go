package testbed

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// copyIn copies host paths to the same paths inside the container (see
// Options.Copies). It writes through /proc/INITPID/root, so the host's
// copy is only ever read.
func (c *Container) copyIn(ctx context.Context, paths []string) error {
	for _, p := range paths {
		dst := c.Path(p)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("copy %s in: %w", p, err)
		}
		// -a keeps modes, owners, times and symlinks; -T copies p itself
		// to dst rather than into it.
		if out, err := exec.CommandContext(ctx, "cp", "-a", "-T", p, dst).CombinedOutput(); err != nil {
			return fmt.Errorf("copy %s in: %w: %s", p, err, out)
		}
	}
	return nil
}
