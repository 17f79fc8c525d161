package schema

import (
	"time"

	"github.com/sysroll/sysroll/internal/analysis"
	"github.com/sysroll/sysroll/internal/diagnose"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/traffic"
)

// The document types and their versions.
const (
	EventV1    = "sysroll.event/v1"
	StatusV1   = "sysroll.status/v1"
	ServicesV1 = "sysroll.services/v1"
	HistoryV1  = "sysroll.history/v1"
	PlanV1     = "sysroll.plan/v1"
)

// Event is one line of a rollout's --json stream.
type Event struct {
	Schema   string    `json:"schema"`
	Time     time.Time `json:"time"`
	Type     string    `json:"type"` // a rollout.EventType
	Service  string    `json:"service"`
	Instance string    `json:"instance,omitempty"`
	Phase    string    `json:"phase,omitempty"`
	// Skipped: the phase had nothing to do (drain and undrain with no
	// balancer and no hooks).
	Skipped bool `json:"skipped,omitempty"`
	// Batch is the 0-based index into the record's batches; -1 when the
	// event belongs to no batch.
	Batch   int      `json:"batch"`
	Message string   `json:"message,omitempty"`
	Health  string   `json:"health,omitempty"` // last probe result
	Logs    []string `json:"logs,omitempty"`   // the unit's last journal lines, on failure
	// Hints, on instance-failed, are the settings that would relax what
	// the journal lines show stopped the instance (the sandbox, mostly).
	Hints  []Hint         `json:"hints,omitempty"`
	Result release.Result `json:"result,omitempty"` // on rollout-end
	// Elapsed is seconds since the instance's step began (instance events)
	// or since the rollout began (the others).
	Elapsed float64 `json:"elapsed_seconds"`
	// Traffic is the traffic proof's counts (--probe): so far on
	// instance-done and instance-failed, final on the "traffic" line (whose
	// message is the URL).
	Traffic *traffic.Snapshot `json:"traffic,omitempty"`
	// Seq numbers the lines of an --events FILE: 1, 2, ... strictly
	// increasing within the file, also across the rollouts appended to
	// it, so a follower can tell a line it saw from a new one. It is
	// absent (0) on standard output, which is unchanged by --events.
	Seq uint64 `json:"seq,omitempty"`
	// WaitSeconds is, on a pause event, how long the timed pause waits
	// from now (all of it, or what a resume has left).
	WaitSeconds float64 `json:"wait_seconds,omitempty"`
	// PauseResult is, on pause-end, what became of the pause: passed,
	// failed (Message says which instance did what) or interrupted.
	PauseResult string `json:"pause_result,omitempty"`
	// Analysis, on "analysis", is one metric's measurement judged: the
	// metric, the verdict and its reason, the canary's and the baseline's
	// values (null when not measured or no baseline), the bound, the
	// p-value, and the measurements with their expanded queries.
	Analysis *analysis.Verdict `json:"analysis,omitempty"`
	// AnalysisVerdict, on "analysis-verdict", is the batch's outcome.
	AnalysisVerdict *AnalysisVerdict `json:"analysis_verdict,omitempty"`
}

// AnalysisVerdict is a batch's analysis outcome: passed, failed or
// inconclusive, why, and each metric's last verdict.
type AnalysisVerdict struct {
	Outcome string             `json:"verdict"`
	Reason  string             `json:"reason"`
	Last    []analysis.Verdict `json:"last,omitempty"`
}

func analysisVerdict(v *analysis.BatchVerdict) *AnalysisVerdict {
	if v == nil {
		return nil
	}
	return &AnalysisVerdict{Outcome: string(v.Outcome), Reason: v.Reason, Last: v.Last}
}

// NewEvent converts an executor (or host) event.
func NewEvent(e rollout.Event) Event {
	return Event{
		Schema: EventV1, Time: e.Time, Type: string(e.Type), Service: e.Service,
		Instance: e.Instance, Phase: string(e.Phase), Skipped: e.Skipped, Batch: e.Batch, Message: e.Message,
		Health: e.Health, Logs: e.Logs, Result: e.Result, Elapsed: e.Elapsed.Seconds(),
		Traffic: e.Traffic, Hints: Hints(e.Hints),
		WaitSeconds: e.Wait.Seconds(), PauseResult: string(e.PauseResult),
		Analysis: e.Verdict, AnalysisVerdict: analysisVerdict(e.BatchVerdict),
	}
}

// Hint is one setting that would let a failed instance run.
type Hint struct {
	Key  string `json:"key"`  // the service file key, e.g. "hardening.system_call_allow"
	Fix  string `json:"fix"`  // what to do, e.g. "set hardening.system_call_allow: [setuid]"
	Why  string `json:"why"`  // what the sandbox did
	Line string `json:"line"` // the journal line that shows it
}

func (h Hint) String() string {
	return diagnose.Hint{Key: h.Key, Fix: h.Fix, Why: h.Why, Line: h.Line}.String()
}

// Hints converts diagnose's hints for JSON.
func Hints(hs []diagnose.Hint) []Hint {
	if len(hs) == 0 {
		return nil
	}
	out := make([]Hint, len(hs))
	for i, h := range hs {
		out[i] = Hint{Key: h.Key, Fix: h.Fix, Why: h.Why, Line: h.Line}
	}
	return out
}

// Health words of InstanceStatus.Health.
const (
	Healthy   = "healthy"
	Unhealthy = "unhealthy"
	Down      = "down"
)

// InstanceStatus is one instance in Status.
type InstanceStatus struct {
	Instance    string `json:"instance"`
	Unit        string `json:"unit"`
	ActiveState string `json:"active_state"`
	SubState    string `json:"sub_state"`
	PID         uint32 `json:"pid"`
	// Release is the release the running process was started from (its
	// working directory), else what the instance's link points at.
	Release string `json:"release"`
	// SwitchedTo is the release the link points at when the running process
	// was started from another one (a rollout stopped between switch and
	// restart): the next start runs it.
	SwitchedTo string `json:"switched_to,omitempty"`
	Health     string `json:"health"`                  // Healthy, Unhealthy or Down
	HealthNote string `json:"health_detail,omitempty"` // why, when unhealthy
	UptimeSec  int64  `json:"uptime_seconds"`
	Restarts   uint32 `json:"restarts"` // systemd's NRestarts
}

// Status is `sysroll status NAME --json`.
type Status struct {
	Schema    string           `json:"schema"`
	Service   string           `json:"service"`
	Target    string           `json:"target_state"`           // the group: "active/active", "not loaded", ...
	Socket    string           `json:"socket_state,omitempty"` // with a shared socket
	Instances []InstanceStatus `json:"instances"`
	Running   int              `json:"running"`
	Healthy   int              `json:"healthy"`
	Releases  map[string]int   `json:"releases"` // release -> instances running it
	Mixed     bool             `json:"mixed_releases"`
	// UnitSHA256 is the sha256 of the service's installed unit files (each
	// name and content, in render order): equal on two hosts when their
	// units are the same, so a fleet status can flag drift between hosts.
	UnitSHA256 string `json:"unit_sha256,omitempty"`
	// Interrupted is the rollout that must be resumed or rolled back
	// before another may start.
	Interrupted *release.Record `json:"interrupted_rollout,omitempty"`
	// Paused is the rollout stopped at a pause (an approval gate, `sysroll
	// pause`): nothing failed, it waits for promote, resume or abort.
	Paused *release.Record `json:"paused_rollout,omitempty"`
	// Relaxations are the ways the installed service file widens sysroll's
	// default sandbox, as `sysroll render` lists them in the instance unit.
	Relaxations []Relaxation `json:"relaxations,omitempty"`
	// Quarantined lists the state files found corrupt and moved aside
	// (path, original path, what, reason, when): sysroll ignores them, an
	// operator looks at and removes them.
	Quarantined []release.Quarantined `json:"quarantined,omitempty"`
}

// Relaxation is one relaxation of the default sandbox (config.Relaxation).
type Relaxation struct {
	Field string `json:"field"` // "hardening.memory_deny_write_execute", "service.ExecStartPre"
	Value string `json:"value"`
	Note  string `json:"note"` // the default it replaces, or what the raw value grants
}

// Services is `sysroll status --json` without NAME: every service here.
type Services struct {
	Schema   string    `json:"schema"`
	Services []*Status `json:"services"`
}

// History is `sysroll history NAME --json`: rollouts newest first.
type History struct {
	Schema   string           `json:"schema"`
	Service  string           `json:"service"`
	Rollouts []release.Record `json:"rollouts"`
}

// PlanBatch is one batch of a Plan: each instance with the release it is on.
type PlanBatch struct {
	Instances []PlanInstance `json:"instances"`
	// PauseAfterSeconds is the timed pause of rollout.steps that follows
	// the batch, watched; 0 (left out) for none.
	PauseAfterSeconds float64 `json:"pause_after_seconds,omitempty"`
	// GateAfter is an approval gate (pause: {}) after the batch: the
	// rollout stops there, paused, until `sysroll promote`.
	GateAfter bool `json:"gate_after,omitempty"`
	// Analysis is the metric analysis the batch would get (a deploy with an
	// analysis: block); nil (left out) for none.
	Analysis *PlanAnalysis `json:"analysis,omitempty"`
}

// PlanInstance is an instance in a PlanBatch.
type PlanInstance struct {
	Name    string `json:"name"`
	Current string `json:"current"` // "" when it has no release yet
}

// Plan is a rollout's --dry-run --json: what would happen, nothing touched.
type Plan struct {
	Schema        string       `json:"schema"`
	Service       string       `json:"service"`
	Kind          release.Kind `json:"kind"`
	Target        string       `json:"target,omitempty"` // empty for a restart
	Batches       []PlanBatch  `json:"batches"`
	HealthyFor    float64      `json:"healthy_for_seconds"`
	Deadline      float64      `json:"deadline_seconds"`
	FailureAction string       `json:"failure_action"`
}
