//go:build integration

package systemd_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/systemd"
)

// Units reads many instances of a template in one call, each with its own
// state; stopped instances are unloaded and absent.
func TestUnitsGlob(t *testing.T) {
	c, m, ctx := connect(t)
	const tpl = "sysroll-it-tpl@.service"
	install(t, c, m, map[string]string{
		tpl: "[Service]\nExecStart=/bin/sh -c 'if [ %i = 18003 ]; then exit 3; fi; exec sleep infinity'\n",
	})
	for _, port := range []string{"18001", "18002", "18003", "18004"} {
		if err := m.Start(ctx, "sysroll-it-tpl@"+port+".service"); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Stop(ctx, "sysroll-it-tpl@18004.service"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, m, "sysroll-it-tpl@18003.service", 5*time.Second, "failed", func(u systemd.UnitState) bool { return u.ActiveState == systemd.Failed })

	got, err := m.Units(ctx, "sysroll-it-tpl@*.service")
	if err != nil {
		t.Fatal(err)
	}
	type state struct {
		name   string
		active systemd.ActiveState
		sub    string
	}
	var short []state
	for _, u := range got {
		short = append(short, state{u.Name, u.ActiveState, u.SubState})
		if u.Running() && (u.MainPID == 0 || u.InvocationID == "") {
			t.Errorf("%s runs without MainPID or InvocationID: %+v", u.Name, u)
		}
	}
	want := []state{
		{"sysroll-it-tpl@18001.service", systemd.Active, "running"},
		{"sysroll-it-tpl@18002.service", systemd.Active, "running"},
		{"sysroll-it-tpl@18003.service", systemd.Failed, "failed"},
	}
	if len(short) != len(want) {
		t.Fatalf("Units = %+v, want %+v", short, want)
	}
	for i := range want {
		if short[i] != want[i] {
			t.Errorf("Units[%d] = %+v, want %+v", i, short[i], want[i])
		}
	}

	// Several patterns are a union; no match is an empty answer.
	if got, err := m.Units(ctx, "sysroll-it-tpl@18001.service", "sysroll-it-tpl@18002.service"); err != nil || len(got) != 2 {
		t.Errorf("two exact patterns: %d units, %v", len(got), err)
	}
	if got, err := m.Units(ctx, "sysroll-it-nothing@*.service"); err != nil || len(got) != 0 {
		t.Errorf("no match: %+v, %v", got, err)
	}
}

// Units answers for many instances in about the time of one.
func TestUnitsManyInstances(t *testing.T) {
	c, m, ctx := connect(t)
	install(t, c, m, map[string]string{"sysroll-it-many@.service": sleeper})
	const n = 30
	for i := range n {
		if err := m.Start(ctx, "sysroll-it-many@"+string(rune('a'+i/26))+string(rune('a'+i%26))+".service"); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	got, err := m.Units(ctx, "sysroll-it-many@*.service")
	took := time.Since(start)
	if err != nil || len(got) != n {
		t.Fatalf("Units: %d units, %v; want %d", len(got), err, n)
	}
	t.Logf("Units over %d running instances took %s", n, took)
}

func TestUnitNotFound(t *testing.T) {
	_, m, ctx := connect(t)
	u, err := m.Unit(ctx, "sysroll-it-does-not-exist.service")
	if err != nil {
		t.Fatal(err)
	}
	if u.LoadState != "not-found" || u.ActiveState != systemd.Inactive || u.MainPID != 0 || u.Name != "sysroll-it-does-not-exist.service" {
		t.Errorf("Unit of a missing unit: %+v", u)
	}
	// Units lists loaded units only.
	if got, err := m.Units(ctx, "sysroll-it-does-not-exist.service"); err != nil || len(got) != 0 {
		t.Errorf("Units of a missing unit: %+v, %v; want none", got, err)
	}
}

func TestEnableDisable(t *testing.T) {
	c, m, ctx := connect(t)
	const tpl, inst, plain = "sysroll-it-enable@.service", "sysroll-it-enable@18010.service", "sysroll-it-enable.service"
	body := sleeper + "[Install]\nWantedBy=multi-user.target\n"
	install(t, c, m, map[string]string{tpl: body, plain: body})

	link := func(u string) string { return c.Path(unitDir + "multi-user.target.wants/" + u) }
	isEnabled := func(u string) string {
		out, _ := c.Exec(ctx, "systemctl", "is-enabled", u)
		return strings.TrimSpace(string(out))
	}
	if err := m.EnableUnits(ctx, inst, plain); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{inst, plain} {
		if _, err := os.Lstat(link(u)); err != nil {
			t.Errorf("after EnableUnits: %v", err)
		}
		if got := isEnabled(u); got != "enabled" {
			t.Errorf("systemctl is-enabled %s = %q after EnableUnits", u, got)
		}
	}
	if err := m.DisableUnits(ctx, inst, plain); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{inst, plain} {
		if _, err := os.Lstat(link(u)); err == nil {
			t.Errorf("%s still linked after DisableUnits", u)
		}
		if got := isEnabled(u); got != "disabled" {
			t.Errorf("systemctl is-enabled %s = %q after DisableUnits", u, got)
		}
	}
	if err := m.EnableUnits(ctx, "sysroll-it-enable-missing.service"); err == nil {
		t.Error("EnableUnits of a missing unit file: no error")
	}
	if err := m.EnableUnits(ctx); err != nil {
		t.Errorf("EnableUnits of nothing: %v", err)
	}
}

func TestResetFailed(t *testing.T) {
	c, m, ctx := connect(t)
	const name = "sysroll-it-resetfailed.service"
	install(t, c, m, map[string]string{name: "[Service]\nType=oneshot\nExecStart=/bin/false\n"})
	if err := m.Start(ctx, name); err == nil {
		t.Fatal("Start of /bin/false succeeded")
	}
	if err := m.ResetFailed(ctx, name); err != nil {
		t.Fatal(err)
	}
	if u := unit(t, ctx, m, name); u.ActiveState != systemd.Inactive {
		t.Errorf("after ResetFailed: %+v", u)
	}
	if err := m.ResetFailed(ctx, "sysroll-it-never-loaded.service"); err != nil {
		t.Errorf("ResetFailed of an unknown unit: %v", err)
	}
}

// States reads the states of named units in one call, loaded or not.
func TestStates(t *testing.T) {
	c, m, ctx := connect(t)
	install(t, c, m, map[string]string{
		"sysroll-it-states@.service": "[Service]\nExecStart=/bin/sh -c 'if [ %i = 18052 ]; then exit 3; fi; exec sleep infinity'\n",
	})
	for _, port := range []string{"18051", "18052"} {
		if err := m.Start(ctx, "sysroll-it-states@"+port+".service"); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, ctx, m, "sysroll-it-states@18052.service", 5*time.Second, "failed", func(u systemd.UnitState) bool { return u.ActiveState == systemd.Failed })
	got, err := m.States(ctx, "sysroll-it-states@18051.service", "sysroll-it-states@18052.service", "sysroll-it-none.service")
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]systemd.UnitState{}
	for _, u := range got {
		byName[u.Name] = u
	}
	if u := byName["sysroll-it-states@18051.service"]; !u.Running() {
		t.Errorf("18051 = %+v, want active/running", u)
	}
	if u := byName["sysroll-it-states@18052.service"]; u.ActiveState != systemd.Failed {
		t.Errorf("18052 = %+v, want failed", u)
	}
	if u, ok := byName["sysroll-it-none.service"]; ok && u.LoadState != "not-found" {
		t.Errorf("missing unit = %+v, want absent or not-found", u)
	}
}
