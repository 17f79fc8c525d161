//go:build integration

package rollout_test

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
	"github.com/sysroll/sysroll/internal/release"
)

// BenchmarkOverhead measures sysroll's orchestration overhead (issue 4):
// a deploy's total time divided by the sum of what the instances
// themselves took, each instance's own time being systemd's account of
// its restart (from the old process starting to stop to the new one
// ready: ActiveExit -> ActiveEnter) plus healthy_for, which the contract
// makes every instance wait. Target: <= 1.05, with sysroll's peak memory
// under 50 MiB for 64 instances.
//
// Metrics (per deploy):
//
//	overhead      rollout time (record Started -> Ended) / sum of own times
//	overhead-cmd  the same with the whole command's wall time (staging the
//	              artifact, connecting, the summary)
//	peak-MiB      sysroll's peak RSS (GNU time's maximum resident set size)
//	step-ms       mean per instance of sysroll's step (record Started ->
//	              Ended) minus the instance's own time: the engine's cost
//	              inside a step (saves, probes, gate scheduling)
//	gap-ms        mean time between one batch's end and the next one's
//	              start (preflight of every other instance, saves)
//
//	go test -tags integration -run XXX -bench Overhead -benchtime 1x ./e2e/rollout/
func BenchmarkOverhead(b *testing.B) {
	for _, bc := range []struct {
		n, first int
	}{
		{4, 19700},
		{64, 19600},
	} {
		b.Run(fmt.Sprintf("instances=%d", bc.n), func(b *testing.B) {
			opts := svcOpts{healthyFor: 500 * time.Millisecond, interval: 100 * time.Millisecond, deadline: 10 * time.Second}
			s := newService(b, fmt.Sprintf("e2e-bench%d", bc.n), bc.first, bc.n, opts)
			var m overheadMetrics
			for i := 0; b.Loop(); i++ {
				m.add(s.timedDeploy(b, fmt.Sprintf("v%d", i+2)))
			}
			m.report(b)
		})
	}
}

// deployFigures are one deploy's measurements.
type deployFigures struct {
	rollout, command, own time.Duration
	step, gap             time.Duration // means
	peakKiB               int
}

type overheadMetrics struct{ runs []deployFigures }

func (m *overheadMetrics) add(f deployFigures) { m.runs = append(m.runs, f) }

func (m *overheadMetrics) report(b *testing.B) {
	var ratio, ratioCmd, step, gap float64
	peak := 0
	for _, f := range m.runs {
		ratio += f.rollout.Seconds() / f.own.Seconds()
		ratioCmd += f.command.Seconds() / f.own.Seconds()
		step += float64(f.step.Milliseconds())
		gap += float64(f.gap.Milliseconds())
		peak = max(peak, f.peakKiB)
	}
	n := float64(len(m.runs))
	b.ReportMetric(ratio/n, "overhead")
	b.ReportMetric(ratioCmd/n, "overhead-cmd")
	b.ReportMetric(float64(peak)/1024, "peak-MiB")
	b.ReportMetric(step/n, "step-ms")
	b.ReportMetric(gap/n, "gap-ms")
}

// timedDeploy deploys version under GNU time and measures it.
func (s *service) timedDeploy(b *testing.B, version string) deployFigures {
	b.Helper()
	b.StopTimer()
	dir := s.release(version)
	b.StartTimer()
	timeOut := path.Join("/tmp", s.name+"-"+version+".time")
	r := e2etest.Run(b, "/usr/bin/time", "-o", timeOut, "-f", "%M %e",
		e2etest.BinDir+"/sysroll", "deploy", s.name, "--artifact", dir, "--version", version)
	b.StopTimer()
	defer b.StartTimer()
	if r.Code != 0 {
		b.Fatalf("deploy %s: %s", version, r)
	}
	tr := e2etest.Run(b, "cat", timeOut)
	var f deployFigures
	var elapsed float64
	if _, err := fmt.Sscanf(strings.TrimSpace(tr.Stdout), "%d %f", &f.peakKiB, &elapsed); err != nil {
		b.Fatalf("GNU time output %q: %v", tr.Stdout, err)
	}
	f.command = time.Duration(elapsed * float64(time.Second))

	rec := s.lastRecord()
	if rec.Result != release.ResultSucceeded || rec.To != version {
		b.Fatalf("deploy %s: record %s %s -> %s", version, rec.Result, rec.From, rec.To)
	}
	f.rollout = rec.Ended.Sub(rec.Started)

	own := s.ownTimes()
	var steps, gaps time.Duration
	ins := slices.Clone(rec.Instances)
	slices.SortFunc(ins, func(a, b release.Instance) int { return a.Started.Compare(b.Started) })
	for i, in := range ins {
		o := own[portOf(b, in.Name)]
		f.own += o
		steps += in.Ended.Sub(in.Started) - o
		if i > 0 {
			gaps += in.Started.Sub(ins[i-1].Ended)
		}
	}
	f.step = steps / time.Duration(len(ins))
	if len(ins) > 1 {
		f.gap = gaps / time.Duration(len(ins)-1)
	}
	b.Logf("deploy %s of %d instances: command %s, rollout %s, instances' own %s: overhead %.3f (command %.3f); step overhead %s, gap %s per batch; peak RSS %.1f MiB",
		version, len(ins), f.command.Round(time.Millisecond), f.rollout.Round(time.Millisecond), f.own.Round(time.Millisecond),
		f.rollout.Seconds()/f.own.Seconds(), f.command.Seconds()/f.own.Seconds(),
		f.step.Round(100*time.Microsecond), f.gap.Round(100*time.Microsecond), float64(f.peakKiB)/1024)
	return f
}

// ownTimes is each instance's own time for its last restart, by systemd's
// clock: old process asked to stop -> new process ready (READY=1), plus
// healthy_for.
func (s *service) ownTimes() map[int]time.Duration {
	s.t.Helper()
	out := map[int]time.Duration{}
	for p, kv := range s.unitProps("ActiveExitTimestampMonotonic", "ActiveEnterTimestampMonotonic") {
		exit, err1 := strconv.ParseInt(kv["ActiveExitTimestampMonotonic"], 10, 64)
		enter, err2 := strconv.ParseInt(kv["ActiveEnterTimestampMonotonic"], 10, 64)
		if err1 != nil || err2 != nil || exit == 0 || enter < exit {
			s.t.Fatalf("%s: timestamps %v", s.unit(p), kv)
		}
		out[p] = time.Duration(enter-exit)*time.Microsecond + s.opts.healthyFor
	}
	return out
}
