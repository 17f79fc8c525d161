package drain

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Check verifies, before any instance is touched, that the runtime API
// answers with admin level, that Backend exists and that it has a server
// for every instance. A rollout that would fail at its first drain fails
// here instead, with what to fix.
func (h *HAProxy) Check(ctx context.Context, instances []string) error {
	if h.Backend == "" {
		return errors.New("haproxy: no backend named")
	}
	api := h.api()
	level, err := api.do(ctx, "show cli level")
	if err != nil {
		return err
	}
	switch lv := strings.TrimSpace(level); lv {
	case "admin":
	case "operator", "user":
		return fmt.Errorf("haproxy admin socket %s has level %s: sysroll sets server state, which needs `stats socket %s level admin`", h.Socket, lv, h.Socket)
	default:
		// An HAProxy without `show cli level` (before 2.0): a refused
		// `set server` will say so at the first drain.
	}
	if resp, err := api.show(ctx, "show backend"); err == nil {
		if bes := parseBackends(resp); !slices.Contains(bes, h.Backend) {
			return fmt.Errorf("haproxy %s has no backend %q (backends: %s)", h.Socket, h.Backend, orNone(bes))
		}
	} else if _, refused := errors.AsType[*CommandError](err); !refused {
		return err
	}
	stats, err := h.Servers(ctx)
	if err != nil {
		return err
	}
	var missing []string
	owner := map[string]string{} // server -> instance
	var errs []error
	for _, in := range instances {
		srv, err := h.ServerName(in)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if other, dup := owner[srv]; dup {
			errs = append(errs, fmt.Errorf("haproxy: instances %s and %s both map to server %s/%s", other, in, h.Backend, srv))
			continue
		}
		owner[srv] = in
		if _, ok := find(stats, srv); !ok {
			missing = append(missing, srv)
		}
	}
	switch len(missing) {
	case 0:
	case 1:
		errs = append(errs, fmt.Errorf("backend %s has no server %s (servers: %s)", h.Backend, missing[0], serverList(stats)))
	default:
		errs = append(errs, fmt.Errorf("backend %s has no servers %s (servers: %s)", h.Backend, strings.Join(missing, ", "), serverList(stats)))
	}
	return errors.Join(errs...)
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
