package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/sysroll/sysroll/internal/host"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/schema"
)

// jsonProgress streams one JSON object per event (schema.Event), for
// scripts, CI and the fleet controller.
type jsonProgress struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (p *jsonProgress) Event(e rollout.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.enc.Encode(schema.NewEvent(e))
}

// textProgress prints one plain line per event a person cares about, so the
// story of the rollout reads top to bottom in a terminal or a CI log.
type textProgress struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
}

// trafficNote is the live failed-request count (with --probe), shown after
// each instance.
func trafficNote(e rollout.Event) string {
	if e.Traffic == nil {
		return ""
	}
	return fmt.Sprintf("  [traffic: %d requests, %d failed]", e.Traffic.Requests, e.Traffic.Failed)
}

func (p *textProgress) Event(e rollout.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	// The clock starts with the rollout; a staged release comes before it.
	if p.start.IsZero() && e.Type != rollout.EventStaged {
		p.start = e.Time
	}
	ts := fmt.Sprintf("[%5.1fs]", e.Time.Sub(p.start).Seconds())
	switch e.Type {
	case rollout.EventStaged:
		fmt.Fprintf(p.w, "staged release %s\n", e.Message)
	case rollout.EventRolloutStart:
		fmt.Fprintf(p.w, "%s %s\n", ts, e.Message)
	case rollout.EventBatchStart:
		fmt.Fprintf(p.w, "%s batch %d: %s\n", ts, e.Batch+1, e.Message)
	case rollout.EventPhase:
		if e.Skipped {
			return // nothing drained: a "drain" line would say otherwise
		}
		fmt.Fprintf(p.w, "%s   %-10s %s\n", ts, e.Instance, e.Phase)
	case rollout.EventInstanceDone:
		fmt.Fprintf(p.w, "%s   %-10s healthy after %s (%s)%s\n", ts, e.Instance, e.Elapsed.Round(100*time.Millisecond), e.Health, trafficNote(e))
	case rollout.EventInstanceFailed:
		fmt.Fprintf(p.w, "%s   %-10s FAILED after %s: %s%s\n", ts, e.Instance, e.Elapsed.Round(100*time.Millisecond), e.Message, trafficNote(e))
		if e.Health != "" {
			fmt.Fprintf(p.w, "             last probe: %s\n", e.Health)
		}
		if len(e.Logs) > 0 {
			fmt.Fprintf(p.w, "             last journal lines:\n")
			for _, l := range e.Logs {
				fmt.Fprintf(p.w, "               %s\n", l)
			}
		}
		for _, h := range e.Hints {
			fmt.Fprintf(p.w, "             hint: %s\n", h)
		}
	case rollout.EventRevert:
		fmt.Fprintf(p.w, "%s   %-10s rolling back: %s\n", ts, e.Instance, e.Message)
	case rollout.EventReverted:
		fmt.Fprintf(p.w, "%s   %-10s back on its previous release and healthy\n", ts, e.Instance)
	case rollout.EventDecision, rollout.EventPreflight, rollout.EventWarning:
		if e.Message != "" {
			fmt.Fprintf(p.w, "%s %s: %s\n", ts, e.Type, e.Message)
		}
	case rollout.EventPause, rollout.EventPauseEnd:
		fmt.Fprintf(p.w, "%s %s\n", ts, pauseLine(e))
	case rollout.EventAnalysisStart, rollout.EventAnalysis, rollout.EventAnalysisVerdict:
		line, _ := analysisLine(e)
		fmt.Fprintf(p.w, "%s %s\n", ts, line)
	case rollout.EventRolloutEnd:
		if e.Message == "" {
			fmt.Fprintf(p.w, "%s rollout %s\n", ts, e.Result)
		} else {
			fmt.Fprintf(p.w, "%s rollout %s: %s\n", ts, e.Result, e.Message)
		}
	}
}

// progress is the display the output asks for: JSON lines with --json, a
// redrawn block on a terminal, plain lines otherwise. proof (nil without
// --probe) feeds the terminal's live traffic line.
func (g *globals) progress(proof *host.TrafficProof) rollout.Progress {
	if g.json {
		return &jsonProgress{enc: json.NewEncoder(g.stdout)}
	}
	if isTerminal(g.stdout) {
		return newTTYProgress(g.stdout, proof)
	}
	return &textProgress{w: g.stdout}
}

// printSummary draws the per-instance table at the end of a rollout.
func printSummary(w io.Writer, rec *release.Record) {
	if rec == nil {
		return
	}
	fmt.Fprintf(w, "\n%-10s %-12s %-12s %-9s %s\n", "INSTANCE", "FROM", "TO", "TOOK", "OUTCOME")
	for _, in := range rec.Instances {
		took := "-"
		if !in.Started.IsZero() && !in.Ended.IsZero() {
			took = in.Ended.Sub(in.Started).Round(100 * time.Millisecond).String()
		}
		outcome := string(in.Phase)
		if in.Error != "" {
			outcome += ": " + firstLine(in.Error)
		}
		fmt.Fprintf(w, "%-10s %-12s %-12s %-9s %s\n", in.Name, dash(in.From), dash(in.To), took, outcome)
	}
	dur := "-"
	if !rec.Ended.IsZero() {
		dur = rec.Ended.Sub(rec.Started).Round(100 * time.Millisecond).String()
	}
	fmt.Fprintf(w, "\n%s %s of %s: %s in %s", rec.ID, rec.Kind, rec.Service, strings.ToUpper(string(rec.Result)), dur)
	if rec.Reason != "" {
		fmt.Fprintf(w, " — %s", rec.Reason)
	}
	fmt.Fprintln(w)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
