package journal

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sysroll/sysroll/internal/fleet/plan"
)

var (
	// idRe is a fleet rollout ID: it goes into unit and file names.
	idRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	// serviceRe is config's service name rule.
	serviceRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	// unitRe is a systemd unit name of a host step.
	unitRe = regexp.MustCompile(`^[A-Za-z0-9:_.@\\-]{1,250}\.service$`)
)

// Limits on free text, so a hostile file cannot make a hostile message.
const (
	maxName = 255  // host names, release names, boot IDs, rollout IDs
	maxText = 4096 // error messages, controller
)

// textProblem checks free text a message will show: valid UTF-8, no
// control character (a terminal escape could rewrite what is shown), and
// not longer than limit bytes. It returns "" when the text is fine.
func textProblem(s string, limit int) string {
	switch {
	case len(s) > limit:
		return fmt.Sprintf("is %d bytes, more than %d", len(s), limit)
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return fmt.Sprintf("holds the control character %U", r)
		}
	}
	return ""
}

// nameProblem checks a name: non-empty text without blanks.
func nameProblem(s string) string {
	if s == "" {
		return "is empty"
	}
	if why := textProblem(s, maxName); why != "" {
		return why
	}
	if strings.IndexFunc(s, unicode.IsSpace) >= 0 {
		return "holds a blank"
	}
	return ""
}

type problems []error

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Errorf(format, args...)) }

// common checks the fields a journal and a claim share.
func (p *problems) common(id, service string, kind Kind, target, controller string, started time.Time, s Strategy, batches [][]string, skipped []Skipped) {
	if !idRe.MatchString(id) {
		p.add("id %q: want letters, digits and ._- (at most 64), starting with a letter or digit", clip(id))
	}
	if !serviceRe.MatchString(service) {
		p.add("service %q: not a service name", clip(service))
	}
	switch kind {
	case KindDeploy, KindRollback:
		if why := nameProblem(target); why != "" {
			p.add("target release %s", why)
		}
	case KindRestart:
		if target != "" {
			p.add("target %q: a restart keeps each host's release, so it has none", clip(target))
		}
	default:
		p.add("kind %q: want %s, %s or %s", clip(string(kind)), KindDeploy, KindRollback, KindRestart)
	}
	if why := textProblem(controller, maxText); why != "" {
		p.add("controller %s", why)
	}
	if started.IsZero() {
		p.add("no start time")
	}
	if _, err := s.Plan(); err != nil {
		p.add("strategy: %w", err)
	}
	p.batches(batches)
	p.skipped(skipped, batches)
}

// skipped checks the hosts left out: named once, not in the plan too.
func (p *problems) skipped(skipped []Skipped, batches [][]string) {
	if len(skipped) > plan.MaxHosts {
		p.add("%d skipped hosts, more than %d", len(skipped), plan.MaxHosts)
		return
	}
	seen := map[string]bool{}
	for _, s := range skipped {
		if why := nameProblem(s.Name); why != "" {
			p.add("skipped host name %q %s", clip(s.Name), why)
			continue
		}
		if seen[s.Name] {
			p.add("skipped host %s is listed twice", s.Name)
		}
		seen[s.Name] = true
		for _, b := range batches {
			if slices.Contains(b, s.Name) {
				p.add("host %s is both skipped and planned", s.Name)
			}
		}
		if why := textProblem(s.Why, maxText); why != "" {
			p.add("skipped host %s: reason %s", s.Name, why)
		}
	}
}

// batches checks the plan: at least one batch, none empty, every host once.
func (p *problems) batches(batches [][]string) {
	if len(batches) == 0 {
		p.add("no host batches")
	}
	seen := map[string]bool{}
	count := 0
	for i, b := range batches {
		if len(b) == 0 {
			p.add("host batch %d is empty", i+1)
		}
		for _, h := range b {
			if count++; count > plan.MaxHosts {
				p.add("more than %d hosts", plan.MaxHosts)
				return
			}
			if why := nameProblem(h); why != "" {
				p.add("host batch %d: host name %q %s", i+1, clip(h), why)
			} else if seen[h] {
				p.add("host %s is in the plan twice", h)
			}
			seen[h] = true
		}
	}
}

// part checks one host's part of the rollout against the plan.
func (p *problems) part(host string, batch int, batches [][]string, phase plan.Phase, rolloutID, unit, bootID string, result plan.HostResult) {
	if batch < 0 || batch >= len(batches) || !slices.Contains(batches[batch], host) {
		p.add("host %s: batch %d does not hold it in the plan", host, batch+1)
	}
	if !slices.Contains(plan.Phases, phase) {
		p.add("host %s: phase %q is not one of %v", host, clip(string(phase)), plan.Phases)
	}
	switch result {
	case "", plan.HostSucceeded, plan.HostRolledBack, plan.HostFailed, plan.HostHalted, plan.HostInterrupted, plan.HostUnknown:
	default:
		p.add("host %s: result %q is not a host result", host, clip(string(result)))
	}
	if rolloutID != "" && !idRe.MatchString(rolloutID) {
		p.add("host %s: rollout id %q is not a rollout id", host, clip(rolloutID))
	}
	if unit != "" && !unitRe.MatchString(unit) {
		p.add("host %s: unit %q is not a service unit name", host, clip(unit))
	}
	if bootID != "" {
		if why := nameProblem(bootID); why != "" {
			p.add("host %s: boot id %s", host, why)
		}
	}
}

// Validate returns every problem with j, joined.
func (j *Journal) Validate() error {
	var p problems
	if j.Schema != Schema {
		p.add("schema %q, want %q", clip(j.Schema), Schema)
	}
	p.common(j.ID, j.Service, j.Kind, j.Target, j.Controller, j.Started, j.Strategy, j.Batches, j.Skipped)
	p.takeOvers(j.TakeOvers)
	switch j.Result {
	case ResultRunning, ResultSucceeded, ResultRolledBack, ResultHalted, ResultFailed, ResultInterrupted:
	default:
		p.add("result %q is not a fleet rollout result", clip(string(j.Result)))
	}
	planned := 0
	for _, b := range j.Batches {
		planned += len(b)
	}
	if len(j.Hosts) != planned {
		p.add("%d host entries for the %d planned hosts", len(j.Hosts), planned)
	}
	seen := map[string]bool{}
	for i, h := range j.Hosts {
		if why := nameProblem(h.Name); why != "" {
			p.add("host entry %d: name %q %s", i+1, clip(h.Name), why)
			continue
		}
		if seen[h.Name] {
			p.add("host %s has two entries", h.Name)
		}
		seen[h.Name] = true
		p.part(h.Name, h.Batch, j.Batches, h.Phase, h.RolloutID, h.Unit, h.BootID, h.Result)
		if h.Offset < 0 {
			p.add("host %s: event offset %d is negative", h.Name, h.Offset)
		}
		if why := textProblem(h.Error, maxText); why != "" {
			p.add("host %s: error %s", h.Name, why)
		}
	}
	if len(p) > maxProblems {
		p = append(p[:maxProblems:maxProblems], fmt.Errorf("... and %d more problems", len(p)-maxProblems))
	}
	return errors.Join(p...)
}

// maxProblems bounds the problems one Validate reports.
const maxProblems = 20

// Validate returns every problem with c, joined.
func (c *Claim) Validate() error {
	var p problems
	if c.Schema != ClaimSchema {
		p.add("schema %q, want %q", clip(c.Schema), ClaimSchema)
	}
	p.common(c.FleetID, c.Service, c.Kind, c.Target, c.Controller, c.Created, c.Strategy, c.Batches, c.Skipped)
	p.takeOvers(c.TakeOvers)
	if why := nameProblem(c.Host); why != "" {
		p.add("host name %q %s", clip(c.Host), why)
	} else {
		p.part(c.Host, c.Part.Batch, c.Batches, c.Part.Phase, c.Part.RolloutID, c.Part.Unit, c.Part.BootID, c.Part.Result)
	}
	if len(p) > maxProblems {
		p = append(p[:maxProblems:maxProblems], fmt.Errorf("... and %d more problems", len(p)-maxProblems))
	}
	return errors.Join(p...)
}

// clip shortens text quoted back in a message.
func clip(s string) string {
	const n = 64
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
