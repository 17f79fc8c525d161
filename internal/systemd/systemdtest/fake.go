package systemdtest

import (
	"context"
	"fmt"
	"path"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sysroll/sysroll/internal/systemd"
)

// Op names a Manager method.
type Op string

// The operations a Fake records.
const (
	OpReload      Op = "reload"
	OpStart       Op = "start"
	OpStop        Op = "stop"
	OpRestart     Op = "restart"
	OpEnable      Op = "enable"
	OpDisable     Op = "disable"
	OpResetFailed Op = "reset-failed"
)

// Call is one recorded call to a mutating Manager method.
type Call struct {
	Op   Op
	Unit string // "" for reload; for enable/disable the units, space-separated
	// Begin is when the call was made. End is when it returned to the
	// caller: for a job whose caller gave up (context done), End is when it
	// gave up, and the job itself may still finish later.
	Begin, End time.Time
	// Result is the job's result, or "" when the caller gave up first or the
	// call is not a job.
	Result systemd.JobResult
	Err    error
}

// Script decides what a job does to a unit. It receives the unit's state
// after the default outcome was applied (for start and restart: active,
// running, new InvocationID and MainPID, NRestarts 0) and may change it; the
// returned result is the job's result. It runs without the Fake's lock held,
// so it may call the Fake's methods (SetAfter, State, ...) and may sleep to
// make the job take time.
type Script func(u *systemd.UnitState) systemd.JobResult

type rule struct {
	op      Op
	pattern string
	script  Script
}

// Fake is an in-memory systemd.Manager. The zero value is not usable: call New.
type Fake struct {
	mu       sync.Mutex
	units    map[string]*systemd.UnitState
	rules    []rule // later rules win
	calls    []Call
	jobTime  time.Duration
	readErrs map[string]error
	closed   bool
	// dropped is closed by Drop: jobs waited for then lose their result.
	dropped chan struct{}
	// back is when the connection is up again after a Drop; until then
	// every call waits, as the D-Bus Manager's reconnect makes it.
	back  time.Time
	drops int
	jobID uint32
}

var _ systemd.Manager = (*Fake)(nil)

// ids makes InvocationIDs and PIDs unique across every Fake in the process,
// so an ID never repeats even between fakes of parallel tests.
var ids atomic.Uint64

func nextInvocation() string { return fmt.Sprintf("%032x", ids.Add(1)) }
func nextPID() uint32        { return uint32(1000 + ids.Add(1)%60000) }

// New returns a Fake in which every named unit is loaded, active and running.
func New(units ...string) *Fake {
	f := &Fake{units: map[string]*systemd.UnitState{}, readErrs: map[string]error{}, dropped: make(chan struct{})}
	for _, name := range units {
		u := &systemd.UnitState{Name: name, LoadState: "loaded"}
		started(u, time.Now())
		f.units[name] = u
	}
	return f
}

// started applies what a successful start does to a service.
func started(u *systemd.UnitState, now time.Time) {
	u.LoadState = "loaded"
	u.ActiveState = systemd.Active
	u.SubState = "running"
	u.InvocationID = nextInvocation()
	u.MainPID = nextPID()
	u.NRestarts = 0
	u.ActiveEnter = now
	u.ExecMainStart = now
	u.Result = "success"
	u.ExecMainStatus, u.ExecMainCode = 0, 0
}

// On registers a script for jobs of kind op on units matching the glob
// pattern (path.Match syntax). The most recently registered match wins.
func (f *Fake) On(op Op, pattern string, s Script) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = append(f.rules, rule{op, pattern, s})
}

// OnRestart registers a script for restart jobs. See On.
func (f *Fake) OnRestart(pattern string, s Script) { f.On(OpRestart, pattern, s) }

// OnStart registers a script for start jobs. See On.
func (f *Fake) OnStart(pattern string, s Script) { f.On(OpStart, pattern, s) }

// OnStop registers a script for stop jobs. See On.
func (f *Fake) OnStop(pattern string, s Script) { f.On(OpStop, pattern, s) }

// SetJobTime makes every job take d (on the test's clock) before its script
// runs; between the two the unit is activating (or deactivating for stop),
// with no main process.
func (f *Fake) SetJobTime(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.jobTime = d
}

// SetReadError makes Unit and Units fail with err for the named unit; nil
// clears it.
func (f *Fake) SetReadError(unit string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err == nil {
		delete(f.readErrs, unit)
		return
	}
	f.readErrs[unit] = err
}

// Set changes a unit's state now. A unit that does not exist is created,
// loaded and inactive, before fn runs.
func (f *Fake) Set(unit string, fn func(u *systemd.UnitState)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f.unitLocked(unit))
}

// SetAfter changes a unit's state d from now, on the test's clock.
func (f *Fake) SetAfter(d time.Duration, unit string, fn func(u *systemd.UnitState)) {
	time.AfterFunc(d, func() { f.Set(unit, fn) })
}

// State returns a copy of a unit's state; ok is false if the unit is unknown.
func (f *Fake) State(unit string) (u systemd.UnitState, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.units[unit]
	if !ok {
		return systemd.UnitState{}, false
	}
	return *p, true
}

// Calls returns every mutating call so far, in the order they were made.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Touched returns the sorted names of units that any job, reset-failed,
// enable or disable was called on.
func (f *Fake) Touched() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	seen := map[string]bool{}
	for _, c := range f.calls {
		if c.Unit != "" {
			seen[c.Unit] = true
		}
	}
	out := make([]string, 0, len(seen))
	for u := range seen {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}

func (f *Fake) unitLocked(name string) *systemd.UnitState {
	u, ok := f.units[name]
	if !ok {
		u = &systemd.UnitState{Name: name, LoadState: "loaded", ActiveState: systemd.Inactive, SubState: "dead"}
		f.units[name] = u
	}
	return u
}

func (f *Fake) scriptLocked(op Op, unit string) Script {
	for i := len(f.rules) - 1; i >= 0; i-- {
		r := f.rules[i]
		if r.op != op {
			continue
		}
		if ok, _ := path.Match(r.pattern, unit); ok {
			return r.script
		}
	}
	return nil
}

// record appends a call and returns its index for finish.
func (f *Fake) record(op Op, unit string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, Call{Op: op, Unit: unit, Begin: time.Now()})
	return len(f.calls) - 1
}

func (f *Fake) finish(i int, res systemd.JobResult, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[i].End = time.Now()
	f.calls[i].Result = res
	f.calls[i].Err = err
}

// checkOpen fails after Close and, after a Drop, waits (on the test's
// clock) until the connection is back, as the D-Bus Manager does while it
// reconnects.
func (f *Fake) checkOpen(ctx context.Context) error {
	f.mu.Lock()
	closed, wait := f.closed, time.Until(f.back)
	f.mu.Unlock()
	if closed {
		return fmt.Errorf("fake manager: %w", systemd.ErrNoSystemd)
	}
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return fmt.Errorf("fake manager: reconnecting: %w", ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

// Drop simulates systemd re-executing (daemon-reexec): the connection
// drops and is back after outage. Jobs keep running, as systemd keeps its
// job queue across a re-exec, but every job whose caller is waiting loses
// its result: the caller resolves it from the unit's state
// (systemd.AwaitLost), as the D-Bus Manager does. Calls made during the
// outage wait until it is over.
func (f *Fake) Drop(outage time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	close(f.dropped)
	f.dropped = make(chan struct{})
	f.back = time.Now().Add(outage)
	f.drops++
}

// Drops reports how often Drop was called.
func (f *Fake) Drops() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.drops
}
