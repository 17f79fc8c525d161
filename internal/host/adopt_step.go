package host

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sysroll/sysroll/internal/adopt"
	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/health"
	"github.com/sysroll/sysroll/internal/install"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/safeio"
	"github.com/sysroll/sysroll/internal/systemd"
	"github.com/sysroll/sysroll/internal/unitfile"
)

// one cuts one instance over: drain, stop and disable the old unit (its
// file moved to the backup dir), start NAME@PORT on the first release,
// gate, undrain. A failure puts the old unit back.
func (c *cutover) one(ctx context.Context, in adopt.Instance) error {
	inst := strconv.Itoa(in.Port)
	newUnit := unitfile.InstanceUnit(c.svc.Name, inst)
	balanced := c.rep.Balancer != "none"
	if balanced {
		c.say("%s: drain", inst)
		if err := c.drainer.Drain(ctx, inst); err != nil {
			_ = c.drainer.Undrain(context.WithoutCancel(ctx), inst)
			return fmt.Errorf("%s: drain: %w (the old unit %s still serves)", inst, err, in.Unit)
		}
	}
	enabled := c.enabled(in.Unit)
	c.state.set(inst, phaseStopped, enabled)
	if err := c.state.save(c.stateDir); err != nil {
		return err
	}
	stopAt := time.Now()
	if err := c.m.Stop(ctx, in.Unit); err != nil {
		return c.fail(ctx, in, fmt.Errorf("stop %s: %w", in.Unit, err))
	}
	if enabled {
		if err := c.m.DisableUnits(ctx, in.Unit); err != nil {
			return c.fail(ctx, in, fmt.Errorf("disable %s: %w", in.Unit, err))
		}
	}
	kept, err := c.moveAside(in)
	if err != nil {
		return c.fail(ctx, in, err)
	}
	if err := c.m.Reload(ctx); err != nil {
		return c.fail(ctx, in, err)
	}
	c.say("%s: stopped %s%s; its file is kept in %s", inst, in.Unit, map[bool]string{true: " and disabled it", false: ""}[enabled], kept)
	c.say("%s: start %s on release %s", inst, newUnit, c.state.Release)
	if err := c.install(ctx, append(c.state.done(), inst), false); err != nil {
		return c.fail(ctx, in, err)
	}
	g := gateFor(c.svc).WithDefaults()
	if at, ok := acceptedAt(ctx, in.Port, stopAt.Add(g.Deadline)); ok {
		w := at.Sub(stopAt)
		c.rep.Windows = append(c.rep.Windows, AdoptWindow{Port: in.Port, Seconds: w.Seconds()})
		if balanced {
			c.say("%s: not accepting for %.2f s (drained meanwhile)", inst, w.Seconds())
		} else {
			c.say("%s: not accepting for %.2f s", inst, w.Seconds())
		}
	}
	res, err := gateFor(c.svc).Wait(ctx, c.unitFunc(newUnit), probesFor(c.svc, c.store)(inst))
	if err != nil {
		return c.fail(ctx, in, fmt.Errorf("gate: %w (%s)", err, res.Summary()))
	}
	c.say("%s: healthy: %s", inst, res.Summary())
	if balanced {
		c.say("%s: undrain", inst)
		if err := c.drainer.Undrain(ctx, inst); err != nil {
			return c.fail(ctx, in, fmt.Errorf("undrain: %w", err))
		}
	}
	c.state.set(inst, phaseDone, enabled)
	return c.state.save(c.stateDir)
}

// finishStopped completes the step an interrupted adopt was killed in when
// its new instance runs and passes the gate: the old unit is made sure
// stopped, disabled and moved aside, the instance undrained. done is false
// when the new instance is not there or not healthy (the caller then puts
// the old unit back and redoes the step).
func (c *cutover) finishStopped(ctx context.Context, in adopt.Instance) (done bool, err error) {
	inst := strconv.Itoa(in.Port)
	newUnit := unitfile.InstanceUnit(c.svc.Name, inst)
	if !slices.Contains(c.installed(), inst) {
		return false, nil
	}
	if u, err := c.m.Unit(ctx, newUnit); err != nil || !u.Running() {
		return false, nil
	}
	if _, err := gateFor(c.svc).Wait(ctx, c.unitFunc(newUnit), probesFor(c.svc, c.store)(inst)); err != nil {
		return false, nil
	}
	enabled := c.state.Instances[inst].Enabled
	// The kill may have come anywhere after the old unit's stop: finish
	// what is left of it (a unit no longer loaded cannot be stopped).
	if old, err := c.m.Unit(ctx, in.Unit); err == nil && old.LoadState == "loaded" {
		if err := c.m.Stop(ctx, in.Unit); err != nil {
			return false, err
		}
	}
	if _, err := os.Stat(in.Path); err == nil {
		if enabled {
			if err := c.m.DisableUnits(ctx, in.Unit); err != nil {
				return false, err
			}
		}
		if _, err := c.moveAside(in); err != nil {
			return false, err
		}
		if err := c.m.Reload(ctx); err != nil {
			return false, err
		}
	}
	if c.rep.Balancer != "none" {
		if err := c.drainer.Undrain(ctx, inst); err != nil {
			return false, err
		}
	}
	c.say("%s: %s was started by an earlier adopt and is healthy: its step is finished", inst, newUnit)
	c.rep.Resumed = append(c.rep.Resumed, inst)
	c.state.set(inst, phaseDone, enabled)
	return true, c.state.save(c.stateDir)
}

// installed lists the instances the sysroll units were last installed
// with (applied.json), so a resumed step knows whether its new instance
// is part of them.
func (c *cutover) installed() []string {
	var a struct {
		Instances []string `json:"instances"`
	}
	if err := release.ReadStateFile("installed-units list", filepath.Join(c.stateDir, "applied.json"), 1<<20, &a); err != nil {
		return nil
	}
	return a.Instances
}

// fail puts the old unit back after a failed cutover step and says what
// failed, with the new instance's last journal lines.
func (c *cutover) fail(ctx context.Context, in adopt.Instance, cause error) error {
	ctx = context.WithoutCancel(ctx) // an interrupt must not leave the port dead
	inst := strconv.Itoa(in.Port)
	newUnit := unitfile.InstanceUnit(c.svc.Name, inst)
	var logs string
	if lines := c.h.logs()(ctx, newUnit, 10); len(lines) > 0 {
		logs = "\n  last lines of " + newUnit + ":\n    " + strings.Join(lines, "\n    ")
	}
	c.say("%s: %v: putting %s back", inst, cause, in.Unit)
	if err := c.putBack(ctx, in, "after the failure above"); err != nil {
		return fmt.Errorf("adopt %s: instance %s failed (%w) and putting %s back failed too: %w; its file is in %s%s",
			c.svc.Name, inst, cause, in.Unit, err, c.rep.Backup, logs)
	}
	done := c.state.done()
	stay := "none"
	if len(done) > 0 {
		stay = strings.Join(done, ", ") + " (they stay on sysroll)"
	}
	back := "is back and serving"
	if c.state.Instances[inst].Enabled {
		back = "is back, enabled again and serving"
	}
	return fmt.Errorf("adopt %s: instance %s failed: %w; %s %s; already cut over: %s; fix the release or service file and run adopt again to continue%s",
		c.svc.Name, inst, cause, in.Unit, back, stay, logs)
}

// putBack undoes one instance's cutover: NAME@PORT stopped and dropped,
// the old unit's file restored, enabled if it was, started and checked.
func (c *cutover) putBack(ctx context.Context, in adopt.Instance, why string) error {
	inst := strconv.Itoa(in.Port)
	enabled := c.state.Instances[inst].Enabled
	done := c.state.done()
	if len(done) == 0 {
		// Nothing is on sysroll yet: its units go entirely, as before.
		ins := &install.Installer{Manager: c.m, UnitDir: c.unitDir, StateDir: c.stateDir}
		if err := ins.Uninstall(ctx, c.svc.Name, false); err != nil {
			return err
		}
	} else if err := c.install(ctx, done, false); err != nil {
		return err
	}
	if err := c.restoreFile(in); err != nil {
		return err
	}
	if err := c.m.Reload(ctx); err != nil {
		return err
	}
	if enabled {
		if err := c.m.EnableUnits(ctx, in.Unit); err != nil {
			return err
		}
	}
	_ = c.m.ResetFailed(ctx, in.Unit)
	if err := c.m.Start(ctx, in.Unit); err != nil {
		return err
	}
	if _, err := gateFor(c.svc).Wait(ctx, c.unitFunc(in.Unit), probesFor(c.svc, c.store)(inst)); err != nil {
		return fmt.Errorf("%s started again but is not healthy: %w", in.Unit, err)
	}
	if c.rep.Balancer != "none" {
		if err := c.drainer.Undrain(ctx, inst); err != nil {
			return err
		}
	}
	c.say("%s: %s is back and healthy (%s)", inst, in.Unit, why)
	c.state.set(inst, phasePending, enabled)
	return c.state.save(c.stateDir)
}

// install converges the sysroll units to the instances given: the others
// are not in the target yet, so starting it starts none of them.
func (c *cutover) install(ctx context.Context, insts []string, final bool) error {
	sub := *c.svc
	sub.Instances = config.Instances{List: insts}
	files, _, err := c.h.render(&sub)
	if err != nil {
		return err
	}
	ins := &install.Installer{Manager: c.m, UnitDir: c.unitDir, StateDir: c.stateDir,
		Prepare: func(_ context.Context, inst string) error {
			if cur, err := c.store.Current(inst); err == nil && cur == c.state.Release {
				return nil
			}
			return c.store.Switch(inst, c.state.Release)
		}}
	if final {
		ins.Installed = func(context.Context) error {
			return release.WriteFileAtomic(filepath.Join(c.stateDir, appliedServiceFile), c.raw, 0o644)
		}
	}
	plan, err := ins.Plan(ctx, desired(&sub, files))
	if err != nil {
		return err
	}
	return ins.Apply(ctx, plan)
}

func (c *cutover) unitFunc(unit string) health.UnitFunc {
	return func(ctx context.Context) (systemd.UnitState, error) { return c.m.Unit(ctx, unit) }
}

// enabled says whether unit is enabled: linked from a .wants or .requires
// directory of the unit dir.
func (c *cutover) enabled(unit string) bool {
	for _, pat := range []string{"*.wants", "*.requires"} {
		if ms, _ := filepath.Glob(filepath.Join(c.unitDir, pat, unit)); len(ms) > 0 {
			return true
		}
	}
	return false
}

// moveAside copies the old unit's file into the backup dir, then removes
// it, so systemd forgets the unit at the next reload.
func (c *cutover) moveAside(in adopt.Instance) (string, error) {
	dst := filepath.Join(c.stateDir, adoptDir, in.Unit)
	b, err := safeio.ReadFile(in.Path, config.MaxFileSize)
	if errors.Is(err, os.ErrNotExist) {
		if _, serr := os.Stat(dst); serr == nil {
			return dst, nil // moved by an earlier, interrupted adopt
		}
	}
	if err != nil {
		return "", fmt.Errorf("back up %s: %w", in.Path, err)
	}
	if err := release.SecureDir(filepath.Dir(dst)); err != nil {
		return "", err
	}
	if err := release.WriteFileAtomic(dst, b, 0o644); err != nil {
		return "", fmt.Errorf("back up %s: %w", in.Path, err)
	}
	if err := os.Remove(in.Path); err != nil {
		return "", fmt.Errorf("remove %s (backed up to %s): %w", in.Path, dst, err)
	}
	return dst, nil
}

// restoreFile puts the old unit's file back where it was.
func (c *cutover) restoreFile(in adopt.Instance) error {
	if _, err := os.Stat(in.Path); err == nil {
		return nil
	}
	src := filepath.Join(c.stateDir, adoptDir, in.Unit)
	b, err := safeio.ReadFile(src, config.MaxFileSize)
	if err != nil {
		return fmt.Errorf("restore %s from %s: %w", in.Path, src, err)
	}
	if err := release.WriteFileAtomic(in.Path, b, 0o644); err != nil {
		return fmt.Errorf("restore %s from %s: %w", in.Path, src, err)
	}
	return nil
}

// acceptedAt is firstAccept; the fake-systemd tests, where nothing
// listens, replace it.
var acceptedAt = firstAccept

// firstAccept polls 127.0.0.1:port until a connection is accepted, and
// returns when; ok is false if none was by the deadline.
func firstAccept(ctx context.Context, port int, deadline time.Time) (time.Time, bool) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for time.Now().Before(deadline) && ctx.Err() == nil {
		conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			conn.Close()
			return time.Now(), true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Time{}, false
}
