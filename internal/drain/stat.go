package drain

import (
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
)

// Status values HAProxy 2.6 shows in the status column of `show stat` for a
// server. Transitional states carry a counter: "UP 1/3" is up but failing
// checks (going down), "DOWN 2/3" is down but passing them (going up).
// Tracking servers show "MAINT (via BE/SRV)".
const (
	StatusUp      = "UP"
	StatusDown    = "DOWN"
	StatusDrain   = "DRAIN"    // admin state drain, server up
	StatusMaint   = "MAINT"    // admin state maint (also "MAINT (via ...)", "MAINT (resolution)")
	StatusNOLB    = "NOLB"     // up, but refuses new traffic (http-check disable-on-404)
	StatusNoCheck = "no check" // no health checks: in traffic whenever ready
)

// ServerStat is one server row of `show stat`, the fields sysroll uses.
type ServerStat struct {
	Backend string
	Name    string
	// Status is the raw status column (see the Status constants).
	Status string
	// Sessions is scur: connections the server is serving right now.
	Sessions int
	// Queued is qcur: requests waiting for a slot on this server; a drained
	// server still serves them.
	Queued int
	// CheckStatus and CheckDesc are the last health check's result, e.g.
	// "L4CON" / "Layer4 connection problem".
	CheckStatus, CheckDesc string
	Addr                   string
}

// InTraffic reports whether HAProxy sends new requests to the server:
// its own health checks passed ("UP", not a transitional "UP 1/3") or it
// has none ("no check") and is ready.
func (s ServerStat) InTraffic() bool {
	return s.Status == StatusUp || s.Status == StatusNoCheck
}

// Idle reports whether the server has no in-flight work left.
func (s ServerStat) Idle() bool { return s.Sessions == 0 && s.Queued == 0 }

// describe is the status as shown in errors, with the last check's reason.
func (s ServerStat) describe() string {
	d := fmt.Sprintf("status %q", s.Status)
	if s.CheckDesc != "" || s.CheckStatus != "" {
		d += fmt.Sprintf(", last check %s %s", s.CheckStatus, s.CheckDesc)
	}
	return strings.TrimSpace(d)
}

// serverRowType is the "type" column of a server row (0 frontend,
// 1 backend, 2 server, 3 listener).
const serverRowType = "2"

// parseStat reads the CSV of `show stat [BE 4 -1]` and returns its server
// rows in order. Columns are found by the header, not by position: the
// column set grows between HAProxy versions.
func parseStat(text string) ([]ServerStat, error) {
	header, body, ok := strings.Cut(text, "\n")
	if !strings.HasPrefix(header, "# ") {
		return nil, fmt.Errorf("show stat: no CSV header in %q", firstLine(text))
	}
	col := map[string]int{}
	for i, name := range strings.Split(strings.TrimPrefix(header, "# "), ",") {
		col[name] = i
	}
	for _, need := range []string{"pxname", "svname", "scur", "status"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("show stat: no %q column in header %q", need, firstLine(text))
		}
	}
	if !ok || strings.TrimSpace(body) == "" {
		return nil, nil
	}
	r := csv.NewReader(strings.NewReader(body))
	r.FieldsPerRecord = -1 // trailing comma and growing columns
	r.LazyQuotes = true
	recs, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("show stat: %w", err)
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	var out []ServerStat
	for _, rec := range recs {
		sv := get(rec, "svname")
		if t := get(rec, "type"); t != "" && t != serverRowType {
			continue
		}
		if sv == "FRONTEND" || sv == "BACKEND" {
			continue // older versions without a type column
		}
		st := ServerStat{
			Backend:     get(rec, "pxname"),
			Name:        sv,
			Status:      get(rec, "status"),
			CheckStatus: get(rec, "check_status"),
			CheckDesc:   get(rec, "check_desc"),
			Addr:        get(rec, "addr"),
		}
		if st.Sessions, err = atoiEmpty(get(rec, "scur")); err != nil {
			return nil, fmt.Errorf("show stat: server %s/%s: scur: %w", st.Backend, sv, err)
		}
		if st.Queued, err = atoiEmpty(get(rec, "qcur")); err != nil {
			return nil, fmt.Errorf("show stat: server %s/%s: qcur: %w", st.Backend, sv, err)
		}
		out = append(out, st)
	}
	return out, nil
}

// atoiEmpty reads a counter; HAProxy leaves a column empty when it does not
// apply.
func atoiEmpty(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	return strconv.Atoi(s)
}

// parseBackends reads `show backend`: a "# name" header, one name a line.
func parseBackends(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	if len(l) > 80 {
		l = l[:80] + "..."
	}
	return l
}
