package controller

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/sysroll/sysroll/internal/fleet/journal"
	"github.com/sysroll/sysroll/internal/sshx"
)

var _ ClaimHost = (*SSHHost)(nil)

// Claims implements ClaimHost: every NAME/fleet/*.json on the host, read
// in one command (a claim being replaced is a .json.tmp, never matched).
func (h *SSHHost) Claims(ctx context.Context, service string) ([]*journal.Claim, error) {
	dir, err := sshx.ShellQuote([]string{FleetDir(service)})
	if err != nil {
		return nil, fmt.Errorf("%s: claims: %w", h.name, err)
	}
	script := "cd " + dir + " 2>/dev/null || exit 0; for f in *.json; do [ -f \"$f\" ] && cat \"$f\" && echo; done; exit 0"
	out, err := h.run(ctx, []string{"sh", "-c", script}, nil)
	if err != nil {
		return nil, fmt.Errorf("read the fleet claims in %s: %w", FleetDir(service), err)
	}
	var cs []*journal.Claim
	d := json.NewDecoder(bytes.NewReader(out))
	for {
		var raw json.RawMessage
		err := d.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return cs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: the fleet claims in %s are not JSON (%w): inspect them", h.name, FleetDir(service), err)
		}
		c, err := journal.DecodeClaim(h.name, raw)
		if err != nil {
			return nil, err
		}
		cs = append(cs, c)
	}
}

// UnitActive implements ClaimHost: `systemctl is-active` exits 0 for an
// active unit, non-zero for any other state (a unit gone included).
func (h *SSHHost) UnitActive(ctx context.Context, unit string) (bool, error) {
	_, err := h.run(ctx, []string{"systemctl", "is-active", "--quiet", unit}, nil)
	var ee *ExitError
	if errors.As(err, &ee) {
		return false, nil
	}
	return err == nil, err
}
