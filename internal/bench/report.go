package main

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// releaseLabel names the upgrade of a row.
func releaseLabel(bad bool) string {
	if bad {
		return badRelease + " (fails at start)"
	}
	return goodRelease
}

// runTable is one run's results as a Markdown table.
func runTable(rs []Result) string {
	var b strings.Builder
	b.WriteString("| method | upgrade to | requests | failed | failure kinds | p99 | max | rollout s | exit | all on new | serving after |\n")
	b.WriteString("|---|---|--:|--:|---|--:|--:|--:|--:|---|---|\n")
	for _, r := range rs {
		fmt.Fprintf(&b, "| (%s) %s | %s | %s | %d | %s | %s | %s | %.1f | %d | %s | %s |\n",
			r.Method, r.Title, releaseLabel(r.Bad), thousands(r.Requests), r.Failed, kinds(r.Kinds),
			ms(r.P99), ms(r.Max), r.Rollout.Seconds(), r.Exit, yesNo(r.AllNew), servingSummary(r.Serving))
	}
	return b.String()
}

// aggregateTable sums up every run: counts added, latency the worst run's,
// rollout time the mean (and range), all-on-new in how many runs.
func aggregateTable(rs []Result) string {
	type key struct {
		method string
		bad    bool
	}
	var order []key
	groups := map[key][]Result{}
	for _, r := range rs {
		k := key{r.Method, r.Bad}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	slices.SortStableFunc(order, func(a, b key) int {
		if c := strings.Compare(a.method, b.method); c != 0 {
			return c
		}
		return boolCmp(a.bad, b.bad)
	})
	var b strings.Builder
	b.WriteString("| method | upgrade to | runs | requests (min per run) | failed (per run) | failure kinds | p99 (worst) | max (worst) | rollout s (mean, range) | all on new | serving after (last run) |\n")
	b.WriteString("|---|---|--:|--:|--:|---|--:|--:|--:|---|---|\n")
	for _, k := range order {
		g := groups[k]
		var req, minReq, failed int64
		var p99, worst, sum time.Duration
		lo, hi := g[0].Rollout, g[0].Rollout
		allNew := 0
		kindSum := map[string]int64{}
		var perRun []string
		minReq = g[0].Requests
		for _, r := range g {
			req += r.Requests
			minReq = min(minReq, r.Requests)
			failed += r.Failed
			perRun = append(perRun, thousands(r.Failed))
			p99, worst = max(p99, r.P99), max(worst, r.Max)
			sum += r.Rollout
			lo, hi = min(lo, r.Rollout), max(hi, r.Rollout)
			if r.AllNew {
				allNew++
			}
			for kind, n := range r.Kinds {
				kindSum[kind] += n
			}
		}
		mean := sum / time.Duration(len(g))
		fmt.Fprintf(&b, "| (%s) %s | %s | %d | %s (%s) | %s (%s) | %s | %s | %s | %.1f (%.1f–%.1f) | %s (%d/%d) | %s |\n",
			k.method, g[0].Title, releaseLabel(k.bad), len(g), thousands(req), thousands(minReq),
			thousands(failed), strings.Join(perRun, ", "), kinds(kindSum), ms(p99), ms(worst),
			mean.Seconds(), lo.Seconds(), hi.Seconds(), yesNo(allNew == len(g)), allNew, len(g),
			servingSummary(g[len(g)-1].Serving))
	}
	return b.String()
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// servingSummary renders {"18331": "v2", ...} as "4×v2" or "3×v1, 1×down".
func servingSummary(s map[string]string) string {
	if len(s) == 0 {
		return "?"
	}
	count := map[string]int{}
	for _, v := range s {
		count[v]++
	}
	var parts []string
	for _, v := range slices.Sorted(maps.Keys(count)) {
		parts = append(parts, fmt.Sprintf("%d×%s", count[v], v))
	}
	return strings.Join(parts, ", ")
}

// kinds renders failure kinds as "http-503:12, reset:1", or "-".
func kinds(k map[string]int64) string {
	if len(k) == 0 {
		return "-"
	}
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(k)) {
		parts = append(parts, fmt.Sprintf("%s:%d", name, k[name]))
	}
	return strings.Join(parts, ", ")
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%d ms", d.Round(time.Millisecond).Milliseconds())
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// thousands writes 21345 as 21,345.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
