package journal

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sysroll/sysroll/internal/analysis"
)

// MessageIDDropped is journald's "Suppressed N messages" entry
// (SD_MESSAGE_JOURNAL_DROPPED).
const MessageIDDropped = "a596d6fe7bfa4994828e72309e95d61e"

// Provider counts error-priority journal entries.
type Provider struct {
	R Runner
	// Priority is the least severe priority counted, by name (default err).
	Priority string
}

// Window is the wall-clock span both sets are counted over.
type Window struct{ Since, Until time.Time }

func (w Window) seconds() float64 { return w.Until.Sub(w.Since).Seconds() }

func (w Window) args() []string {
	return []string{"--since", stamp(w.Since), "--until", stamp(w.Until)}
}

// stamp is journalctl's "@seconds.micros since the epoch".
func stamp(t time.Time) string {
	us := t.UnixMicro()
	return fmt.Sprintf("@%d.%06d", us/1e6, us%1e6)
}

func (p *Provider) priority() (string, int, error) {
	name := p.Priority
	if name == "" {
		name = analysis.DefaultPriority
	}
	n := slices.Index(analysis.Priorities, name)
	if n < 0 {
		return "", 0, fmt.Errorf("journal priority %q is not one of %s", name, strings.Join(analysis.Priorities, ", "))
	}
	return name, n, nil
}

// Canary counts the entries of the processes with these invocation IDs
// (the canary's InvocationAfter) in w, and fails the measurement when
// journald suppressed any of their messages. Exposure is one instance per
// invocation over the window.
func (p *Provider) Canary(ctx context.Context, invocations []string, w Window) analysis.Measurement {
	ms := p.count(ctx, analysis.Canary, "_SYSTEMD_INVOCATION_ID", invocations, w)
	if ms.Err != nil || ms.Problem != nil {
		return ms
	}
	args := []string{"-o", "json", "--output-fields=MESSAGE,N_DROPPED,OBJECT_SYSTEMD_INVOCATION_ID,OBJECT_SYSTEMD_UNIT", "--no-pager", "-q"}
	args = append(append(args, w.args()...), "MESSAGE_ID="+MessageIDDropped)
	for _, id := range invocations {
		args = append(args, "OBJECT_SYSTEMD_INVOCATION_ID="+id)
	}
	ms.Queries = append(ms.Queries, "journalctl "+strings.Join(args, " "))
	out, err := p.R.Journalctl(ctx, args)
	if err != nil {
		ms.Counts, ms.Err = nil, fmt.Errorf("%w: %w", analysis.ErrProvider, err)
		return ms
	}
	es, err := parse(out)
	if err != nil {
		ms.Counts, ms.Err = nil, fmt.Errorf("%w: %w", analysis.ErrProvider, err)
		return ms
	}
	counted := ms.Counts.Events
	var drops []string
	for _, e := range es {
		if slices.Contains(invocations, e.fields["OBJECT_SYSTEMD_INVOCATION_ID"]) {
			drops = append(drops, e.fields["MESSAGE"])
		}
	}
	if len(drops) > 0 {
		ms.Counts = nil
		ms.Problem = analysis.Problemf(analysis.Suppressed, "journald rate-limited the canary, so its %g counted entries are a lower bound: %s",
			counted, strings.Join(drops, "; "))
	}
	return ms
}

// Baseline counts the entries of these untouched units (by _SYSTEMD_UNIT,
// i.e. lines their processes wrote) in the same window.
func (p *Provider) Baseline(ctx context.Context, units []string, w Window) analysis.Measurement {
	return p.count(ctx, analysis.Baseline, "_SYSTEMD_UNIT", units, w)
}

func (p *Provider) count(ctx context.Context, set analysis.Set, field string, values []string, w Window) analysis.Measurement {
	ms := analysis.Measurement{Metric: analysis.JournalMetricName, Set: set, At: w.Until}
	name, max, err := p.priority()
	if err != nil {
		ms.Err = fmt.Errorf("%w: %w", analysis.ErrProvider, err)
		return ms
	}
	if len(values) == 0 {
		ms.Problem = analysis.Problemf(analysis.NoData, "%s: no instances to count", set)
		return ms
	}
	if w.seconds() <= 0 {
		ms.Problem = analysis.Problemf(analysis.NoData, "%s: empty window %s..%s", set, w.Since.Format(time.RFC3339), w.Until.Format(time.RFC3339))
		return ms
	}
	args := []string{"-o", "json", "--output-fields=PRIORITY," + field + ",MESSAGE", "--no-pager", "-q", "-p", name}
	args = append(args, w.args()...)
	for _, v := range values {
		args = append(args, field+"="+v)
	}
	ms.Queries = []string{"journalctl " + strings.Join(args, " ")}
	out, err := p.R.Journalctl(ctx, args)
	if err != nil {
		ms.Err = fmt.Errorf("%w: %w", analysis.ErrProvider, err)
		return ms
	}
	es, err := parse(out)
	if err != nil {
		ms.Err = fmt.Errorf("%w: %w", analysis.ErrProvider, err)
		return ms
	}
	var n int
	for _, e := range es {
		v := e.fields[field]
		// journalctl already matched and filtered; this guards against a
		// runner that did not (a wrapper, a newer journalctl).
		if !slices.Contains(values, v) || e.priority < 0 || e.priority > max {
			continue
		}
		n++
	}
	ms.Counts = &analysis.Counts{Events: float64(n), Exposure: float64(len(values)) * w.seconds()}
	return ms
}
