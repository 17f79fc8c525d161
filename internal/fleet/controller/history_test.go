package controller

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/fleet/journal"
	"github.com/sysroll/sysroll/internal/fleet/plan"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/schema"
)

// verbFake is a fakeHost with a history, claims and an uninstall.
type verbFake struct {
	*claimFake
	hist         []release.Record
	uninstallErr error
}

func (h *verbFake) History(_ context.Context, service string, limit int) (schema.History, error) {
	h.w.add(h.name, "history")
	recs := h.hist
	if limit > 0 && len(recs) > limit {
		recs = recs[:limit]
	}
	return schema.History{Schema: schema.HistoryV1, Service: service, Rollouts: recs}, nil
}

func (h *verbFake) Uninstall(context.Context, string, bool) (string, error) {
	h.w.add(h.name, "uninstall")
	if h.uninstallErr != nil {
		return "", h.uninstallErr
	}
	return "hello: uninstalled\n", nil
}

func verbFakes(w *world, names ...string) []*verbFake {
	var out []*verbFake
	for _, n := range names {
		out = append(out, &verbFake{claimFake: &claimFake{fakeHost: &fakeHost{w: w, name: n}}})
	}
	return out
}

func at(min int) time.Time { return time.Date(2026, 12, 1, 12, min, 0, 0, time.UTC) }

// TestMerge: newest first, a fleet rollout's records together at the
// place of its newest one, in the order its hosts started.
func TestMerge(t *testing.T) {
	recs := []release.Record{
		{ID: "a1", Host: "h1", Started: at(1)}, // local, oldest
		{ID: "f1-h1", Host: "h1", FleetID: "F1", Started: at(2)},
		{ID: "f1-h2", Host: "h2", FleetID: "F1", Started: at(5)},
		{ID: "b3", Host: "h3", Started: at(4)}, // local, between F1's hosts
		{ID: "f2-h2", Host: "h2", FleetID: "F2", Started: at(9)},
		{ID: "f2-h1", Host: "h1", FleetID: "F2", Started: at(8)},
		{ID: "c2", Host: "h2", Started: at(7)},
	}
	var got []string
	for _, r := range Merge(recs) {
		got = append(got, r.ID)
	}
	want := "f2-h1 f2-h2 c2 f1-h1 f1-h2 b3 a1"
	if strings.Join(got, " ") != want {
		t.Errorf("merged %s, want %s", strings.Join(got, " "), want)
	}
}

// TestHistory: every host's records, named by host, merged; a host that
// cannot be reached is listed, the others still read.
func TestHistory(t *testing.T) {
	w := &world{}
	hs := verbFakes(w, "h1", "h2", "h3")
	hs[0].hist = []release.Record{{ID: "r2", FleetID: "F", Started: at(2)}, {ID: "r1", Started: at(1)}}
	hs[2].hist = []release.Record{{ID: "r9", FleetID: "F", Started: at(3)}}
	hs[1].connectErr = errUnreachable
	fh := History(context.Background(), []HistoryHost{hs[0], hs[1], hs[2]}, HistoryOptions{Service: "hello", Limit: 5})
	var got []string
	for _, r := range fh.Rollouts {
		got = append(got, r.Host+":"+r.ID)
	}
	if strings.Join(got, " ") != "h1:r2 h3:r9 h1:r1" {
		t.Errorf("rollouts %v", got)
	}
	if len(fh.Unreachable) != 1 || fh.Unreachable[0].Host != "h2" || fh.Schema != FleetHistoryV1 {
		t.Errorf("unreachable %+v, schema %s", fh.Unreachable, fh.Schema)
	}
}

// TestUninstall: an unfinished claim on one host, or a host unreachable,
// refuses the uninstall on every host; otherwise every host uninstalls and
// a failing one is a line of the table, not a stop.
func TestUninstall(t *testing.T) {
	unfinished := &journal.Journal{Schema: journal.Schema, ID: "F9", Service: "hello", Kind: journal.KindRestart,
		Controller: "you@there", Started: at(0), Updated: at(0), Result: journal.ResultHalted,
		Strategy: journal.FromPlan(plan.Strategy{}.WithDefaults()), Batches: [][]string{{"h2"}}, Hosts: []journal.Host{{Name: "h2", Phase: "failed", Updated: at(0)}}}
	tests := []struct {
		name    string
		setup   func(t *testing.T, hs []*verbFake)
		refused string // in the error
		want    string
	}{
		{name: "every host", want: "h1=true h2=true h3=true"},
		{name: "one fails, the others go on", setup: func(_ *testing.T, hs []*verbFake) { hs[1].uninstallErr = errBoom }, want: "h1=true h2=false h3=true"},
		{name: "an unfinished claim refuses it everywhere", setup: func(t *testing.T, hs []*verbFake) { hs[1].plant(t, unfinished) }, refused: "claimed by unfinished fleet rollout F9 (restart by you@there)"},
		{name: "an unreachable host refuses it everywhere", setup: func(_ *testing.T, hs []*verbFake) { hs[2].connectErr = errUnreachable }, refused: "h3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &world{}
			hs := verbFakes(w, "h1", "h2", "h3")
			if tt.setup != nil {
				tt.setup(t, hs)
			}
			res, err := Uninstall(context.Background(), []UninstallHost{hs[0], hs[1], hs[2]}, UninstallOptions{Service: "hello"})
			if tt.refused != "" {
				var re *RefusedError
				if !errors.As(err, &re) || !strings.Contains(err.Error(), tt.refused) {
					t.Fatalf("err %v, want a refusal naming %q", err, tt.refused)
				}
				if got := w.calls("uninstall"); len(got) > 0 {
					t.Errorf("uninstalled after a refusal: %v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range res {
				got = append(got, r.Host+"="+map[bool]string{true: "true", false: "false"}[r.OK])
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("results %v, want %s", got, tt.want)
			}
		})
	}
}
