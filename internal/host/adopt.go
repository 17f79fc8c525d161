package host

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/sysroll/sysroll/internal/adopt"
	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/rollout"
	"github.com/sysroll/sysroll/internal/safeio"
	"github.com/sysroll/sysroll/internal/systemd"
	"github.com/sysroll/sysroll/internal/unitfile"
)

// AdoptOptions says which hand-written units Adopt migrates, and how.
type AdoptOptions struct {
	// Units are unit file paths, or unit names looked up in the unit dir.
	Units []string
	// Name of the sysroll service; "" is the units' common prefix.
	Name string
	// File is an edited service file used instead of the proposal (to add
	// a balancer, an http probe); its instances must be the units' ports.
	File string
	// Artifact is the first release; "" is the binary the units run.
	Artifact, Version, As string
	// DryRun proposes and plans, and changes nothing.
	DryRun bool
	// Progress is told each step as it happens; nil for none.
	Progress func(line string)
}

// AdoptReport is what Adopt proposed and did.
type AdoptReport struct {
	Service     string          `json:"service"`
	DryRun      bool            `json:"dry_run"`
	Proposal    *adopt.Proposal `json:"proposal"`
	ServiceFile string          `json:"service_file"`
	// Order is the cutover order (a Requires= dependent first).
	Order []adopt.Instance `json:"order"`
	// Artifact is what the first release is staged from; Release its version.
	Artifact string `json:"artifact"`
	Release  string `json:"release,omitempty"`
	Balancer string `json:"balancer"`
	Backup   string `json:"backup_dir"`
	// Windows are, per port, how long nothing accepted connections: from
	// the old unit's stop to the new instance's first accepted connection.
	// Behind a balancer the port was drained meanwhile.
	Windows []AdoptWindow `json:"refused_windows,omitempty"`
	// Resumed lists the instances an earlier, interrupted adopt had already
	// cut over (left as they are).
	Resumed []string `json:"resumed,omitempty"`
}

// AdoptWindow is one port's refused window.
type AdoptWindow struct {
	Port    int     `json:"port"`
	Seconds float64 `json:"seconds"`
}

// adoptDir is where, under the service's state dir, the old unit files are
// kept and the cutover's progress recorded.
const adoptDir = "adopted"

// Adopt migrates hand-written instance units onto a sysroll service, one
// instance at a time: drain, stop and disable the old unit (its file kept
// in the state dir's adopted/), start NAME@PORT.service on the first
// release, gate it (ready + healthy_for within deadline), undrain, next. A
// failed gate stops the new instance, puts the old unit back (file,
// enabled state, started, checked) and ends with an error; instances cut
// over before it stay on sysroll, and running Adopt again continues.
func (h *Host) Adopt(ctx context.Context, opts AdoptOptions) (*AdoptReport, error) {
	rep, svc, raw, err := h.proposeAdopt(opts)
	if err != nil {
		return nil, err
	}
	if opts.DryRun {
		return rep, nil
	}
	c, err := h.openCutover(ctx, rep, svc, raw, opts)
	if err != nil {
		return rep, err
	}
	defer c.close()
	return rep, c.run(ctx)
}

// proposeAdopt reads the units and settles the service file and the plan;
// it changes nothing.
func (h *Host) proposeAdopt(opts AdoptOptions) (*AdoptReport, *config.Service, []byte, error) {
	if len(opts.Units) == 0 {
		return nil, nil, nil, inputf("adopt needs the hand-written units, e.g. my-service-1.service my-service-2.service")
	}
	unitDir, err := h.unitDir()
	if err != nil {
		return nil, nil, nil, err
	}
	var units []adopt.Unit
	for _, u := range opts.Units {
		unit, err := h.readOldUnit(unitDir, u)
		if err != nil {
			return nil, nil, nil, err
		}
		units = append(units, unit)
	}
	prop, err := adopt.Propose(units, adopt.Options{Name: opts.Name})
	if err != nil {
		return nil, nil, nil, asInput(err)
	}
	raw := []byte(prop.ServiceFile())
	if opts.File != "" {
		if raw, err = config.ReadFile(opts.File); err != nil {
			return nil, nil, nil, asInput(err)
		}
	}
	file := opts.File
	if file == "" {
		file = "proposal.yaml"
	}
	svc, err := config.Parse(file, raw)
	if err == nil {
		err = svc.Validate()
	}
	if err != nil {
		return nil, nil, nil, asInput(fmt.Errorf("service file %s: %w", file, err))
	}
	var want []string
	for _, in := range prop.Instances {
		want = append(want, strconv.Itoa(in.Port))
	}
	if got := svc.InstanceNames(); !slices.Equal(sorted(got), sorted(want)) {
		return nil, nil, nil, inputf("%s: instances %v, but the units run on ports %v: adopt moves each old unit onto the instance on its port; make them the same", file, got, want)
	}
	order, err := adopt.Order(prop.Instances)
	if err != nil {
		return nil, nil, nil, asInput(err)
	}
	stateDir, err := h.serviceDir(svc.Name)
	if err != nil {
		return nil, nil, nil, err
	}
	rep := &AdoptReport{Service: svc.Name, DryRun: opts.DryRun, Proposal: prop, ServiceFile: string(raw), Order: order,
		Artifact: opts.Artifact, Balancer: balancerName(svc), Backup: filepath.Join(stateDir, adoptDir)}
	if rep.Artifact == "" {
		rep.Artifact = prop.Binary
	}
	return rep, svc, raw, nil
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

// balancerName says how instances leave traffic during their cutover.
func balancerName(svc *config.Service) string {
	var b []string
	if svc.Rollout.HAProxy != nil {
		b = append(b, "haproxy")
	}
	if svc.Hooks.PreStop != "" || svc.Hooks.PostStart != "" {
		b = append(b, "hooks")
	}
	if len(b) == 0 {
		return "none"
	}
	return strings.Join(b, "+")
}

// readOldUnit reads a unit given by path, or by name from the unit dir; a
// unit an interrupted adopt already moved aside is read from its backup.
func (h *Host) readOldUnit(unitDir, arg string) (adopt.Unit, error) {
	path := arg
	if !strings.Contains(arg, "/") {
		path = filepath.Join(unitDir, arg)
	}
	if !strings.HasSuffix(path, ".service") {
		return adopt.Unit{}, inputf("%s: not a .service unit", arg)
	}
	b, err := safeio.ReadFile(path, config.MaxFileSize)
	if errors.Is(err, fs.ErrNotExist) {
		if root, rerr := h.stateRoot(); rerr == nil {
			if ms, _ := filepath.Glob(filepath.Join(root, "*", adoptDir, filepath.Base(path))); len(ms) == 1 {
				if b, err = safeio.ReadFile(ms[0], config.MaxFileSize); err == nil {
					return adopt.Unit{Path: path, Data: b}, nil
				}
			}
		}
		return adopt.Unit{}, inputf("unit %s: no such file (give the unit's file path, or a name in %s)", arg, unitDir)
	}
	if err != nil {
		return adopt.Unit{}, asInput(fmt.Errorf("unit %s: %w", arg, err))
	}
	return adopt.Unit{Path: path, Data: b}, nil
}

// cutover is one adopt in progress: the lock is held throughout.
type cutover struct {
	h        *Host
	rep      *AdoptReport
	svc      *config.Service
	raw      []byte
	opts     AdoptOptions
	store    *release.Store
	lock     *release.Lock
	m        systemd.Manager
	drainer  rollout.Drainer
	unitDir  string
	stateDir string
	state    *adoptState
}

func (c *cutover) close() {
	if c.lock != nil {
		_ = c.lock.Unlock()
	}
	if c.m != nil {
		_ = c.m.Close()
	}
}

func (c *cutover) say(format string, a ...any) {
	if c.opts.Progress != nil {
		c.opts.Progress(fmt.Sprintf(format, a...))
	}
}

// openCutover takes the deploy lock, reads the progress of an interrupted
// adopt and stages the first release.
func (h *Host) openCutover(ctx context.Context, rep *AdoptReport, svc *config.Service, raw []byte, opts AdoptOptions) (*cutover, error) {
	c := &cutover{h: h, rep: rep, svc: svc, raw: raw, opts: opts}
	var err error
	if c.unitDir, err = h.unitDir(); err != nil {
		return nil, err
	}
	if c.stateDir, err = h.serviceDir(svc.Name); err != nil {
		return nil, err
	}
	if c.state, err = readAdoptState(c.stateDir); err != nil {
		return nil, err
	}
	if c.state == nil {
		// A service sysroll already runs is not adopted over: its
		// instances would be moved under its own rollouts' feet.
		if ok, _ := missing(filepath.Join(c.stateDir, appliedServiceFile)); !ok {
			return nil, inputf("service %s is already installed by sysroll (%s): adopt migrates hand-written units onto a new service; pick another --name", svc.Name, filepath.Join(c.stateDir, appliedServiceFile))
		}
	}
	if c.store, err = release.Open(c.stateDir); err != nil {
		return nil, err
	}
	if c.lock, err = h.lock(c.store); err != nil {
		return nil, err
	}
	if c.m, err = h.connect(ctx); err != nil {
		c.close()
		return nil, err
	}
	if c.state == nil {
		c.state = &adoptState{Service: svc.Name}
	}
	// Staged every time: the same artifact is the same release, and a
	// rerun after a failed gate may bring a fixed one.
	{
		rel, err := c.store.Stage(ctx, rep.Artifact, release.StageOptions{Version: opts.Version, As: opts.As, Program: program(svc.Command)})
		if err != nil {
			c.close()
			return nil, asInput(fmt.Errorf("first release from %s rejected, nothing changed: %w", rep.Artifact, err))
		}
		c.state.Release = rel.Version
		c.say("staged release %s from %s", rel.Version, rep.Artifact)
	}
	rep.Release = c.state.Release
	c.drainer = drainerFor(svc, c.store)
	if err := checkDrainer(ctx, c.drainer, svc.InstanceNames()); err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

// run cuts the instances over in order, then installs the whole service.
func (c *cutover) run(ctx context.Context) error {
	if err := c.state.save(c.stateDir); err != nil {
		return err
	}
	for _, in := range c.rep.Order {
		inst := strconv.Itoa(in.Port)
		switch c.state.phase(inst) {
		case phaseDone:
			u, err := c.m.Unit(ctx, unitfile.InstanceUnit(c.svc.Name, inst))
			if err == nil && u.Running() {
				c.say("%s: already on sysroll (an earlier adopt cut it over)", inst)
				c.rep.Resumed = append(c.rep.Resumed, inst)
				continue
			}
			c.say("%s: cut over earlier but %s is not running: putting the old unit back and cutting over again", inst, unitfile.InstanceUnit(c.svc.Name, inst))
			fallthrough
		case phaseStopped:
			if done, err := c.finishStopped(ctx, in); err != nil || done {
				if err != nil {
					return err
				}
				continue
			}
			if err := c.putBack(ctx, in, "an earlier adopt stopped here"); err != nil {
				return err
			}
		}
		if err := c.one(ctx, in); err != nil {
			return err
		}
	}
	// Every instance is on sysroll: install the service as `apply` would,
	// recording the service file, so every other verb knows it.
	if err := c.install(ctx, c.svc.InstanceNames(), true); err != nil {
		return fmt.Errorf("install %s after the cutover: %w", c.svc.Name, err)
	}
	if err := c.store.MarkGood(c.state.Release); err != nil {
		return err
	}
	c.state.Finished = true
	return c.state.save(c.stateDir)
}
