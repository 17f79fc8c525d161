package cli

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/fleet/controller"
	"github.com/sysroll/sysroll/internal/fleet/plan"
	"github.com/sysroll/sysroll/internal/fleet/push"
	"github.com/sysroll/sysroll/internal/release"
)

type fleetApplyFlags struct {
	fleetStatusFlags
	artifact, version string
	dryRun            bool
}

func newFleetApplyCmd(g *globals) *cobra.Command {
	var f fleetApplyFlags
	cmd := &cobra.Command{
		Use:   "apply FILE",
		Short: "Install or update the service on every host of the fleet",
		Long: `Copy the service FILE (and, with --artifact, the first release) to every host
it lists and run ` + "`sysroll apply`" + ` there, with this build of sysroll at its
content-addressed path (copied where missing). Every host is connected to
first: one unreachable refuses the apply before any host is changed. Then
the host batches of fleet.hosts, one batch at a time, each host's output
prefixed with its name; the first batch with a failed host stops the apply
(exit 1, naming it), the later batches untouched.

So a new fleet goes: inventory in FILE, ` + "`sysroll fleet apply FILE --artifact A`" + `,
then ` + "`sysroll fleet deploy FILE --artifact B`" + ` for every release after.
--dry-run copies the service file only and runs ` + "`sysroll apply --dry-run`" + `.`,
		Example: `  sysroll fleet apply hello.yaml --artifact ./build --version v1
  sysroll fleet apply hello.yaml --limit web1 --dry-run`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runFleetApply(cmd, g, args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.artifact, "artifact", "", "the first release (binary, directory or .tar.gz), needed when an instance has none yet (`PATH`)")
	fl.StringVar(&f.version, "version", "", "name of that release (default: a short sha256)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "show what each host's apply would change, change nothing there")
	fl.StringVar(&f.limit, "limit", "", "apply only on the hosts matching `PATTERN` (Ansible's syntax: web,db:!db2, zone=a)")
	fl.BoolVar(&f.acceptNew, "accept-new-host-keys", false, "record the keys of hosts known_hosts does not know (a changed key is refused regardless)")
	fl.StringVar(&f.sshConfig, "ssh-config", "", "the ssh_config `FILE` to resolve hosts with (ssh -F)")
	fl.StringVar(&f.agentBinary, "agent-binary", "", "the sysroll build to run on the hosts (default: this one)")
	return cmd
}

func runFleetApply(cmd *cobra.Command, g *globals, file string, f fleetApplyFlags) error {
	if f.version != "" {
		if f.artifact == "" {
			return usagef("--version names the --artifact: give both")
		}
		if err := release.ValidVersion(f.version); err != nil {
			return asUsage(err)
		}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return asUsage(fmt.Errorf("read the service file: %w", err))
	}
	var art *push.Artifact
	if f.artifact != "" {
		if art, err = push.PrepareArtifact(f.artifact); err != nil {
			return asUsage(fmt.Errorf("--artifact: %w", err))
		}
		defer art.Close()
	}
	var mu sync.Mutex
	say := func(host, l string) {
		mu.Lock()
		defer mu.Unlock()
		if host == "" {
			fmt.Fprintln(g.stdout, l)
			return
		}
		fmt.Fprintf(g.stdout, "%s| %s\n", host, l)
	}
	t, err := openFleet(fleetOpen{file: file, limit: f.limit, sshConfig: f.sshConfig, agentBinary: f.agentBinary,
		acceptNew: f.acceptNew, art: art, local: "apply", quick: true, warn: func(msg string) { say("", "warning: "+msg) }})
	if err != nil {
		return err
	}
	defer t.Close()
	var hosts []plan.Host
	var ah []controller.ApplyHost
	files := map[string][]byte{}
	for i, h := range t.inv.Hosts {
		n := len(t.svc.InstanceNames())
		if h.Instances != nil {
			n = len(h.Instances)
			// The host gets a file of its own instances, so that its
			// sysroll needs no inventory to know them.
			hf, err := config.WithInstances(file, data, h.Instances, h.CountedInstances)
			if err != nil {
				return asUsage(fmt.Errorf("host %s (%s): %w", h.Name, h.Source, err))
			}
			files[h.Name] = hf
		}
		hosts = append(hosts, plan.Host{Name: h.Name, Labels: h.Labels, Instances: n})
		ah = append(ah, t.hosts[i])
	}
	rep, err := controller.Apply(cmd.Context(), ah, controller.ApplyOptions{
		ApplyRequest: controller.ApplyRequest{File: data, Service: t.svc.Name, WithArtifact: art != nil, Version: f.version, DryRun: f.dryRun},
		Hosts:        hosts, Strategy: t.svc.Fleet.Hosts.Strategy, Files: files, Line: say,
	})
	var refused *controller.RefusedError
	if errors.As(err, &refused) {
		return err
	}
	if err != nil {
		return err
	}
	if !rep.OK() {
		failed := slices.Sorted(maps.Keys(rep.Failed))
		for _, n := range failed {
			fmt.Fprintf(g.stderr, "%v\n", rep.Failed[n])
		}
		fmt.Fprintf(g.stderr, "fleet apply stopped: failed on %s; applied on %d host(s)%s; later batches untouched\n",
			strings.Join(failed, ", "), len(rep.Applied), listed(rep.Applied))
		return silentError{ExitFailed}
	}
	what := "applied"
	if f.dryRun {
		what = "dry run on"
	}
	say("", fmt.Sprintf("%s: %s %d host(s): %s", t.svc.Name, what, len(rep.Applied), strings.Join(rep.Applied, ", ")))
	return nil
}

func listed(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return " (" + strings.Join(s, ", ") + ")"
}
