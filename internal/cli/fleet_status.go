package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/drain"
	"github.com/sysroll/sysroll/internal/fleet/controller"
	"github.com/sysroll/sysroll/internal/fleet/plan"
	"github.com/sysroll/sysroll/internal/fleet/push"
	"github.com/sysroll/sysroll/internal/inventory"
	"github.com/sysroll/sysroll/internal/sshx"
)

// fleetConnectTimeout bounds the TCP connect and the SSH handshake of the
// read-only fleet verbs: an unreachable host is reported within it, so a
// status with a host down still answers in seconds.
const fleetConnectTimeout = 5 * time.Second

type fleetStatusFlags struct {
	limit, sshConfig, agentBinary string
	acceptNew                     bool
}

func newFleetStatusCmd(g *globals) *cobra.Command {
	var f fleetStatusFlags
	cmd := &cobra.Command{
		Use:   "status FILE",
		Short: "Show every instance on every host of the fleet at a glance",
		Long: `Query every host FILE lists (in parallel, bounded) with ` + "`sysroll status NAME`" + `,
run by this build of sysroll at its content-addressed path on the host
(copied there when missing, as fleet deploy does), and print one table of
host and instance: release, health, restarts, PID; then a line per host.

Flagged: mixed releases across the fleet, unit files that differ between
hosts (their sha256), interrupted rollouts, unreachable hosts (shown, not
fatal: the connect is bounded by 5 s), and a host clock more than 1 s off
this machine's.

Exit status, as ` + "`sysroll status`" + `:
  0  every host was reached and every instance there is healthy, with no
     interrupted rollout (mixed releases, drift and skew are warnings)
  1  otherwise
  2  bad usage
--json prints one document (schema sysroll.fleet-status/v1), an entry per
host with a "host" field.`,
		Example: `  sysroll fleet status hello.yaml
  sysroll fleet status hello.yaml --limit 'zone=a' --json | jq '.hosts[] | select(.problems != [])'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := openFleet(fleetOpen{file: args[0], limit: f.limit, sshConfig: f.sshConfig, agentBinary: f.agentBinary,
				acceptNew: f.acceptNew, local: "status", quick: true, warn: func(msg string) {
					fmt.Fprintln(g.stderr, "warning: "+msg)
				}})
			if err != nil {
				return err
			}
			defer t.Close()
			var hs []controller.StatusHost
			for _, h := range t.hosts {
				hs = append(hs, h)
			}
			fs := controller.Status(cmd.Context(), hs, controller.StatusOptions{Service: t.svc.Name})
			if g.json {
				if err := json.NewEncoder(g.stdout).Encode(fs); err != nil {
					return err
				}
			} else {
				printFleetStatus(g.stdout, fs)
			}
			if !fs.OK {
				return silentError{ExitFailed}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.limit, "limit", "", "query only the hosts matching `PATTERN` (Ansible's syntax: web,db:!db2, zone=a)")
	fl.BoolVar(&f.acceptNew, "accept-new-host-keys", false, "record the keys of hosts known_hosts does not know (a changed key is refused regardless)")
	fl.StringVar(&f.sshConfig, "ssh-config", "", "the ssh_config `FILE` to resolve hosts with (ssh -F)")
	fl.StringVar(&f.agentBinary, "agent-binary", "", "the sysroll build to run on the hosts (default: this one)")
	return cmd
}

// fleetTarget is a fleet verb's service, hosts and connections.
type fleetTarget struct {
	svc   *config.Service
	inv   *inventory.Inventory
	pool  *sshx.Pool
	hosts []*controller.SSHHost
	// plan is each host as the planner sees it: its labels and how many
	// instances it runs (its own list, or the service file's).
	plan []plan.Host
	bin  *push.Binary
}

func (t *fleetTarget) Close() {
	for _, h := range t.hosts {
		_ = h.Close()
	}
	t.pool.Close()
}

// fleetOpen is what openFleet needs from a fleet verb's flags.
type fleetOpen struct {
	file, limit, sshConfig, agentBinary string
	acceptNew                           bool
	// art is the release the hosts may be sent (nil: none).
	art  *push.Artifact
	warn func(string)
	// local is the single-host command for the same service, named when
	// the file describes no fleet (e.g. "status").
	local string
	// quick bounds the connect and the handshake by fleetConnectTimeout:
	// a query reports a host it cannot reach rather than wait on it.
	quick bool
}

// openFleet loads the service file and its inventory, applies --limit, and
// prepares a connection per host (none is opened yet) running the build
// agentBinary names (this one when ""), pushing art when given. It is the
// one place every fleet verb turns a file into hosts.
func openFleet(o fleetOpen) (*fleetTarget, error) {
	svc, err := config.Load(o.file)
	if err != nil {
		return nil, asUsage(err)
	}
	if !svc.IsFleet() {
		return nil, usagef("%s describes no fleet (no hosts: and no fleet:): for this machine use `sysroll %s %s`", o.file, o.local, svc.Name)
	}
	if a := svc.Analysis; a != nil && a.OnInconclusive == "pause" && o.local == "deploy" {
		return nil, usagef("%s has analysis.on_inconclusive: pause, which parks a rollout as at an approval gate: that works on one host (`sysroll deploy %s`), not across a fleet yet; use on_inconclusive: fail", o.file, svc.Name)
	}
	if svc.HasGates() && (o.local == "deploy" || o.local == "restart") {
		// A host's step would stop at its gate and exit paused, and the
		// controller has no fleet-wide gate to wait at: refused rather
		// than have each host pause on its own.
		return nil, usagef("%s has an approval gate (pause: {} in rollout.steps): gates work on one host (`sysroll %s %s`), not across a fleet yet; use a timed pause (pause: 15m), which each host waits out, watched", o.file, o.local, svc.Name)
	}
	inv := svc.Hosts.Inventory
	if inv == nil {
		if inv, err = inventory.ReadFile(svc.InventoryPath()); err != nil {
			return nil, asUsage(err)
		}
		if err := svc.CheckHosts(inv); err != nil {
			return nil, asUsage(err)
		}
	}
	if o.limit != "" {
		if inv, err = inv.Limit(o.limit); err != nil {
			return nil, asUsage(err)
		}
	}
	t := &fleetTarget{svc: svc, inv: inv}
	overrides := map[string]sshx.Overrides{}
	for _, h := range inv.Hosts {
		if h.Become {
			return nil, usagef("host %s (%s): become (sudo -n) is not supported by the fleet verbs yet: log in as root", h.Name, h.Source)
		}
		ov := sshx.Overrides{Port: h.Port, User: h.User, Identity: h.Identity, Jump: h.Jump}
		if h.Address != h.Name {
			ov.Address = h.Address
		}
		overrides[h.Name] = ov
		n := len(svc.InstanceNames())
		if h.Instances != nil {
			n = len(h.Instances)
		}
		t.plan = append(t.plan, plan.Host{Name: h.Name, Labels: h.Labels, Instances: n})
	}
	bin, err := push.PrepareBinary(o.agentBinary)
	if err != nil {
		return nil, fmt.Errorf("the sysroll build for the hosts: %w", err)
	}
	opts := sshx.Options{
		Resolver:  &sshx.Inventory{Base: &sshx.OpenSSHResolver{ConfigFile: o.sshConfig}, Hosts: overrides},
		AcceptNew: o.acceptNew,
		Warn:      o.warn,
	}
	if o.quick {
		opts.ConnectTimeout, opts.HandshakeTimeout = fleetConnectTimeout, fleetConnectTimeout
	}
	t.pool = sshx.NewPool(opts)
	// An instance's worst case on a host: drained, stopped, started,
	// gated, back in the balancer.
	perInstance := svc.Rollout.DrainTimeout + svc.StopTimeout + svc.Health.Deadline + drain.DefaultUpTimeout
	for _, h := range inv.Hosts {
		sh := controller.NewSSHHost(t.pool, h.Name, bin, o.art)
		sh.StopTimeout = controller.StepStopTimeout(perInstance)
		t.hosts = append(t.hosts, sh)
	}
	t.bin = bin
	return t, nil
}

// printFleetStatus is the table: one row per host and instance, then a
// line per host and the fleet's findings.
func printFleetStatus(w io.Writer, fs *controller.FleetStatus) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tINSTANCE\tRELEASE\tHEALTH\tRESTARTS\tPID")
	for _, h := range fs.Hosts {
		if h.Status == nil {
			fmt.Fprintf(tw, "%s\t-\t-\t%s\t-\t-\n", h.Host, map[bool]string{true: "unknown", false: "unreachable"}[h.Reachable])
			continue
		}
		for _, in := range h.Status.Instances {
			pid, rel := "-", in.Release
			if in.PID != 0 {
				pid = fmt.Sprint(in.PID)
			}
			if rel == "" {
				rel = "-"
			}
			if in.SwitchedTo != "" {
				rel += " (next start: " + in.SwitchedTo + ")"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", h.Host, in.Instance, rel, in.Health, in.Restarts, pid)
		}
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, h := range fs.Hosts {
		fmt.Fprintln(w, hostSummary(h))
		for _, p := range h.Problems {
			fmt.Fprintf(w, "  %s\n", p)
		}
		for _, p := range h.Warnings {
			fmt.Fprintf(w, "  warning: %s\n", p)
		}
	}
	for _, warn := range fs.Warnings {
		fmt.Fprintln(w, "WARNING: "+warn)
	}
	verdict := "all hosts reached, every instance healthy"
	if !fs.OK {
		n := 0
		for _, h := range fs.Hosts {
			if len(h.Problems) > 0 {
				n++
			}
		}
		verdict = fmt.Sprintf("%d of %d hosts not well", n, len(fs.Hosts))
	}
	fmt.Fprintf(w, "%s: %d hosts: %s\n", fs.Service, len(fs.Hosts), verdict)
}

// hostSummary is a host's line: "h1: 3/3 healthy, v2, unit 0a1b2c3d4e5f, clock +0.002s".
func hostSummary(h controller.HostStatus) string {
	if h.Status == nil {
		if !h.Reachable {
			return h.Host + ": UNREACHABLE"
		}
		return h.Host + ": status not read"
	}
	st := h.Status
	parts := []string{fmt.Sprintf("%d/%d healthy", st.Healthy, len(st.Instances))}
	var rels []string
	for r := range st.Releases {
		rels = append(rels, r)
	}
	if len(rels) > 0 {
		parts = append(parts, "release "+strings.Join(slices.Sorted(slices.Values(rels)), "+"))
	}
	if st.UnitSHA256 != "" && len(st.UnitSHA256) >= 12 {
		parts = append(parts, "units "+st.UnitSHA256[:12])
	}
	if h.ClockSkewSec != nil {
		parts = append(parts, fmt.Sprintf("clock %+.3fs", *h.ClockSkewSec))
	}
	if st.Paused != nil {
		parts = append(parts, "PAUSED ROLLOUT "+st.Paused.ID)
	}
	if st.Interrupted != nil {
		parts = append(parts, "INTERRUPTED ROLLOUT "+st.Interrupted.ID)
	}
	return h.Host + ": " + strings.Join(parts, ", ")
}
