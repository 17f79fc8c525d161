package host

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strings"
	"time"
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
			_ = exec.CommandContext(sctx, "journalctl", "--sync").Run()
			scancel()
		}
		out, err := exec.CommandContext(ctx, "journalctl", args...).Output()
		if err != nil {
			return []string{"(journal unavailable: " + err.Error() + ")"}
		}
		return strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	}
}
