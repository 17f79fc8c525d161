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
// systemd-analyze is not run here: Render is pure and works without systemd
// (Verify runs it where the units are installed).
func checkRendered(svc *config.Service, files Files) error {
	findings := (lint.Checker{}).Check(context.Background(), lintFiles(files))
	return findingErrors(svc, files, findings, func(f lint.Finding) bool { return f.Severity >= lint.Warning })
}

// Verify runs `systemd-analyze verify` of the systemd on this machine on the
// rendered units, and refuses every line it reports as ignored or not
// understood (an unknown key, a value it cannot parse), at the service file
// field that wrote it. Validate checks raw keys against systemd 252's own
// table; this catches the host's systemd being older or newer than that
// (a key it removed, or a value syntax it does not know yet), before
// anything is installed. Messages without a line (a missing release binary,
// a dependency not installed yet) are not about the units' text and pass.
// Without systemd-analyze there is nothing to ask, and Verify passes.
//
// First, no rendered unit may take the name of a unit this host already has
// (checkShadowing): installed, it would replace that unit for every user of it.
func Verify(ctx context.Context, svc *config.Service, files Files) error {
	if err := checkShadowing(svc, files, unitLoadDirs); err != nil {
		return err
	}
	findings := (lint.Checker{Verify: lint.SystemdAnalyze}).Check(ctx, lintFiles(files))
	return findingErrors(svc, files, findings, func(f lint.Finding) bool {
		return f.Rule == lint.RuleSystemdAnalyze && f.Line > 0 && f.Severity >= lint.Warning
	})
}

func lintFiles(files Files) []lint.File {
	in := make([]lint.File, len(files))
	for i, f := range files {
		in[i] = lint.File{Path: f.Name, Data: []byte(f.Content)}
	}
	return in
}

// findingErrors turns the findings keep selects into errors at the service
// file field that wrote the line.
func findingErrors(svc *config.Service, files Files, findings []lint.Finding, keep func(lint.Finding) bool) error {
	var errs []error
	for _, f := range findings {
		if !keep(f) {
			continue
		}
		msg := fmt.Sprintf("%s (sysroll lint rule %s)", f.Message, f.Rule)
		if f.Rule == lint.RuleSystemdAnalyze {
			msg = fmt.Sprintf("systemd-analyze verify on this host: %s", f.Message)
		}
		if file, ok := files.Get(f.Path); ok {
			if o, ok := file.origins[f.Line]; ok {
				errs = append(errs, svc.DirectiveError(o.field, o.key, msg))
				continue
			}
		}
		// A line sysroll wrote itself: a bug of sysroll's, or a systemd
		// that cannot apply sysroll's sandbox; never hidden.
		errs = append(errs, fmt.Errorf("rendered %s line %d: %s", f.Path, f.Line, msg))
	}
	return errors.Join(errs...)
}
