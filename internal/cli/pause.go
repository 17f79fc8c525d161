package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/sysroll/sysroll/internal/host"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
)

// pauseLine is the plain line of a pause or pause-end event.
func pauseLine(e rollout.Event) string {
	if e.Type == rollout.EventPause {
		return "pause: " + e.Message
	}
	switch e.PauseResult {
	case release.PausePassed:
		return fmt.Sprintf("pause after batch %d passed: every updated instance stayed up and healthy", e.Batch+1)
	case release.PauseFailed:
		return fmt.Sprintf("pause after batch %d FAILED: %s", e.Batch+1, e.Message)
	case release.PausePromoted, release.PauseResumed:
		return fmt.Sprintf("pause after batch %d passed, %s", e.Batch+1, e.Message)
	}
	return fmt.Sprintf("pause after batch %d %s", e.Batch+1, e.PauseResult)
}

// pauseEvent keeps the terminal's countdown: until is when the pause in
// progress ends (zero when none is).
func (p *ttyProgress) pauseEvent(e rollout.Event) []string {
	if e.Type == rollout.EventPause && e.PauseResult != release.PauseWaiting { // a gate: no process waits, no countdown
		p.pauseUntil = e.Time.Add(e.Wait)
	} else {
		p.pauseUntil = time.Time{}
	}
	return []string{pauseLine(e)}
}

// drawPause draws the countdown line of a pause in progress.
func (p *ttyProgress) drawPause(now time.Time) {
	if p.pauseUntil.IsZero() {
		return
	}
	left := max(p.pauseUntil.Sub(now), 0).Round(time.Second)
	fmt.Fprintf(p.w, "  paused, %s left (watching the updated instances)\033[K\n", left)
	p.drawn++
}

// printPauses lists the pauses of the records that had any, for history:
// when each ran, how long it watched or waited, what became of it, and who
// promoted it and why.
func printPauses(w io.Writer, recs []release.Record) {
	for _, r := range recs {
		for i, p := range r.Pauses {
			res := string(p.Result)
			if res == "" {
				res = "not reached"
			}
			line := fmt.Sprintf("%s: pause %d, %s after batch %d: %s", r.ID, i+1, p.Label(), p.After+1, res)
			switch {
			case p.Result == "":
			case !p.Waits():
				line += fmt.Sprintf(" (watched %s", p.Waited.Round(time.Second))
				if !p.Started.IsZero() {
					line += ", from " + p.Started.Local().Format(time.TimeOnly)
				}
				line += ")"
			case p.Result == release.PauseWaiting:
				line += " (since " + p.Started.Local().Format(time.DateTime)
				if !p.ExpiresAt.IsZero() {
					line += ", expires " + p.ExpiresAt.Local().Format(time.DateTime)
				}
				line += ")"
			case !p.Started.IsZero() && !p.Ended.IsZero():
				line += fmt.Sprintf(" (waited %s from %s)", p.Ended.Sub(p.Started).Round(time.Second), p.Started.Local().Format(time.DateTime))
			}
			if p.By != "" {
				line += "; asked by " + p.By
				if p.Reason != "" {
					line += ": " + p.Reason
				}
			}
			if pr := p.Promotion; pr != nil {
				line += fmt.Sprintf("; promoted by %s at %s", pr.By, pr.At.Local().Format(time.DateTime))
				if pr.Reason != "" {
					line += ": " + pr.Reason
				}
			}
			if p.Message != "" {
				line += ": " + p.Message
			}
			fmt.Fprintln(w, line)
		}
	}
}

// printPaused is status's block for a rollout stopped at a pause: where,
// since when, until when, which processes the pause recorded as the
// canaries, and the commands that go on.
func printPaused(w io.Writer, r *release.Record) {
	fmt.Fprintf(w, "PAUSED ROLLOUT %s (%s %s -> %s, started %s): %s\n", r.ID, r.Kind, r.From, r.To, r.Started.Local().Format(time.DateTime), host.PausedSince(r))
	if i := r.Waiting(); i >= 0 {
		q := r.Pauses[i]
		if q.By != "" {
			fmt.Fprintf(w, "  asked by %s: %s\n", q.By, dash(q.Reason))
		}
		for _, c := range q.Watch {
			fmt.Fprintf(w, "  updated: %s (InvocationID %s, NRestarts %d when the pause began; promote checks they are unchanged)\n", c.Name, short8(c.InvocationID), c.NRestarts)
		}
		for _, a := range r.Analysis {
			if a.Batch <= q.After {
				fmt.Fprintf(w, "  analysis of batch %d: %s\n", a.Batch+1, batchAnalysisLine(a))
			}
		}
		if q.Timer != "" {
			fmt.Fprintf(w, "  timer: %s checks these instances while the rollout waits, and runs on_pause_expiry %s at the expiry\n", q.Timer, q.OnExpiry)
		}
	}
	fmt.Fprintf(w, "  next: %s\n", host.NextCommands(r, r.Service))
}

// short8 shortens an InvocationID.
func short8(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// batchAnalysisLine is one batch's analysis outcome in a line.
func batchAnalysisLine(a release.BatchAnalysis) string {
	s := fmt.Sprintf("%s after %d round(s)", a.Outcome, a.Measured)
	if a.Reason != "" {
		s += ": " + a.Reason
	}
	return s
}
