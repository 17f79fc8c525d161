package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sysroll/sysroll/internal/drain"
)

const down = "down"

// serving asks every instance of m what it runs: GET / on each instance's
// own port. With a shared socket no request can pick an instance, so it
// takes `sysroll status --json` (each instance's state and release) and
// checks it against what many fresh connections through the socket answer.
func (b *bench) serving(ctx context.Context, m method, notes []string) (map[string]string, []string) {
	got := map[string]string{}
	if m.Listen == 0 {
		for _, p := range m.Ports {
			got[strconv.Itoa(p)] = versionAt(ctx, fmt.Sprintf("http://127.0.0.1:%d/", p))
		}
		return got, notes
	}
	st, err := b.status(ctx, m.Service)
	if err != nil {
		return got, append(notes, err.Error())
	}
	for _, in := range st.Instances {
		v := in.Release
		if in.ActiveState != "active" {
			v = down
		}
		got[in.Instance] = v
	}
	seen := map[string]int{}
	for range 40 {
		seen[versionAt(ctx, m.URL("/"))]++
	}
	for v, n := range seen {
		if !slices.Contains(valuesOf(got), v) {
			notes = append(notes, fmt.Sprintf("%d of 40 requests through the socket answered %q, which status does not show", n, v))
		}
	}
	return got, notes
}

// versionAt is the version a hello at url reports, or "down".
func versionAt(ctx context.Context, url string) string {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return down
	}
	req.Close = true // a fresh connection each time: a shared socket spreads them
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return down
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	// "hello from v2 (instance 18331, pid 42)"
	rest, ok := strings.CutPrefix(string(body), "hello from ")
	if resp.StatusCode != http.StatusOK || !ok {
		return down
	}
	v, _, _ := strings.Cut(rest, " ")
	return v
}

// statusJSON is the part of `sysroll status NAME --json` we read.
type statusJSON struct {
	Instances []struct {
		Instance    string `json:"instance"`
		ActiveState string `json:"active_state"`
		Release     string `json:"release"`
	} `json:"instances"`
}

func (b *bench) status(ctx context.Context, service string) (statusJSON, error) {
	var st statusJSON
	// Exit 1 means "not all healthy", still with the JSON.
	out, _, err := b.shell(ctx, binDir+"/sysroll status "+service+" --json --no-probe")
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		return st, fmt.Errorf("sysroll status %s --json: %w: %s", service, err, lastLines(out, 5))
	}
	return st, nil
}

// leftOutOfTraffic names the servers of m's backend not in traffic (after
// the load ended): sysroll must never leave one drained.
func (b *bench) leftOutOfTraffic(ctx context.Context, m method) []string {
	var stats []drain.ServerStat
	var err error
	// A restarted server needs a few checks to come back UP: give it time.
	for range 30 {
		if stats, err = b.hp.servers(ctx, m.Service); err == nil && allInTraffic(stats) {
			return nil
		}
		if sleep(ctx, 100*time.Millisecond) != nil {
			break
		}
	}
	return []string{"haproxy after the rollout: " + describeServers(stats, err)}
}

func valuesOf(m map[string]string) []string {
	var vs []string
	for _, v := range m {
		vs = append(vs, v)
	}
	return vs
}
