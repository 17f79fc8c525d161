package unitfile

import (
	"context"
	"errors"
	"fmt"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/lint"
)

// checkRendered runs sysroll's own lint rules (the ones `sysroll lint`
// applies to hand-written units: Requires= between instances, network.target,
// After= a Type=simple unit, ...) on the rendered units. A raw unit:/service:
// value can re-create the pitfalls sysroll exists to avoid, e.g.
// unit: {Requires: NAME@OTHER.service} restarts the other instance with
// this one. Every warning or error is refused, pointing at the service file
// field that wrote the line; info findings (advice that may be intended)
// are not.
//
// systemd-analyze verify is not run here: Render is pure and works without
// systemd; `sysroll lint` on the rendered units runs it.
func checkRendered(svc *config.Service, files Files, tmpl *unit) error {
	in := make([]lint.File, len(files))
	for i, f := range files {
		in[i] = lint.File{Path: f.Name, Data: []byte(f.Content)}
	}
	var errs []error
	for _, f := range (lint.Checker{}).Check(context.Background(), in) {
		if f.Severity < lint.Warning {
			continue
		}
		msg := fmt.Sprintf("%s (sysroll lint rule %s)", f.Message, f.Rule)
		if o, ok := tmpl.origins[f.Line]; ok && f.Path == TemplateUnit(svc.Name) {
			errs = append(errs, svc.DirectiveError(o.field, o.key, msg))
			continue
		}
		// A line sysroll wrote itself: a bug of sysroll's, but never hidden.
		errs = append(errs, fmt.Errorf("rendered %s line %d: %s", f.Path, f.Line, msg))
	}
	return errors.Join(errs...)
}
