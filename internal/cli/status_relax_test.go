package cli

import (
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/schema"
)

// Plain status lists the relaxations of the sandbox, one per line.
func TestPrintStatusRelaxations(t *testing.T) {
	st := &schema.Status{Service: "hello", Target: "active/active", Instances: []schema.InstanceStatus{},
		Relaxations: []schema.Relaxation{
			{Field: "hardening.memory_deny_write_execute", Value: "false", Note: "default true"},
			{Field: "service.ExecStartPre", Value: "+/usr/bin/setup", Note: "runs the command as root"},
		}}
	var b strings.Builder
	printStatus(&b, st)
	for _, want := range []string{
		"relaxed sandbox (from the service file):\n",
		"  hardening.memory_deny_write_execute: false (default true)\n",
		"  service.ExecStartPre: +/usr/bin/setup (runs the command as root)\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, b.String())
		}
	}
	st.Relaxations = nil
	b.Reset()
	printStatus(&b, st)
	if strings.Contains(b.String(), "relaxed") {
		t.Errorf("status without relaxations mentions them:\n%s", b.String())
	}
}

// The list of services says which have a relaxed sandbox.
func TestPrintServicesRelaxations(t *testing.T) {
	var b strings.Builder
	g := &globals{stdout: &b}
	all := &schema.Services{Services: []*schema.Status{
		{Service: "plain", Target: "active/active", Instances: []schema.InstanceStatus{}},
		{Service: "loose", Target: "active/active", Instances: []schema.InstanceStatus{},
			Relaxations: []schema.Relaxation{{Field: "hardening.umask", Value: "0022", Note: "default 0077"}}},
	}}
	if err := printServices(g, all); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(line, "plain") && strings.Contains(line, "relaxed") ||
			strings.HasPrefix(line, "loose") && !strings.Contains(line, "sandbox relaxed (1)") {
			t.Errorf("line %q", line)
		}
	}
	if !strings.Contains(b.String(), "sandbox relaxed (1)") {
		t.Errorf("no relaxation note:\n%s", b.String())
	}
}
