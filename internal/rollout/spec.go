package rollout

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sysroll/sysroll/internal/health"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/systemd"
)

// Spec says what one rollout does.
type Spec struct {
	// ID names the rollout record; empty makes one from the time.
	ID      string
	Service string
	Kind    release.Kind // default deploy
	// Target is the release to move to. Empty for KindRestart: every
	// instance is restarted on the release it is on.
	Target string
	// Instances lists every instance of the service, in rollout order. All
	// count for capacity (preflight); a deploy only acts on those not
	// already on Target.
	Instances []string
	Strategy  Strategy
	Gate      health.Gate
	// Unit names an instance's unit; default SERVICE@INSTANCE.service.
	Unit func(instance string) string
	// User and Host are recorded as who ran the rollout, and where.
	User, Host string
	// UndoReason is the reason RollbackRecord records once it has undone
	// the rollout; "" is "rolled back by request".
	UndoReason string
}

func (s Spec) withDefaults() Spec {
	if s.Kind == "" {
		s.Kind = release.KindDeploy
	}
	if s.Unit == nil {
		svc := s.Service
		s.Unit = func(inst string) string { return svc + "@" + inst + ".service" }
	}
	s.Strategy = s.Strategy.WithDefaults()
	return s
}

// Validate returns every problem with s, joined.
func (s Spec) Validate() error {
	var errs []error
	if s.Service == "" {
		errs = append(errs, errors.New("no service name"))
	}
	if len(s.Instances) == 0 {
		errs = append(errs, errors.New("no instances"))
	}
	seen := map[string]bool{}
	for _, in := range s.Instances {
		if in == "" || seen[in] {
			errs = append(errs, fmt.Errorf("instance %q is empty or listed twice", in))
		}
		seen[in] = true
	}
	switch s.Kind {
	case release.KindRestart:
		if s.Target != "" {
			errs = append(errs, fmt.Errorf("a restart keeps each instance's release: target %q must be empty", s.Target))
		}
	case "", release.KindDeploy, release.KindRollback:
		if s.Target == "" {
			errs = append(errs, errors.New("no target release"))
		}
	default:
		errs = append(errs, fmt.Errorf("unknown rollout kind %q", s.Kind))
	}
	if err := s.Strategy.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("strategy: %w", err))
	}
	if err := s.Gate.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("health gate: %w", err))
	}
	return errors.Join(errs...)
}

// Releases moves instances between releases. *release.Store satisfies it.
type Releases interface {
	// Current returns the release an instance points at.
	Current(instance string) (string, error)
	// Switch points an instance at a release, atomically. It does not
	// restart anything.
	Switch(instance, version string) error
}

// Journal keeps rollout records. *release.Store satisfies it. SaveRecord
// must write atomically; the executor calls it before every step it takes
// and never concurrently.
type Journal interface {
	SaveRecord(*release.Record) error
}

// Drainer takes instances out of traffic and back (a load balancer adapter
// or hooks). Both methods must be idempotent: after a crash the executor
// undrains instances it is not sure it drained.
type Drainer interface {
	// Drain takes the instance out of traffic and waits until its in-flight
	// work is done, or ctx (bounded by DrainTimeout) ends.
	Drain(ctx context.Context, instance string) error
	// Undrain returns the instance to traffic.
	Undrain(ctx context.Context, instance string) error
}

// NoDrain is the Drainer for shared-socket services: nothing to do, the
// kernel's accept queue holds connections while an instance restarts.
type NoDrain struct{}

// Drain implements Drainer.
func (NoDrain) Drain(context.Context, string) error { return nil }

// Undrain implements Drainer.
func (NoDrain) Undrain(context.Context, string) error { return nil }

// Deps are the executor's seams to the world.
type Deps struct {
	Manager  systemd.Manager // required
	Releases Releases        // required
	Journal  Journal         // required
	Drainer  Drainer         // nil: NoDrain
	// Probes returns an instance's probes; nil: systemd's signals only.
	Probes func(instance string) []health.Probe
	// RevertProbes, when set, replaces Probes while an instance is put back
	// on its previous release: a check that judges the new release (such as
	// the traffic proof whose breach caused the revert, which counts over
	// the whole rollout) must not fail the revert too. nil: Probes.
	RevertProbes func(instance string) []health.Probe
	// Traffic, when set, is added to the gate of every instance stepped
	// forward, and only there: the traffic proof counts failed requests
	// over the whole rollout, so it judges the step in flight, never an
	// instance a preflight or look-ahead checks (which it would blame for
	// the entry point), nor a revert.
	Traffic health.Probe
	// Logs returns a unit's last n journal lines, shown when an instance
	// fails; nil: none.
	Logs     func(ctx context.Context, unit string, n int) []string
	Progress Progress // nil: none
	// Analysis, when set, judges each batch of a deploy once it is back in
	// traffic (analysis.go); nil: none.
	Analysis *Analysis
	// Requests, when set, is where commands that cannot take the lock
	// (pause, abort, promote) leave a request for this process, read at
	// each batch boundary and health interval of a timed pause; nil: none.
	Requests Requests
	// Expiry, when set, arms a timer that runs a waiting pause's expiry
	// action with no sysroll process alive; nil: the deadline is only
	// recorded (every command that reads the record still enforces it).
	Expiry Expiry
}

// Requests is where the requests of commands that cannot take the lock
// wait. *release.Store satisfies it.
type Requests interface {
	PendingRequest(id string) (*release.Request, error)
	ClearRequest(id string) error
}

// Expiry arms and disarms the timer of a waiting pause.
type Expiry interface {
	// Arm makes the check of a.Pause of rollout a.Rollout run every
	// a.Every and its expiry at a.At, whether or not any sysroll process is
	// alive then; it returns the timer's name, for Disarm and for status.
	Arm(ctx context.Context, a ExpiryArm) (timer string, err error)
	// Disarm stops a timer Arm made; one already gone is no error.
	Disarm(ctx context.Context, timer string) error
}

// ExpiryArm is what a waiting pause's timer runs: every Every, a check of
// the pause's canaries (CheckPaused), and at At its expiry action.
type ExpiryArm struct {
	Service, Rollout string
	// Pause is the index into the record's Pauses.
	Pause int
	At    time.Time
	Every time.Duration
}

func (d Deps) withDefaults() (Deps, error) {
	var errs []error
	if d.Manager == nil {
		errs = append(errs, errors.New("no systemd manager"))
	}
	if d.Releases == nil {
		errs = append(errs, errors.New("no release store"))
	}
	if d.Journal == nil {
		errs = append(errs, errors.New("no rollout journal"))
	}
	if d.Drainer == nil {
		d.Drainer = NoDrain{}
	}
	if d.Probes == nil {
		d.Probes = func(string) []health.Probe { return nil }
	}
	if d.RevertProbes == nil {
		d.RevertProbes = d.Probes
	}
	if d.Progress == nil {
		d.Progress = ProgressFunc(func(Event) {})
	}
	return d, errors.Join(errs...)
}

// failLogLines is how many journal lines a failure report shows.
const failLogLines = 10

// sideTimeout bounds small finishing calls (journal lines, undrain) made
// with a context the user's Ctrl-C does not cancel.
const sideTimeout = 10 * time.Second
