package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/fleet/controller"
	"github.com/sysroll/sysroll/internal/fleet/journal"
	"github.com/sysroll/sysroll/internal/fleet/plan"
	"github.com/sysroll/sysroll/internal/fleet/push"
	"github.com/sysroll/sysroll/internal/inventory"
	"github.com/sysroll/sysroll/internal/sshx"
)

// runFleetResume is `fleet deploy FILE --resume [--dry-run]`: the hosts
// are FILE's, the rollout is the one unfinished (controller.Resume).
func runFleetResume(cmd *cobra.Command, g *globals, file string, f fleetDeployFlags) error {
	svc, err := config.Load(file)
	if err != nil {
		return asUsage(err)
	}
	if !svc.IsFleet() {
		return usagef("%s describes no fleet (no hosts: and no fleet:): for this machine use `sysroll deploy %s --resume`", file, svc.Name)
	}
	inv := svc.Hosts.Inventory
	if inv == nil {
		if inv, err = inventory.ReadFile(svc.InventoryPath()); err != nil {
			return asUsage(err)
		}
		if err := svc.CheckHosts(inv); err != nil {
			return asUsage(err)
		}
	}
	j, err := localJournal(g.stateDir, svc.Name)
	if err != nil {
		return err
	}
	bin, err := push.PrepareBinary(f.agentBinary)
	if err != nil {
		return fmt.Errorf("the sysroll build for the hosts: %w", err)
	}
	out := newFleetProgress(g.stdout, g.json)
	overrides := map[string]sshx.Overrides{}
	var hosts []plan.Host
	for _, h := range inv.Hosts {
		o := sshx.Overrides{Port: h.Port, User: h.User, Identity: h.Identity, Jump: h.Jump}
		if h.Address != h.Name {
			o.Address = h.Address
		}
		overrides[h.Name] = o
		n := len(svc.InstanceNames())
		if h.Instances != nil {
			n = len(h.Instances)
		}
		hosts = append(hosts, plan.Host{Name: h.Name, Labels: h.Labels, Instances: n})
		if h.Become {
			return usagef("host %s (%s): become (sudo -n) is not supported by fleet deploy yet: log in as root", h.Name, h.Source)
		}
	}
	pool := sshx.NewPool(sshx.Options{
		Resolver:  &sshx.Inventory{Base: &sshx.OpenSSHResolver{ConfigFile: f.sshConfig}, Hosts: overrides},
		AcceptNew: f.acceptNew,
		Warn:      func(msg string) { out.Note("", "warning: "+msg) },
	})
	defer pool.Close()
	var rh []controller.Host
	for _, h := range hosts {
		sh := controller.NewSSHHost(pool, h.Name, bin, nil)
		defer sh.Close()
		rh = append(rh, sh)
	}
	jpath := ""
	rep, _, err := controller.Resume(cmd.Context(), rh, controller.ResumeOptions{
		Options: controller.Options{Service: svc.Name, Hosts: hosts, Strategy: svc.Fleet.Hosts.Strategy,
			Controller: whoAmI(), DryRun: f.dryRun, Progress: out},
		Journal: j,
		JournalPath: func(id string) (string, error) {
			p, err := controller.JournalPath(g.stateDir, svc.Name, id)
			jpath = p
			return p, err
		},
	})
	if errors.Is(err, controller.ErrNothingToResume) {
		return asUsage(err)
	}
	if rep != nil {
		out.Summary(rep, jpath)
	}
	if err != nil {
		return err
	}
	if f.dryRun || rep.OK() {
		return nil
	}
	return silentError{ExitFailed}
}

// localJournal is the controller's unfinished journal of service under
// stateDir, nil when it has none (then the hosts' claims tell); two
// unfinished ones are refused, naming both.
func localJournal(stateDir, service string) (*journal.Journal, error) {
	p, err := controller.JournalPath(stateDir, service, "x")
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(p)
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("fleet journals in %s: %w", dir, err)
	}
	var found []*journal.Journal
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("fleet journal: %w", err)
		}
		j, err := journal.Decode(n, data)
		if err != nil {
			return nil, fmt.Errorf("%w (move it away to rebuild the journal from the hosts' claims)", err)
		}
		if !j.Result.Final() {
			found = append(found, j)
		}
	}
	switch len(found) {
	case 0:
		return nil, nil
	case 1:
		return found[0], nil
	}
	var ids []string
	for _, j := range found {
		ids = append(ids, j.ID)
	}
	slices.Sort(ids)
	return nil, fmt.Errorf("%s holds %d unfinished fleet journals of %s, %s: refusing to guess; move the stale ones away", dir, len(ids), service, strings.Join(ids, " and "))
}
