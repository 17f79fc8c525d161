package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/systemd"
	"github.com/sysroll/sysroll/internal/unitfile"
)

// instanceStatus is one row of `sysroll status NAME`.
type instanceStatus struct {
	Instance    string `json:"instance"`
	Unit        string `json:"unit"`
	ActiveState string `json:"active_state"`
	SubState    string `json:"sub_state"`
	PID         uint32 `json:"pid"`
	Release     string `json:"release"` // the release the process runs
	// SwitchedTo is the release the instance's link points at when the
	// running process was started from another one (a rollout stopped
	// between switch and restart): the next start runs it.
	SwitchedTo string `json:"switched_to,omitempty"`
	Health     string `json:"health"` // healthy, unhealthy, down
	HealthNote string `json:"health_detail,omitempty"`
	UptimeSec  int64  `json:"uptime_seconds"`
	Restarts   uint32 `json:"restarts"`
}

// serviceStatus is the whole of `sysroll status NAME`.
type serviceStatus struct {
	Service     string           `json:"service"`
	Target      string           `json:"target_state"`
	Socket      string           `json:"socket_state,omitempty"`
	Instances   []instanceStatus `json:"instances"`
	Running     int              `json:"running"`
	Healthy     int              `json:"healthy"`
	Releases    map[string]int   `json:"releases"` // release -> instance count
	Mixed       bool             `json:"mixed_releases"`
	Interrupted *release.Record  `json:"interrupted_rollout,omitempty"`
}

func newStatusCmd(g *globals) *cobra.Command {
	var noProbe bool
	cmd := &cobra.Command{
		Use:   "status [NAME]",
		Short: "Show every instance of a service at a glance (or list the services)",
		Long: `Show one row per instance: unit, state, main PID, the release it runs,
health, uptime and automatic restarts, then a summary for the group. Mixed
releases (after a halted rollout) and an interrupted rollout are flagged.

Without NAME, list every service sysroll manages here.

Health is systemd's own view (active and, for Type=notify, READY=1 sent)
plus one run of the service's probes; --no-probe skips the probes.`,
		Example: `  sysroll status hello
  sysroll status hello --json | jq '.instances[] | select(.health != "healthy")'`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				m, err := g.connect(cmd.Context())
				if err != nil {
					return err
				}
				defer m.Close()
				return listServices(cmd.Context(), g, m)
			}
			svc, dir, err := g.loadInstalled(args[0])
			if err != nil {
				return err
			}
			m, err := g.connect(cmd.Context())
			if err != nil {
				return err
			}
			defer m.Close()
			st, err := collectStatus(cmd.Context(), m, svc, dir, !noProbe)
			if err != nil {
				return err
			}
			if g.json {
				return json.NewEncoder(g.stdout).Encode(st)
			}
			printStatus(g.stdout, st)
			return nil
		},
	}
	cmd.Flags().BoolVar(&noProbe, "no-probe", false, "do not run the health probes; report systemd's state only")
	return cmd
}

// collectStatus reads everything with one unit listing (not a call per unit
// per property) and probes instances in parallel.
func collectStatus(ctx context.Context, m systemd.Manager, svc *config.Service, dir string, probe bool) (*serviceStatus, error) {
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
	current, err := store.Instances()
	if err != nil {
		return nil, err
	}
	st := &serviceStatus{Service: svc.Name, Releases: map[string]int{}}
	st.Target = stateWord(byName[unitfile.TargetUnit(svc.Name)])
	if svc.Listen != "" {
		st.Socket = stateWord(byName[unitfile.SocketUnit(svc.Name)])
	}
	now := time.Now()
	names := svc.InstanceNames()
	health := probeAll(ctx, svc, store, names, probe)
	for i, inst := range names {
		unit := unitfile.InstanceUnit(svc.Name, inst)
		u := byName[unit]
		row := instanceStatus{
			Instance: inst, Unit: unit,
			ActiveState: string(u.ActiveState), SubState: u.SubState,
			PID: u.MainPID, Release: current[inst], Restarts: u.NRestarts,
		}
		// The link says what the next start runs; the process's own
		// working directory says what runs now.
		if v, ok := store.Running(u.MainPID); ok && v != row.Release {
			row.Release, row.SwitchedTo = v, row.Release
		}
		if row.ActiveState == "" {
			row.ActiveState, row.SubState = "inactive", "dead"
		}
		if u.Running() && !u.ActiveEnter.IsZero() {
			row.UptimeSec = int64(now.Sub(u.ActiveEnter).Seconds())
		}
		switch {
		case !u.Running():
			row.Health = "down"
		case health[i] != "":
			row.Health, row.HealthNote = "unhealthy", health[i]
		default:
			row.Health = "healthy"
		}
		if u.Running() {
			st.Running++
		}
		if row.Health == "healthy" {
			st.Healthy++
		}
		if row.Release != "" {
			st.Releases[row.Release]++
		}
		st.Instances = append(st.Instances, row)
	}
	st.Mixed = len(st.Releases) > 1
	for _, r := range st.Instances {
		st.Mixed = st.Mixed || r.SwitchedTo != ""
	}
	if rec, err := unfinished(store); err == nil && rec != nil && rec.Result != release.ResultRunning {
		st.Interrupted = rec
	}
	return st, nil
}

func stateWord(u systemd.UnitState) string {
	if u.ActiveState == "" {
		return "not loaded"
	}
	return string(u.ActiveState) + "/" + u.SubState
}

func printStatus(w io.Writer, st *serviceStatus) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "INSTANCE\tUNIT\tSTATE\tPID\tRELEASE\tHEALTH\tUPTIME\tRESTARTS")
	for _, r := range st.Instances {
		pid := "-"
		if r.PID != 0 {
			pid = fmt.Sprint(r.PID)
		}
		rel := r.Release
		if rel == "" {
			rel = "-"
		}
		if r.SwitchedTo != "" {
			rel += " (next start: " + r.SwitchedTo + ")"
		}
		up := "-"
		if r.UptimeSec > 0 || r.ActiveState == "active" {
			up = (time.Duration(r.UptimeSec) * time.Second).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s/%s\t%s\t%s\t%s\t%s\t%d\n", r.Instance, r.Unit, r.ActiveState, r.SubState, pid, rel, r.Health, up, r.Restarts)
	}
	tw.Flush()
	for _, r := range st.Instances {
		if r.HealthNote != "" {
			fmt.Fprintf(w, "%s: %s\n", r.Instance, r.HealthNote)
		}
	}
	fmt.Fprintf(w, "\n%s: %d/%d running, %d healthy; group %s", st.Service, st.Running, len(st.Instances), st.Healthy, st.Target)
	if st.Socket != "" {
		fmt.Fprintf(w, ", socket %s", st.Socket)
	}
	fmt.Fprintln(w)
	if st.Mixed {
		var parts []string
		for rel, n := range st.Releases {
			parts = append(parts, fmt.Sprintf("%s on %d", rel, n))
		}
		sort.Strings(parts)
		fmt.Fprintf(w, "MIXED RELEASES: %s\n", strings.Join(parts, ", "))
	}
	if r := st.Interrupted; r != nil {
		fmt.Fprintf(w, "INTERRUPTED ROLLOUT %s (%s %s -> %s, started %s): %s\n  finish it with `sysroll deploy %s --resume` or undo it with `sysroll rollback %s`\n",
			r.ID, r.Kind, r.From, r.To, r.Started.Format(time.DateTime), r.Reason, st.Service, st.Service)
	}
}

func listServices(ctx context.Context, g *globals, m systemd.Manager) error {
	names, err := g.installedServices()
	if err != nil {
		return err
	}
	var all []*serviceStatus
	for _, name := range names {
		svc, dir, err := g.loadInstalled(name)
		if err != nil {
			return err
		}
		st, err := collectStatus(ctx, m, svc, dir, false)
		if err != nil {
			return err
		}
		all = append(all, st)
	}
	if g.json {
		if all == nil {
			all = []*serviceStatus{}
		}
		return json.NewEncoder(g.stdout).Encode(all)
	}
	if len(all) == 0 {
		fmt.Fprintln(g.stdout, "no services managed by sysroll here (install one with `sysroll apply FILE`)")
		return nil
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tRUNNING\tRELEASES\tGROUP\tNOTE")
	for _, st := range all {
		var rels []string
		for r := range st.Releases {
			rels = append(rels, r)
		}
		sort.Strings(rels)
		note := ""
		if st.Mixed {
			note = "mixed releases"
		}
		if st.Interrupted != nil {
			note = "interrupted rollout " + st.Interrupted.ID
		}
		fmt.Fprintf(tw, "%s\t%d/%d\t%s\t%s\t%s\n", st.Service, st.Running, len(st.Instances), strings.Join(rels, ","), st.Target, note)
	}
	return tw.Flush()
}
