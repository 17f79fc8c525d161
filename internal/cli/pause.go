package cli

import (
	"fmt"
	"io"
	"time"

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
	}
	return fmt.Sprintf("pause after batch %d %s", e.Batch+1, e.PauseResult)
}

// pauseEvent keeps the terminal's countdown: until is when the pause in
// progress ends (zero when none is).
func (p *ttyProgress) pauseEvent(e rollout.Event) []string {
	if e.Type == rollout.EventPause {
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

// printPauses lists the timed pauses of the records that had any, for
// history: when each ran, how long it watched, and what became of it.
func printPauses(w io.Writer, recs []release.Record) {
	for _, r := range recs {
		for _, p := range r.Pauses {
			res := string(p.Result)
			if res == "" {
				res = "not reached"
			}
			line := fmt.Sprintf("%s: pause %s after batch %d: %s", r.ID, p.Duration, p.After+1, res)
			if p.Result != "" {
				line += fmt.Sprintf(" (watched %s", p.Waited.Round(time.Second))
				if !p.Started.IsZero() {
					line += ", from " + p.Started.Local().Format(time.TimeOnly)
				}
				line += ")"
			}
			if p.Message != "" {
				line += ": " + p.Message
			}
			fmt.Fprintln(w, line)
		}
	}
}
