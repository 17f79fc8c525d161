package rollout

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sysroll/sysroll/internal/diagnose"
	"github.com/sysroll/sysroll/internal/release"
)

// Sentinel errors of the executor; decide with errors.Is. Health failures
// wrap the health package's sentinels (health.ErrCrashed, ...) and a job
// failure wraps *systemd.JobError.
var (
	// ErrProgressDeadline: Strategy.ProgressDeadline passed.
	ErrProgressDeadline = errors.New("progress deadline exceeded")
	// ErrPreflight: an instance outside the batch was not healthy, so the
	// batch did not start. See *PreflightError.
	ErrPreflight = errors.New("preflight refused")
	// ErrNotResumable: the record is finished or belongs to another service.
	ErrNotResumable = errors.New("rollout record cannot be resumed")
)

// errInterrupted marks an instance step undone because ctx ended before its
// restart: not a failure.
var errInterrupted = errors.New("interrupted before the restart")

// FailedError reports one instance that failed.
type FailedError struct {
	Instance string
	Phase    release.Phase // the step that failed
	Cause    error
	Health   string   // the last probe result, if the gate ran
	Logs     []string // the unit's last journal lines
	// Hints name the hardening: (or other) setting that would relax what
	// the journal shows stopped the instance (diagnose.Journal).
	Hints []diagnose.Hint
}

func (e *FailedError) Error() string {
	return fmt.Sprintf("instance %s failed at %s: %v", e.Instance, e.Phase, e.Cause)
}

func (e *FailedError) Unwrap() error { return e.Cause }

// Problem is one unhealthy instance found by a preflight.
type Problem struct {
	Instance string
	Err      error
}

// PreflightError lists the instances that made a preflight refuse a batch.
type PreflightError struct {
	Batch    int // index of the batch that did not start
	Problems []Problem
	// State, for a resume or rollback (which converge any state they can
	// describe), is every instance's release and unit state, and WayOut
	// what the operator can do: an instance that is up but unhealthy is
	// the one state they cannot settle alone.
	State  []InstanceState
	WayOut string
}

// Summary is the refusal in one short line, for the record's reason and the
// rollout's last line: Error() is long (every problem, every instance's
// state, the way out), and printed once in full, not once per place a
// rollout's outcome shows.
func (e *PreflightError) Summary() string {
	names := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		names[i] = p.Instance
	}
	return fmt.Sprintf("preflight refused batch %d: %s not healthy (too little capacity left to take the batch down)",
		e.Batch+1, strings.Join(names, ", "))
}

// InstanceState is one instance as a refusal describes it.
type InstanceState struct {
	Instance, Release string
	Unit              string // "active/running", "failed/failed", ...
}

func (e *PreflightError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "preflight refused batch %d: ", e.Batch+1)
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "instance %s: %v", p.Instance, p.Err)
	}
	b.WriteString(" (taking the batch down would leave too little capacity)")
	if len(e.State) > 0 {
		b.WriteString("; instances now: " + DescribeStates(e.State))
	}
	if e.WayOut != "" {
		b.WriteString("; " + e.WayOut)
	}
	return b.String()
}

// DescribeStates says each instance's release and unit state, in order:
// "8081 on v2 (active/running), 8082 on v1 (failed/failed)".
func DescribeStates(states []InstanceState) string {
	parts := make([]string, len(states))
	for i, s := range states {
		parts[i] = fmt.Sprintf("%s on %s (%s)", s.Instance, orNone(s.Release), s.Unit)
	}
	return strings.Join(parts, ", ")
}

func orNone(v string) string {
	if v == "" {
		return "no release"
	}
	return v
}

// Is makes errors.Is(err, ErrPreflight) true.
func (e *PreflightError) Is(target error) bool { return target == ErrPreflight }

// joinFailed joins instance failures; one failure is returned as it is.
func joinFailed(fs []*FailedError) error {
	if len(fs) == 1 {
		return fs[0]
	}
	errs := make([]error, len(fs))
	for i, f := range fs {
		errs[i] = f
	}
	return errors.Join(errs...)
}
