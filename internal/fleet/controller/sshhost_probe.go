package controller

import (
	"context"
	"errors"
	"fmt"

	"github.com/sysroll/sysroll/internal/schema"
)

// Probe implements Host: `probe NAME --claims-dir DIR [--has V
// --expect-sha256 H] [--no-sha256] --json`, one session for what took
// four (version, claims, status, stage --has). As for Version, the
// shell's 127 or 126 means the build is not on the host.
func (h *SSHHost) Probe(ctx context.Context, q ProbeQuery) (HostProbe, bool, error) {
	args := []string{"probe", q.Service, "--claims-dir", FleetDir(q.Service), "--json"}
	if q.Version != "" {
		args = append(args, "--has", q.Version, "--expect-sha256", q.SHA256)
	}
	if !q.Handshake {
		args = append(args, "--no-sha256")
	}
	var p schema.Probe
	err := h.sysroll(ctx, &p, args...)
	if ee, ok := err.(*ExitError); ok && (ee.Code == 127 || ee.Code == 126) {
		return HostProbe{}, false, nil
	}
	if err != nil {
		return HostProbe{}, false, err
	}
	if p.Schema != schema.ProbeV1 {
		return HostProbe{}, false, fmt.Errorf("%s: sysroll probe answered schema %q, want %s", h.name, p.Schema, schema.ProbeV1)
	}
	if q.Handshake {
		if err := checkBuild(h.name, h.binPath(), h.bin.SHA256, p.Version.SHA256); err != nil {
			return HostProbe{}, true, err
		}
	}
	return fromProbe(h.name, p, q.Version != ""), true, nil
}

// fromProbe is the host's answer as the controller uses it: each part's
// error named for the host and the part (a part asked for and missing
// is an error too), claims validated again (the
// controller trusts no host's file more than its own reading of it).
func fromProbe(host string, p schema.Probe, askedHas bool) HostProbe {
	out := HostProbe{Version: p.Version}
	switch {
	case p.StatusError != "":
		out.StatusErr = fmt.Errorf("%s: sysroll status %s: %s", host, p.Service, p.StatusError)
	case p.Status == nil:
		out.StatusErr = fmt.Errorf("%s: sysroll probe %s: no status in its answer", host, p.Service)
	default:
		out.Status = *p.Status
	}
	switch {
	case p.HasError != "":
		out.HasErr = fmt.Errorf("%s: sysroll stage %s --has: %s", host, p.Service, p.HasError)
	case p.Has != nil:
		out.Has = p.Has.Has
	case askedHas:
		out.HasErr = fmt.Errorf("%s: sysroll probe %s: no answer to --has in its answer", host, p.Service)
	}
	if p.ClaimsError != "" {
		out.ClaimsErr = fmt.Errorf("%s: the fleet claims in %s: %s: inspect them", host, FleetDir(p.Service), p.ClaimsError)
		return out
	}
	var errs []error
	for _, c := range p.Claims {
		if c == nil {
			errs = append(errs, errors.New("a null claim"))
			continue
		}
		if err := c.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("claim %s: %w", c.FleetID, err))
			continue
		}
		out.Claims = append(out.Claims, c)
	}
	if err := errors.Join(errs...); err != nil {
		out.ClaimsErr = fmt.Errorf("%s: the fleet claims in %s: %w: inspect them", host, FleetDir(p.Service), err)
	}
	return out
}
