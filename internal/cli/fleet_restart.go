package cli

import (
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sysroll/sysroll/internal/fleet/controller"
	"github.com/sysroll/sysroll/internal/fleet/journal"
	"github.com/sysroll/sysroll/internal/release"
)

// fleetConnFlags are the flags every fleet verb reaches its hosts with.
type fleetConnFlags struct {
	limit, sshConfig, agentBinary string
	acceptNew                     bool
}

func (f *fleetConnFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&f.limit, "limit", "", "act only on the hosts matching `PATTERN` (Ansible's syntax: web,db:!db2, zone=a)")
	fl.BoolVar(&f.acceptNew, "accept-new-host-keys", false, "record the keys of hosts known_hosts does not know (a changed key is refused regardless)")
	fl.StringVar(&f.sshConfig, "ssh-config", "", "the ssh_config `FILE` to resolve hosts with (ssh -F)")
	fl.StringVar(&f.agentBinary, "agent-binary", "", "the sysroll build to run on the hosts (default: this one; it must be linux, static, of the hosts' architecture)")
}

// fleetKindFlags are fleet restart's and rollback's.
type fleetKindFlags struct {
	fleetConnFlags
	to                      string
	dryRun, skipUnreachable bool
}

const skipUnreachableUsage = "leave out a host that cannot be reached at connect (said in the output, the summary and the journal; its instances count as down for min_available) instead of refusing; an unknown or changed host key still refuses"

// fleetKindHelp is what fleet restart and rollback share in --help.
const fleetKindHelp = `
It is a fleet deploy without a release to copy: the same connect (known_hosts
mandatory), handshake (this build, at its content-addressed path), check that
the service is applied on every host, host batches (fleet.hosts), preflight
before each batch (claims, the fleet-wide capacity floor), claims and fleet
journal, events followed with reattach, and Ctrl-C (the steps stop at their
safe point; ` + "`sysroll fleet deploy FILE --resume`" + ` completes it).

On a failure beyond the fleet's failure budget the fleet HALTS, whatever
failure_action says: no further host is started, and each failed host's own
step has already reverted the instance batch that failed there (its own
failure_action), so its instances run what they ran before. There is nothing
for the fleet to roll back: a restart changes no release, and rolling back a
rollback would roll the release you are leaving forward again. Fix the cause,
then ` + "`sysroll fleet deploy FILE --resume`" + ` or run the verb again.

--skip-unreachable: ` + skipUnreachableUsage + `.
Exit 0 when every host (but those skipped) succeeded, 1 otherwise, with a
table of host and result; --json: one object per line, as fleet deploy.`

func newFleetRestartCmd(g *globals) *cobra.Command {
	var f fleetKindFlags
	cmd := &cobra.Command{
		Use:   "restart FILE",
		Short: "Restart every instance on every host, host batch by host batch (same release)",
		Long: `Restart every instance of the service on the hosts FILE lists, each host's
step being ` + "`sysroll restart NAME --fleet ID`" + ` under systemd-run: its own
health-gated batches, each instance staying on the release it runs.
` + fleetKindHelp,
		Example: `  sysroll fleet restart hello.yaml
  sysroll fleet restart hello.yaml --limit 'zone=a' --dry-run
  sysroll fleet restart hello.yaml --skip-unreachable --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runFleetKind(cmd, g, args[0], journal.KindRestart, f)
		},
	}
	f.registerKind(cmd.Flags())
	return cmd
}

func newFleetRollbackCmd(g *globals) *cobra.Command {
	var f fleetKindFlags
	cmd := &cobra.Command{
		Use:   "rollback FILE [--to VERSION]",
		Short: "Roll every host back to the previous known-good release (or VERSION)",
		Long: `Roll the service back on the hosts FILE lists, each host's step being
` + "`sysroll rollback NAME [--to VERSION] --fleet ID`" + ` under systemd-run.

Before anything is touched, every host's own rollback is asked, as a dry run,
which release it would go to: a host that lacks VERSION (` + "`sysroll fleet history`" + `
shows what each host rolled out), that has nothing to roll back to, or whose
target differs from the others' refuses the rollback on every host; name the
release with --to then.
` + fleetKindHelp,
		Example: `  sysroll fleet rollback hello.yaml
  sysroll fleet rollback hello.yaml --to v1 --dry-run`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.to != "" {
				if err := release.ValidVersion(f.to); err != nil {
					return asUsage(err)
				}
			}
			return runFleetKind(cmd, g, args[0], journal.KindRollback, f)
		},
	}
	f.registerKind(cmd.Flags())
	cmd.Flags().StringVar(&f.to, "to", "", "the `VERSION` every host goes back to: one each host holds (default: the previous known-good one, the same on every host)")
	return cmd
}

func (f *fleetKindFlags) registerKind(fl *pflag.FlagSet) {
	f.register(fl)
	fl.BoolVar(&f.dryRun, "dry-run", false, "connect and read only: print the plan (and a rollback's target)")
	fl.BoolVar(&f.skipUnreachable, "skip-unreachable", false, skipUnreachableUsage)
}

// runFleetKind runs a fleet restart or rollback: openFleet's hosts,
// controller.Run of that kind, the summary and the exit status.
func runFleetKind(cmd *cobra.Command, g *globals, file string, kind journal.Kind, f fleetKindFlags) error {
	out := newFleetProgress(g.stdout, g.json)
	t, err := openFleet(fleetOpen{file: file, limit: f.limit, sshConfig: f.sshConfig, agentBinary: f.agentBinary,
		acceptNew: f.acceptNew, local: string(kind), warn: func(msg string) { out.Note("", "warning: "+msg) }})
	if err != nil {
		return err
	}
	defer t.Close()
	rh := make([]controller.Host, len(t.hosts))
	for i, h := range t.hosts {
		rh[i] = h
	}
	id := newFleetID(time.Now())
	jpath := ""
	if !f.dryRun {
		if jpath, err = controller.JournalPath(g.stateDir, t.svc.Name, id); err != nil {
			return err
		}
	}
	rep, err := controller.Run(cmd.Context(), rh, controller.Options{
		Service: t.svc.Name, Kind: kind, To: f.to, BinarySize: t.bin.Size,
		Hosts: t.plan, Strategy: t.svc.Fleet.Hosts.Strategy, FleetID: id, SkipUnreachable: f.skipUnreachable,
		Controller: whoAmI(), DryRun: f.dryRun, JournalPath: jpath, Progress: out,
	})
	if rep != nil {
		if rep.Result == "" {
			jpath = "" // refused or dry: no journal was written
		}
		out.Summary(rep, jpath)
	}
	if err != nil {
		return err // a *controller.RefusedError says what and where
	}
	if f.dryRun || rep.OK() {
		return nil
	}
	return silentError{ExitFailed}
}
