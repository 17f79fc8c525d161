package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/sysroll/sysroll/internal/host"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
)

// isTerminal reports whether w is a terminal a person watches.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd())) && os.Getenv("TERM") != "dumb"
}

// ttyProgress keeps one line per instance and redraws them in place (phase,
// elapsed, health); everything else (batches, decisions, failures with
// their journal lines) scrolls above that block.
type ttyProgress struct {
	mu      sync.Mutex
	w       io.Writer
	order   []string
	rows    map[string]*ttyRow
	drawn   int                // lines of the block currently on screen
	traffic *host.TrafficProof // nil without --probe
	stop    chan struct{}
	once    sync.Once
	// pauseUntil is when the timed pause in progress ends (pause.go).
	pauseUntil time.Time
}

type ttyRow struct {
	phase release.Phase
	since time.Time
	final string // set once the instance is done, failed or reverted
}

func newTTYProgress(w io.Writer, t *host.TrafficProof) *ttyProgress {
	p := &ttyProgress{w: w, rows: map[string]*ttyRow{}, traffic: t, stop: make(chan struct{})}
	go p.tick()
	return p
}

// tick redraws so elapsed times move while a gate waits.
func (p *ttyProgress) tick() {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			p.redraw()
			p.mu.Unlock()
		}
	}
}

func (p *ttyProgress) row(name string) *ttyRow {
	r, ok := p.rows[name]
	if !ok {
		r = &ttyRow{phase: release.PhasePending}
		p.rows[name] = r
		p.order = append(p.order, name)
	}
	return r
}

func (p *ttyProgress) Event(e rollout.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var above []string
	switch e.Type {
	case rollout.EventStaged:
		above = append(above, "staged release "+e.Message)
	case rollout.EventRolloutStart:
		above = append(above, e.Message)
	case rollout.EventBatchStart:
		above = append(above, fmt.Sprintf("batch %d: %s", e.Batch+1, e.Message))
		for _, name := range strings.Fields(strings.ReplaceAll(e.Message, ",", " ")) {
			p.row(name)
		}
	case rollout.EventPhase:
		if e.Skipped {
			break // nothing drained
		}
		r := p.row(e.Instance)
		r.phase, r.since, r.final = e.Phase, e.Time, ""
	case rollout.EventInstanceDone:
		r := p.row(e.Instance)
		r.final = fmt.Sprintf("\033[32mhealthy\033[0m after %s (%s)", e.Elapsed.Round(100*time.Millisecond), e.Health)
	case rollout.EventInstanceFailed:
		r := p.row(e.Instance)
		r.final = fmt.Sprintf("\033[31mFAILED\033[0m after %s", e.Elapsed.Round(100*time.Millisecond))
		above = append(above, fmt.Sprintf("\033[31m%s failed:\033[0m %s", e.Instance, e.Message))
		if e.Health != "" {
			above = append(above, "  last probe: "+e.Health)
		}
		for _, l := range e.Logs {
			above = append(above, "  | "+l)
		}
		for _, h := range e.Hints {
			above = append(above, "  \033[33mhint:\033[0m "+h.String())
		}
	case rollout.EventRevert:
		r := p.row(e.Instance)
		r.phase, r.since, r.final = release.PhaseRevert, e.Time, ""
	case rollout.EventReverted:
		p.row(e.Instance).final = "\033[33mrolled back\033[0m, healthy on its previous release"
	case rollout.EventDecision, rollout.EventWarning, rollout.EventPreflight:
		if e.Message != "" && e.Type != rollout.EventPreflight {
			above = append(above, fmt.Sprintf("%s: %s", e.Type, e.Message))
		}
	case rollout.EventPause, rollout.EventPauseEnd:
		above = append(above, p.pauseEvent(e)...)
	case rollout.EventAnalysisStart, rollout.EventAnalysis, rollout.EventAnalysisVerdict:
		line, _ := analysisLine(e)
		above = append(above, line)
	case rollout.EventRolloutEnd:
		p.pauseUntil = time.Time{}
		above = append(above, fmt.Sprintf("rollout %s %s", e.Result, e.Message))
		p.finish()
	}
	p.clear()
	for _, l := range above {
		fmt.Fprintln(p.w, l)
	}
	p.redraw()
}

// finish stops the redrawing; the block stays as last drawn. Safe to call
// more than once.
func (p *ttyProgress) finish() { p.once.Do(func() { close(p.stop) }) }

// clear erases the instance block so log lines can print above it.
func (p *ttyProgress) clear() {
	if p.drawn > 0 {
		fmt.Fprintf(p.w, "\033[%dA\033[J", p.drawn)
		p.drawn = 0
	}
}

func (p *ttyProgress) redraw() {
	p.clear()
	now := time.Now()
	for _, name := range p.order {
		r := p.rows[name]
		state := r.final
		if state == "" {
			state = string(r.phase)
			if !r.since.IsZero() {
				state += fmt.Sprintf(" %4.1fs", now.Sub(r.since).Seconds())
			}
		}
		fmt.Fprintf(p.w, "  %-12s %s\033[K\n", name, state)
		p.drawn++
	}
	p.drawPause(now)
	if s, ok := p.traffic.Snapshot(); ok {
		fmt.Fprintf(p.w, "  traffic: %d requests, %d failed\033[K\n", s.Requests, s.Failed)
		p.drawn++
	}
}
