package rollout_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/health"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/systemd"
	"github.com/sysroll/sysroll/internal/systemd/systemdtest"
)

// world is a service of N instances on the fake manager, with in-memory
// releases, journal and drainer, and probes that fail for the releases the
// test marks bad.
type world struct {
	t    testing.TB
	f    *systemdtest.Fake
	rel  *memReleases
	jr   *memJournal
	dr   *memDrainer
	inst []string

	mu     sync.Mutex
	runs   map[string]string          // instance -> release its process was started on
	bad    map[string]map[string]bool // instance -> releases failing its probe ("*" any instance)
	events []rollout.Event
}

func unitOf(inst string) string { return "hello@" + inst + ".service" }
func instOf(unit string) string {
	return strings.TrimSuffix(strings.TrimPrefix(unit, "hello@"), ".service")
}

func newWorld(t testing.TB, n int) *world {
	w := &world{t: t, rel: &memReleases{cur: map[string]string{}}, jr: &memJournal{}, dr: newDrainer(),
		runs: map[string]string{}, bad: map[string]map[string]bool{}}
	var units []string
	for i := range n {
		in := fmt.Sprint(8081 + i)
		w.inst = append(w.inst, in)
		units = append(units, unitOf(in))
		w.rel.cur[in] = "v1"
		w.runs[in] = "v1"
	}
	w.f = systemdtest.New(units...)
	w.f.SetJobTime(2 * time.Second)
	w.script("*", nil)
	return w
}

// script sets what a restart of inst ("*": any) does, after noting which
// release the new process runs.
func (w *world) script(inst string, fn systemdtest.Script) {
	pattern := "*"
	if inst != "*" {
		pattern = unitOf(inst)
	}
	w.f.OnRestart(pattern, func(u *systemd.UnitState) systemd.JobResult {
		in := instOf(u.Name)
		v, _ := w.rel.Current(in)
		w.mu.Lock()
		w.runs[in] = v
		w.mu.Unlock()
		// Every step is journaled before it is taken.
		if p := w.jr.phase(in); p != release.PhaseRestart && p != release.PhaseRevert {
			w.t.Errorf("%s restarted while its journaled phase was %q", in, p)
		}
		if fn != nil {
			return fn(u)
		}
		return systemd.JobDone
	})
}

// badOn makes inst's probe fail while its process runs version.
func (w *world) badOn(inst, version string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.bad[inst] == nil {
		w.bad[inst] = map[string]bool{}
	}
	w.bad[inst][version] = true
}

func (w *world) running(inst string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.runs[inst]
}

func (w *world) probes(inst string) []health.Probe {
	return []health.Probe{health.ProbeFunc(func(context.Context) health.Result {
		w.mu.Lock()
		v := w.runs[inst]
		bad := w.bad[inst][v] || w.bad["*"][v]
		w.mu.Unlock()
		detail := fmt.Sprintf("GET http://127.0.0.1:%s/healthz: 200 OK (%s)", inst, v)
		if bad {
			return health.Result{Detail: fmt.Sprintf("GET http://127.0.0.1:%s/healthz: 503 Service Unavailable, body \"%s broken\"", inst, v)}
		}
		return health.Result{OK: true, Detail: detail}
	})}
}

func (w *world) spec(target string) rollout.Spec {
	return rollout.Spec{
		ID: "r1", Service: "hello", Target: target, Instances: w.inst,
		Gate: health.Gate{Interval: time.Second, HealthyFor: 5 * time.Second, Deadline: 30 * time.Second},
	}
}

func (w *world) deps() rollout.Deps {
	return rollout.Deps{
		Manager: w.f, Releases: w.rel, Journal: w.jr, Drainer: w.dr, Probes: w.probes,
		Logs: func(_ context.Context, unit string, n int) []string {
			return []string{unit + ": panic: boom", unit + ": exit status 2"}
		},
		Progress: rollout.ProgressFunc(func(e rollout.Event) {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.events = append(w.events, e)
		}),
	}
}

func (w *world) eventTypes() []rollout.EventType {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []rollout.EventType
	for _, e := range w.events {
		out = append(out, e.Type)
	}
	return out
}

// restarts lists the instances restarted, in call order.
func (w *world) restarts() []string {
	var out []string
	for _, c := range w.f.Calls() {
		if c.Op == systemdtest.OpRestart {
			out = append(out, instOf(c.Unit))
		}
	}
	return out
}

// assertSettled checks the invariants every rollout must leave: every
// instance running, none drained, each pointing where want says and running
// that release.
func (w *world) assertSettled(want map[string]string) {
	w.t.Helper()
	for _, in := range w.inst {
		u, _ := w.f.State(unitOf(in))
		if !u.Running() {
			w.t.Errorf("%s left %s (%s)", in, u.ActiveState, u.SubState)
		}
		cur, _ := w.rel.Current(in)
		if cur != want[in] {
			w.t.Errorf("%s points at %s, want %s", in, cur, want[in])
		}
		if got := w.running(in); got != want[in] {
			w.t.Errorf("%s runs %s, want %s", in, got, want[in])
		}
	}
	if d := w.dr.drainedNow(); len(d) > 0 {
		w.t.Errorf("left drained: %v", d)
	}
}

// assertUntouched checks that no job, switch or drain ever reached inst.
func (w *world) assertUntouched(insts ...string) {
	w.t.Helper()
	for _, in := range insts {
		if slices.Contains(w.f.Touched(), unitOf(in)) {
			w.t.Errorf("%s was touched by systemd calls", in)
		}
		if slices.ContainsFunc(w.rel.log(), func(s string) bool { return strings.HasPrefix(s, in+"→") }) {
			w.t.Errorf("%s was switched", in)
		}
		if slices.ContainsFunc(w.dr.log(), func(s string) bool { return strings.HasSuffix(s, " "+in) }) {
			w.t.Errorf("%s was drained", in)
		}
	}
}

func all(w *world, v string) map[string]string {
	m := map[string]string{}
	for _, in := range w.inst {
		m[in] = v
	}
	return m
}

func phases(rec *release.Record) map[string]release.Phase {
	m := map[string]release.Phase{}
	for _, in := range rec.Instances {
		m[in.Name] = in.Phase
	}
	return m
}

type memReleases struct {
	mu       sync.Mutex
	cur      map[string]string
	switches []string
	failOn   string // instance whose Switch fails
}

func (r *memReleases) Current(in string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.cur[in]
	if !ok {
		return "", fmt.Errorf("no instance %s", in)
	}
	return v, nil
}

func (r *memReleases) Switch(in, v string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if in == r.failOn {
		return errors.New("release missing")
	}
	r.cur[in] = v
	r.switches = append(r.switches, in+"→"+v)
	return nil
}

func (r *memReleases) log() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.switches)
}

type memJournal struct {
	mu    sync.Mutex
	saves []*release.Record
	fail  error
}

func (j *memJournal) SaveRecord(r *release.Record) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.fail != nil {
		return j.fail
	}
	j.saves = append(j.saves, r)
	return nil
}

// phasesOf lists the distinct phases inst went through, in save order.
func (j *memJournal) phasesOf(inst string) []release.Phase {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []release.Phase
	for _, r := range j.saves {
		for _, in := range r.Instances {
			if in.Name == inst && (len(out) == 0 || out[len(out)-1] != in.Phase) {
				out = append(out, in.Phase)
			}
		}
	}
	return out
}

// phase is inst's phase in the last saved record.
func (j *memJournal) phase(inst string) release.Phase {
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.saves) == 0 {
		return ""
	}
	for _, in := range j.saves[len(j.saves)-1].Instances {
		if in.Name == inst {
			return in.Phase
		}
	}
	return ""
}

func (j *memJournal) last() *release.Record {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.saves[len(j.saves)-1]
}

type memDrainer struct {
	mu      sync.Mutex
	drained map[string]bool
	calls   []string
	block   bool // Drain waits for ctx to end
}

func newDrainer() *memDrainer { return &memDrainer{drained: map[string]bool{}} }

func (d *memDrainer) Drain(ctx context.Context, in string) error {
	d.mu.Lock()
	d.drained[in] = true
	d.calls = append(d.calls, "drain "+in)
	block := d.block
	d.mu.Unlock()
	if block {
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

func (d *memDrainer) Undrain(_ context.Context, in string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.drained, in)
	d.calls = append(d.calls, "undrain "+in)
	return nil
}

func (d *memDrainer) drainedNow() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for in := range d.drained {
		out = append(out, in)
	}
	slices.Sort(out)
	return out
}

func (d *memDrainer) log() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.calls)
}
