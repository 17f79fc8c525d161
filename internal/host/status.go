package host

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/schema"
	"github.com/sysroll/sysroll/internal/systemd"
	"github.com/sysroll/sysroll/internal/unitfile"
)

// StatusOptions says what Status reports.
type StatusOptions struct {
	Service string
	// NoProbe reports systemd's view only, without running the probes.
	NoProbe bool
}

// Status reports every instance of a service: systemd's state, the release
// the process runs, and health. An instance is healthy when systemd has it
// running (for Type=notify, READY=1 sent) and one run of the service's
// probes passes; down when it is not running; unhealthy otherwise.
func (h *Host) Status(ctx context.Context, opts StatusOptions) (*schema.Status, error) {
	svc, dir, err := h.loadInstalled(opts.Service)
	if err != nil {
		return nil, err
	}
	m, err := h.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	st, err := collectStatus(ctx, m, svc, dir, !opts.NoProbe)
	if err != nil {
		return nil, err
	}
	st.UnitSHA256 = h.unitHash(svc)
	return st, nil
}

// unitHash is the sha256 of the service's installed unit files, read from
// disk (what systemd runs, not what this build would render), each as its
// name, a NUL, its content or "(missing)", a NUL. "" when the units cannot
// be rendered: status still reports the rest.
func (h *Host) unitHash(svc *config.Service) string {
	files, err := h.Render(svc)
	if err != nil {
		return ""
	}
	sum := sha256.New()
	for _, f := range files {
		sum.Write([]byte(f.Name + "\x00"))
		b, err := os.ReadFile(f.Path)
		if err != nil || f.Path == "" {
			b = []byte("(missing)")
		}
		sum.Write(b)
		sum.Write([]byte{0})
	}
	return hex.EncodeToString(sum.Sum(nil))
}

// List reports every service sysroll manages on this host, without probes.
func (h *Host) List(ctx context.Context) (*schema.Services, error) {
	names, err := h.installedServices()
	if err != nil {
		return nil, err
	}
	out := &schema.Services{Schema: schema.ServicesV1, Services: []*schema.Status{}}
	if len(names) == 0 {
		return out, nil
	}
	m, err := h.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	for _, name := range names {
		svc, dir, err := h.loadInstalled(name)
		if err != nil {
			return nil, err
		}
		st, err := collectStatus(ctx, m, svc, dir, false)
		if err != nil {
			return nil, err
		}
		out.Services = append(out.Services, st)
	}
	return out, nil
}

// collectStatus reads everything with one unit listing (not a call per unit
// per property) and probes instances in parallel.
func collectStatus(ctx context.Context, m systemd.Manager, svc *config.Service, dir string, probe bool) (*schema.Status, error) {
	units, err := m.Units(ctx, svc.Name+"@*.service", unitfile.TargetUnit(svc.Name), unitfile.SocketUnit(svc.Name))
	if err != nil {
		return nil, err
	}
	byName := map[string]systemd.UnitState{}
	for _, u := range units {
		byName[u.Name] = u
	}
	store, err := release.Open(dir)
	if err != nil {
		return nil, err
	}
	st := &schema.Status{Schema: schema.StatusV1, Service: svc.Name, Releases: map[string]int{}, Instances: []schema.InstanceStatus{}}
	st.Target = stateWord(byName[unitfile.TargetUnit(svc.Name)])
	for _, r := range svc.Relaxations() {
		st.Relaxations = append(st.Relaxations, schema.Relaxation(r))
	}
	if svc.Listen != "" {
		st.Socket = stateWord(byName[unitfile.SocketUnit(svc.Name)])
	}
	now := time.Now()
	names := svc.InstanceNames()
	notes := probeAll(ctx, svc, store, names, probe)
	verified := map[string]string{}
	for i, inst := range names {
		unit := unitfile.InstanceUnit(svc.Name, inst)
		u := byName[unit]
		link, _ := linkProblem(store, inst)
		row := instanceStatus(u, unit, inst, link, notes[i], now)
		flagNextStart(&row, nextStartProblem(store, inst, verified))
		// The link says what the next start runs; the process's own
		// working directory says what runs now.
		if v, ok := store.Running(u.MainPID); ok && v != row.Release {
			row.Release, row.SwitchedTo = v, row.Release
		}
		if u.Running() {
			st.Running++
		}
		if row.Health == schema.Healthy {
			st.Healthy++
		}
		if row.Release != "" {
			st.Releases[row.Release]++
		}
		st.Mixed = st.Mixed || row.SwitchedTo != ""
		st.Instances = append(st.Instances, row)
	}
	st.Mixed = st.Mixed || len(st.Releases) > 1
	if rec, err := unfinished(store); err == nil && rec != nil && rec.Result != release.ResultRunning {
		if rec.Result == release.ResultPaused {
			st.Paused = rec
		} else {
			st.Interrupted = rec
		}
	}
	// Last: the reads above are what finds and moves corrupt files aside.
	if q, err := store.Quarantined(); err == nil {
		st.Quarantined = q
	}
	return st, nil
}

// instanceStatus judges one instance from systemd's state and its probes'
// note ("" when they passed or did not run).
func instanceStatus(u systemd.UnitState, unit, inst, link, note string, now time.Time) schema.InstanceStatus {
	row := schema.InstanceStatus{
		Instance: inst, Unit: unit,
		ActiveState: string(u.ActiveState), SubState: u.SubState,
		PID: u.MainPID, Release: link, Restarts: u.NRestarts,
	}
	if row.ActiveState == "" {
		row.ActiveState, row.SubState = string(systemd.Inactive), "dead"
	}
	if u.Running() && !u.ActiveEnter.IsZero() {
		row.UptimeSec = int64(now.Sub(u.ActiveEnter).Seconds())
	}
	switch {
	case !u.Running():
		row.Health = schema.Down
	case note != "":
		row.Health, row.HealthNote = schema.Unhealthy, note
	default:
		row.Health = schema.Healthy
	}
	return row
}

// flagNextStart marks an instance whose next start would fail (its link
// missing or pointing outside the store, its release deleted or changed):
// it serves now, perhaps, but a restart or a crash takes it down for good.
// It is not healthy, and the note says why.
func flagNextStart(row *schema.InstanceStatus, problem string) {
	if problem == "" {
		return
	}
	note := "next start would fail: " + problem
	if row.HealthNote != "" {
		note = row.HealthNote + "; " + note
	}
	row.HealthNote = note
	if row.Health == schema.Healthy {
		row.Health = schema.Unhealthy
	}
}

func stateWord(u systemd.UnitState) string {
	if u.ActiveState == "" {
		return "not loaded"
	}
	return string(u.ActiveState) + "/" + u.SubState
}

// probeAll runs each instance's probes once, all instances in parallel, and
// returns "" for a pass or the failing probe's detail per instance.
func probeAll(ctx context.Context, svc *config.Service, store *release.Store, names []string, probe bool) []string {
	out := make([]string, len(names))
	if !probe {
		return out
	}
	probes := probesFor(svc, store)
	timeout := svc.Health.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	var wg sync.WaitGroup
	for i, inst := range names {
		ps := probes(inst)
		if len(ps) == 0 {
			continue
		}
		wg.Go(func() {
			pctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			for _, p := range ps {
				if r := p.Check(pctx); !r.OK {
					out[i] = r.Detail
					return
				}
			}
		})
	}
	wg.Wait()
	return out
}

// HistoryOptions says which rollouts History lists.
type HistoryOptions struct {
	Service string
	// Limit is the most rollouts to list, newest first; 0 is all.
	Limit int
}

// History lists a service's rollouts, newest first.
func (h *Host) History(_ context.Context, opts HistoryOptions) (*schema.History, error) {
	if opts.Limit < 0 {
		return nil, inputf("--limit %d: want 0 (all) or more", opts.Limit)
	}
	store, err := h.installedStore(opts.Service)
	if err != nil {
		return nil, err
	}
	recs, err := store.Records()
	if err != nil {
		return nil, err
	}
	if opts.Limit > 0 && len(recs) > opts.Limit {
		recs = recs[:opts.Limit]
	}
	if recs == nil {
		recs = []release.Record{}
	}
	return &schema.History{Schema: schema.HistoryV1, Service: opts.Service, Rollouts: recs}, nil
}

// StatusProblems says why a status is not all well, one reason a line; none
// when every instance is healthy and no rollout was interrupted. It decides
// `sysroll status`'s exit code (1 with any reason): mixed releases and
// quarantined files are reported but do not count, since every instance may
// serve well with them.
func StatusProblems(st *schema.Status) []string {
	var out []string
	for _, r := range st.Instances {
		if r.Health != schema.Healthy {
			out = append(out, fmt.Sprintf("%s is %s", r.Unit, r.Health))
		}
	}
	if r := st.Interrupted; r != nil {
		out = append(out, fmt.Sprintf("rollout %s was interrupted", r.ID))
	}
	// A paused rollout is not a problem: it waits for an operator, every
	// instance serving; one past its expiry is.
	if r := st.Paused; r != nil {
		if i := r.Waiting(); i >= 0 && !r.Pauses[i].ExpiresAt.IsZero() && time.Now().After(r.Pauses[i].ExpiresAt) {
			out = append(out, fmt.Sprintf("rollout %s is paused past its expiry (%s)", r.ID, r.Pauses[i].ExpiresAt.Local().Format(time.DateTime)))
		}
	}
	return out
}
