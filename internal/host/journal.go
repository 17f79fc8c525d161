package host

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/sysroll/sysroll/internal/proc"
)

// whoAmI is the user a rollout is recorded as: the sudo user behind root.
func whoAmI() string {
	if u, err := user.Current(); err == nil {
		if sudo := os.Getenv("SUDO_USER"); sudo != "" && u.Uid == "0" {
			return sudo + " (via sudo)"
		}
		return u.Username
	}
	return fmt.Sprintf("uid %d", os.Getuid())
}

func (h *Host) who() string {
	if h.Who != "" {
		return h.Who
	}
	return whoAmI()
}

func (h *Host) logs() func(ctx context.Context, unit string, n int) []string {
	if h.Logs != nil {
		return h.Logs
	}
	return journalTail(h.User)
}

// journalTail returns a unit's last n log lines. journalctl is the only
// reader of the journal's binary files we can count on; failing to read
// logs must not fail the rollout, so errors become a single line.
func journalTail(user bool) func(ctx context.Context, unit string, n int) []string {
	return func(ctx context.Context, unit string, n int) []string {
		args := []string{"--no-pager", "-o", "cat", "-n", fmt.Sprint(n), "-u", unit}
		if user {
			args = append([]string{"--user"}, args...)
		}
		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		if !user {
			// The job result reaches us over D-Bus before journald has
			// stored the unit's last lines (the app's own error on stderr,
			// "Main process exited"): without this the tail of a unit that
			// failed at start often ended just before the reason. --sync
			// returns once everything logged before it is stored; it needs
			// root, which the system manager needs anyway. Best effort.
			sctx, scancel := context.WithTimeout(ctx, time.Second)
			_ = proc.Run(proc.Command(sctx, "journalctl", "--sync"))
			scancel()
		}
		// Through proc: bounded output (a unit may log megabyte lines),
		// its own process group, and no hang on a pipe held open.
		cmd := proc.Command(ctx, "journalctl", args...)
		out, stderr := proc.NewTail(journalOutputMax), proc.NewTail(512)
		cmd.Stdout, cmd.Stderr = out, stderr
		cmd.WaitDelay = 500 * time.Millisecond
		if err := proc.Run(cmd); err != nil {
			msg := err.Error()
			if e := journalLines(stderr.String(), 1); e[0] != "" {
				msg += ": " + e[0]
			}
			return []string{"(journal unavailable: " + msg + ")"}
		}
		text := string(out.Bytes())
		if out.Truncated() {
			// The first line kept is cut: drop it.
			_, text, _ = strings.Cut(text, "\n")
		}
		return journalLines(text, n)
	}
}

// journalOutputMax bounds what is read of journalctl's output: n lines of
// an ordinary service are far less; a longer line is cut.
const journalOutputMax = 64 << 10

// journalLines is text's last n lines (all for n <= 0).
func journalLines(text string, n int) []string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if n > 0 && len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}
