package release

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/sysroll/sysroll/internal/proc"
)

// checkOutputMax is how much of a failed check's output the error keeps (the
// end, where the reason usually is).
const checkOutputMax = 4 << 10

// runCheck runs a staged release's check command in dir (see
// StageOptions.Check) and returns an error carrying its output if it fails.
func runCheck(ctx context.Context, dir string, argv []string, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = DefaultCheckTimeout
	}
	args := make([]string, len(argv))
	for i, a := range argv {
		args[i] = strings.ReplaceAll(a, "{release}", dir)
	}
	name := args[0]
	// exec.Command resolves a bare name against our own PATH, not the
	// child's; resolve it here with the release first.
	if !strings.Contains(name, "/") {
		if p := filepath.Join(dir, name); isExecutable(p) {
			name = p
		} else if p, err := exec.LookPath(name); err == nil {
			name = p
		} else {
			return fmt.Errorf("check %q: %s is neither in the release nor in PATH", shellJoin(argv), args[0])
		}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// Its own process group, killed whole at the timeout: a check that
	// backgrounds a child must not leave it running after we gave up.
	cmd := proc.Command(ctx, name, args[1:]...)
	cmd.Dir = dir
	// Later duplicates win in cmd.Env, so these override the inherited ones.
	cmd.Env = append(cmd.Env,
		"PATH="+dir+string(os.PathListSeparator)+proc.CleanPath(os.Getenv("PATH")),
		"SYSROLL_RELEASE="+dir,
		// A release is immutable once staged (its tree's sha256 is
		// verified before each use): Python importing the app to check it
		// must not write __pycache__ into it.
		"PYTHONDONTWRITEBYTECODE=1")
	out := proc.NewTail(checkOutputMax)
	cmd.Stdout, cmd.Stderr = out, out
	// A background grandchild keeping the output pipe open must not hang us.
	cmd.WaitDelay = time.Second
	err := proc.Run(cmd)
	if err == nil {
		return nil
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("timed out after %s", timeout)
	}
	output := strings.TrimSpace(out.String())
	if output == "" {
		output = "(no output)"
	}
	return fmt.Errorf("check %q failed: %w\n%s", shellJoin(argv), err, output)
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// shellJoin writes argv as a shell would read it back, so a message shows
// `python3 -c 'import app'`, not the ambiguous `python3 -c import app`.
func shellJoin(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		if a != "" && strings.IndexFunc(a, needsQuote) < 0 {
			out[i] = a
			continue
		}
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(out, " ")
}

func needsQuote(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%{}", r))
}
