package controller

import (
	"context"
	"strconv"

	"github.com/sysroll/sysroll/internal/schema"
)

var (
	_ RollbackHost  = (*SSHHost)(nil)
	_ HistoryHost   = (*SSHHost)(nil)
	_ UninstallHost = (*SSHHost)(nil)
)

// RollbackTarget implements RollbackHost: the host's own rollback dry
// run, which runs every check the step will (the release held, an
// interrupted rollout in the way) and names its target.
func (h *SSHHost) RollbackTarget(ctx context.Context, service, to string) (string, error) {
	args := []string{"rollback", service, "--dry-run", "--json"}
	if to != "" {
		args = append(args, "--to", to)
	}
	var p schema.Plan
	if err := h.sysroll(ctx, &p, args...); err != nil {
		return "", err
	}
	return p.Target, nil
}

// History implements HistoryHost: `history NAME --json --limit N`.
func (h *SSHHost) History(ctx context.Context, service string, limit int) (schema.History, error) {
	var hist schema.History
	err := h.sysroll(ctx, &hist, "history", service, "--json", "--limit", strconv.Itoa(limit))
	return hist, err
}

// Uninstall implements UninstallHost: `uninstall NAME [--purge]`.
func (h *SSHHost) Uninstall(ctx context.Context, service string, purge bool) (string, error) {
	args := []string{h.binPath(), "uninstall", service}
	if purge {
		args = append(args, "--purge")
	}
	out, err := h.run(ctx, args, nil)
	return string(out), err
}
