package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/sysroll/sysroll/internal/fleet/controller"
	"github.com/sysroll/sysroll/internal/schema"
)

// fleetProgress draws a fleet rollout: every host's events prefixed with
// the host, the controller's own notes, and a summary table; with --json
// one object per line, each host event as the host wrote it plus "host",
// the controller's lines of type "fleet-note" and "fleet-summary". Writes
// come from one goroutine per host: a mutex keeps lines whole.
type fleetProgress struct {
	mu   sync.Mutex
	w    io.Writer
	json bool
}

func newFleetProgress(w io.Writer, asJSON bool) *fleetProgress {
	return &fleetProgress{w: w, json: asJSON}
}

// Event implements controller.Progress.
func (p *fleetProgress) Event(host string, line []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			m = map[string]any{"type": "fleet-note", "message": "undecodable event line: " + err.Error()}
		}
		m["host"] = host
		p.encode(m)
		return
	}
	var e schema.Event
	if err := json.Unmarshal(line, &e); err != nil {
		fmt.Fprintf(p.w, "%s: (undecodable event line: %v)\n", host, err)
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", host, e.Type)
	if e.Instance != "" {
		b.WriteString(" " + e.Instance)
	}
	if e.Phase != "" {
		b.WriteString(" " + e.Phase)
	}
	if e.Result != "" {
		b.WriteString(" " + string(e.Result))
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	fmt.Fprintln(p.w, b.String())
}

// Note implements controller.Progress.
func (p *fleetProgress) Note(host, msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		m := map[string]any{"type": "fleet-note", "time": time.Now().UTC(), "message": msg}
		if host != "" {
			m["host"] = host
		}
		p.encode(m)
		return
	}
	prefix := "fleet"
	if host != "" {
		prefix = host
	}
	for l := range strings.Lines(strings.TrimRight(msg, "\n")) {
		fmt.Fprintf(p.w, "%s: %s\n", prefix, strings.TrimRight(l, "\n"))
	}
}

func (p *fleetProgress) encode(m map[string]any) {
	b, err := json.Marshal(m)
	if err != nil {
		b, _ = json.Marshal(map[string]any{"type": "fleet-note", "message": err.Error()})
	}
	p.w.Write(append(b, '\n'))
}

// fleetSummaryHost is one host of the "fleet-summary" line.
type fleetSummaryHost struct {
	Host   string `json:"host"`
	Result string `json:"result"`
	Sent   int64  `json:"sent_bytes"`
	Detail string `json:"detail,omitempty"`
}

// Summary prints the table host × result.
func (p *fleetProgress) Summary(r *controller.Report, journal string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		hs := make([]fleetSummaryHost, 0, len(r.Hosts))
		for _, h := range r.Hosts {
			hs = append(hs, fleetSummaryHost{h.Name, h.Result, h.Sent, h.Detail})
		}
		p.encode(map[string]any{"type": "fleet-summary", "fleet_id": r.FleetID, "result": r.Result, "reason": r.Reason, "journal": journal, "hosts": hs})
		return
	}
	fmt.Fprintf(p.w, "\nfleet rollout %s", r.FleetID)
	if r.Result != "" {
		fmt.Fprintf(p.w, ": %s", r.Result)
	}
	fmt.Fprintln(p.w)
	tw := tabwriter.NewWriter(p.w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tRESULT\tSENT\tDETAIL")
	for _, h := range r.Hosts {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", h.Name, h.Result, h.Sent, oneLine(h.Detail, 160))
	}
	tw.Flush()
	if journal != "" {
		fmt.Fprintf(p.w, "journal: %s\n", journal)
	}
}
