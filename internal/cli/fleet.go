package cli

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/user"
	"time"

	"github.com/spf13/cobra"

	"github.com/sysroll/sysroll/internal/fleet/controller"
	"github.com/sysroll/sysroll/internal/fleet/push"
	"github.com/sysroll/sysroll/internal/release"
)

// newFleetCmd is `sysroll fleet`: the controller's verbs, which act on
// other hosts over SSH. They take the service FILE, not a NAME: on the
// controller the service is not installed (there is no NAME to look up),
// and a separate verb keeps `sysroll deploy NAME` what it always was, a
// rollout on this machine, so a fleet's file can never roll this machine
// by mistake nor a typo roll a fleet.
func newFleetCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fleet",
		Short: "Roll a service across the hosts its file lists, over SSH (preview)",
		Long: `The fleet controller: run on your machine, it rolls a service out across the
hosts of its file (hosts:, or fleet.inventory) over SSH, host batch by host
batch (fleet.hosts), and sysroll itself does each host's part there as a
transient systemd unit, so a lost connection changes nothing on the host.

These verbs take the service FILE rather than a NAME because the service is
not installed on the controller; ` + "`sysroll deploy NAME`" + ` stays the rollout on
this machine.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newFleetDeployCmd(g), newFleetStatusCmd(g), newFleetApplyCmd(g),
		newFleetRestartCmd(g), newFleetRollbackCmd(g), newFleetHistoryCmd(g), newFleetUninstallCmd(g))
	return cmd
}

type fleetDeployFlags struct {
	artifact, version, limit, sshConfig, agentBinary     string
	dryRun, acceptNew, resume, skipUnreachable, takeOver bool
}

func newFleetDeployCmd(g *globals) *cobra.Command {
	var f fleetDeployFlags
	cmd := &cobra.Command{
		Use:   "deploy FILE --artifact PATH",
		Short: "Roll a new release out across the fleet's hosts",
		Long: `Roll the release at PATH (a binary, a directory or a .tar.gz) out across the
hosts FILE lists, in the host batches of fleet.hosts. It takes the service
FILE, not a NAME as ` + "`sysroll deploy NAME`" + ` does: on the controller the service
is not installed, and deploy NAME stays the rollout on this machine. In order:

  1. connect to every host (known_hosts is mandatory: an unknown or changed
     host key, or an unreachable host, refuses the rollout before anything
     is done anywhere; --accept-new-host-keys records unknown keys);
  2. handshake: this build of sysroll, at its content-addressed path
     /var/lib/sysroll/.bin/sysroll-<sha256[:12]>, is copied where missing
     and must speak this fleet protocol;
  3. the service must already be applied on every host (run
     ` + "`sysroll apply FILE`" + ` there first): a fleet deploy never installs units;
  4. copy the release to every host and stage it there (its checks run),
     before any instance restarts anywhere: a failing host refuses the
     rollout. A host that has the release receives 0 bytes;
  5. per host batch: a preflight over every host's status, then each host's
     step (` + "`sysroll deploy NAME --version V --fleet ID`" + ` under systemd-run),
     its events shown as they come (host-prefixed; --json: one object per line
     with a "host" field), then the fleet's failure action (` + "`sysroll rollback`" + `
     on hosts to roll back).

The fleet journal is written to $XDG_STATE_HOME/sysroll/fleet/NAME/ID.json
(or under --state-dir), and a claim to /var/lib/sysroll/NAME/fleet/ID.json
on each host. Exit 0 when every host succeeded, 1 otherwise, with a table of
host and result. --dry-run connects and reads only: it prints the plan and
the bytes each host would be sent.

--resume completes an unfinished fleet rollout of the service (its
controller was killed, lost its connection, or the rollout halted): from the
controller's journal when --state-dir has one, else rebuilt from the hosts'
claims, so it works from another machine. Each host is asked where it stands
(its step's unit, its record of the rollout, its boot ID) and is reattached
to, marked done, resumed (` + "`sysroll deploy NAME --resume`" + ` under systemd-run),
started, or handed to the failure action; then the remaining host batches roll
as usual. --resume --dry-run prints that decision per host and changes
nothing. Exit 2 when there is nothing to resume.

--skip-unreachable leaves out a host that cannot be reached at connect
instead of refusing the rollout: it stays on what it runs, its instances count
as down for min_available, and the output, the summary ("skipped:
unreachable", exit 0 if the rest succeeded) and the journal say so. An
unknown or changed host key still refuses. While a host holds an
unfinished claim, a new fleet deploy is refused, naming the rollout.

The claims are the fleet lock. A running controller refreshes their
heartbeat every third of fleet.hosts.lease (default 30s) and releases them
when it ends; a killed one goes silent. --resume refuses while the lease is
live (a controller on another machine may still drive the rollout), naming
its owner and how long ago it was heard of; once the lease expires it goes
on, and --take-over makes it go on at once. Either way the take-over is
recorded (who, from whom) in the journal and on every host.`,
		Example: `  sysroll fleet deploy hello.yaml --artifact ./build --version v2
  sysroll fleet deploy hello.yaml --artifact ./build --limit 'zone=a' --dry-run
  sysroll fleet deploy hello.yaml --artifact app.tar.gz --ssh-config ./ssh_config --json
  sysroll fleet deploy hello.yaml --resume --dry-run`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runFleetDeploy(cmd, g, args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.artifact, "artifact", "", "the release: a binary, a directory or a .tar.gz (`PATH`)")
	fl.StringVar(&f.version, "version", "", "the release's name on the hosts (default: the first 12 hex digits of its sha256)")
	fl.StringVar(&f.limit, "limit", "", "roll only the hosts matching `PATTERN` (Ansible's syntax: web,db:!db2, zone=a)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "connect and read only: print the plan and what would be copied")
	fl.BoolVar(&f.resume, "resume", false, "complete the unfinished fleet rollout of the service (from the journal, else the hosts' claims); with --dry-run, print what it would do per host")
	fl.BoolVar(&f.skipUnreachable, "skip-unreachable", false, skipUnreachableUsage)
	fl.BoolVar(&f.takeOver, "take-over", false, "with --resume: go on even while another controller's lease on the rollout is live (that controller is gone, or racing it is accepted); recorded in the journal and the claims")
	fl.BoolVar(&f.acceptNew, "accept-new-host-keys", false, "record the keys of hosts known_hosts does not know (a changed key is refused regardless)")
	fl.StringVar(&f.sshConfig, "ssh-config", "", "the ssh_config `FILE` to resolve hosts with (ssh -F)")
	fl.StringVar(&f.agentBinary, "agent-binary", "", "the sysroll build to run on the hosts (default: this one; it must be linux, static, of the hosts' architecture)")
	return cmd
}

func runFleetDeploy(cmd *cobra.Command, g *globals, file string, f fleetDeployFlags) error {
	if f.resume {
		if f.skipUnreachable {
			return usagef("--resume completes the rollout as it was planned, its skipped hosts with it: it takes no --skip-unreachable")
		}
		if f.artifact != "" || f.version != "" || f.limit != "" {
			return usagef("--resume completes the unfinished fleet rollout as it was planned: it takes no --artifact, --version or --limit")
		}
		return runFleetResume(cmd, g, file, f)
	}
	if f.takeOver {
		return usagef("--take-over goes with --resume: it takes an unfinished rollout over from its controller")
	}
	if f.artifact == "" {
		return usagef("--artifact is required: the release to roll out")
	}
	if f.version != "" {
		if err := release.ValidVersion(f.version); err != nil {
			return asUsage(err)
		}
	}
	art, err := push.PrepareArtifact(f.artifact)
	if err != nil {
		return asUsage(fmt.Errorf("--artifact: %w", err))
	}
	defer art.Close()
	out := newFleetProgress(g.stdout, g.json)
	t, err := openFleet(fleetOpen{file: file, limit: f.limit, sshConfig: f.sshConfig, agentBinary: f.agentBinary,
		acceptNew: f.acceptNew, art: art, local: "deploy", warn: func(msg string) { out.Note("", "warning: "+msg) }})
	if err != nil {
		return err
	}
	defer t.Close()
	svc, hosts, bin := t.svc, t.plan, t.bin
	rh := make([]controller.Host, len(t.hosts))
	for i, h := range t.hosts {
		rh[i] = h
	}
	version := f.version
	if version == "" {
		version = art.SHA256[:12]
	}
	id := newFleetID(time.Now())
	jpath := ""
	if !f.dryRun {
		if jpath, err = controller.JournalPath(g.stateDir, svc.Name, id); err != nil {
			return err
		}
	}
	rep, err := controller.Run(cmd.Context(), rh, controller.Options{
		Service: svc.Name, Version: version, SHA256: art.SHA256,
		BinarySize: bin.Size, ArtifactSize: art.Size,
		Hosts: hosts, Strategy: svc.Fleet.Hosts.Strategy, FleetID: id, SkipUnreachable: f.skipUnreachable,
		Controller: whoAmI(), DryRun: f.dryRun, JournalPath: jpath, Progress: out,
	})
	if rep != nil {
		out.Summary(rep, jpath)
	}
	noteResume(out, rep, resumeCommand(g, file, f))
	var refused *controller.RefusedError
	if errors.As(err, &refused) {
		return err
	}
	if err != nil {
		return err
	}
	if f.dryRun || rep.OK() {
		return nil
	}
	return silentError{ExitFailed}
}

// newFleetID is a fresh fleet rollout ID: when, and 4 random hex digits
// for two rollouts started in one second.
func newFleetID(now time.Time) string {
	b := make([]byte, 2)
	_, _ = rand.Read(b)
	return now.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b)
}

// whoAmI is user@machine, for the claims.
func whoAmI() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	return name + "@" + host
}
