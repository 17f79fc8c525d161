package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sysroll/sysroll/internal/fleet/controller"
	"github.com/sysroll/sysroll/internal/fleet/journal"
	"github.com/sysroll/sysroll/internal/sshx"
)

// runFleetResume is `fleet deploy FILE --resume [--dry-run]
// [--take-over]`: the hosts are FILE's, the rollout is the one unfinished
// (controller.Resume).
func runFleetResume(cmd *cobra.Command, g *globals, file string, f fleetDeployFlags) error {
	out := newFleetProgress(g.stdout, g.json)
	t, err := openFleet(fleetOpen{file: file, sshConfig: f.sshConfig, agentBinary: f.agentBinary,
		acceptNew: f.acceptNew, local: "deploy --resume", warn: func(msg string) { out.Note("", "warning: "+msg) }})
	if err != nil {
		return err
	}
	defer t.Close()
	svc, hosts := t.svc, t.plan
	j, err := localJournal(g.stateDir, svc.Name)
	if err != nil {
		return err
	}
	rh := make([]controller.Host, len(t.hosts))
	for i, h := range t.hosts {
		rh[i] = h
	}
	jpath := ""
	rep, _, err := controller.Resume(cmd.Context(), rh, controller.ResumeOptions{
		Options: controller.Options{Service: svc.Name, Hosts: hosts, Strategy: svc.Fleet.Hosts.Strategy,
			Controller: whoAmI(), DryRun: f.dryRun, Progress: out},
		Journal:  j,
		TakeOver: f.takeOver,
		JournalPath: func(id string) (string, error) {
			p, err := controller.JournalPath(g.stateDir, svc.Name, id)
			jpath = p
			return p, err
		},
	})
	if errors.Is(err, controller.ErrNothingToResume) {
		return asUsage(err)
	}
	var held *controller.LeaseError
	if errors.As(err, &held) {
		return fmt.Errorf("%w\n  here, to take it over now: %s --take-over", err, resumeCommand(g, file, f))
	}
	if rep != nil {
		out.Summary(rep, jpath)
	}
	if !f.dryRun {
		noteResume(out, rep, resumeCommand(g, file, f))
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

// resumeCommand is the exact command that resumes this controller's
// unfinished rollout of file: the same file, SSH configuration and state
// directory (the journal), so an operator can paste it once the hosts
// are back.
func resumeCommand(g *globals, file string, f fleetDeployFlags) string {
	argv := []string{"sysroll", "fleet", "deploy", file, "--resume"}
	if f.sshConfig != "" {
		argv = append(argv, "--ssh-config", f.sshConfig)
	}
	if f.agentBinary != "" {
		argv = append(argv, "--agent-binary", f.agentBinary)
	}
	if g.stateDir != "" {
		argv = append(argv, "--state-dir", g.stateDir)
	}
	q, err := sshx.ShellQuote(argv)
	if err != nil { // a NUL in an argument: show it unquoted rather than nothing
		return strings.Join(argv, " ")
	}
	return q
}

// noteResume tells how to go on with a rollout that ended unfinished
// (halted, interrupted: its claims still hold the hosts); a final result
// needs no resume.
func noteResume(out *fleetProgress, rep *controller.Report, cmd string) {
	if rep == nil || rep.Result == "" || rep.Result.Final() {
		return
	}
	out.Note("", fmt.Sprintf("fleet rollout %s is unfinished (%s): once its hosts are reachable, resume it with: %s", rep.FleetID, rep.Result, cmd))
}
