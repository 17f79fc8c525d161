package config

import (
	"reflect"
	"slices"
	"testing"
)

// Every relaxation is listed, and nothing that only tightens the sandbox.
func TestRelaxations(t *testing.T) {
	tests := []struct {
		name string
		edit func(s *Service)
		want []string
	}{
		{"defaults", func(*Service) {}, nil},
		{"tightening only", func(s *Service) {
			h := &s.Hardening
			h.PrivateNetwork, h.IPAddressAllow, h.AddressFamilies, h.UMask, h.ProtectHome = true, []string{"localhost"}, []string{"AF_UNIX"}, "0777", "tmpfs"
			s.ServiceExtra = Directives{"MemoryMax": {"1G"}, "Nice": {"5"}, "StandardOutput": {"journal"}, "ExecStartPre": {"-/bin/true"}}
		}, nil},
		{"hardening", func(s *Service) {
			s.User = "web" // a static user may relax what a dynamic one always has
			h := &s.Hardening
			h.ProtectSystem, h.ProtectHome, h.PrivateTmp, h.NoNewPrivileges = "full", "read-only", false, false
			h.MemoryDenyWriteExecute, h.SystemCallFilter, h.ProcSubset = false, false, "all"
			h.Capabilities, h.AddressFamilies, h.UMask = []string{"CAP_NET_BIND_SERVICE"}, []string{"AF_INET", "AF_UNIX", "AF_NETLINK"}, "0027"
		}, []string{
			"hardening.protect_system: full (default strict)",
			"hardening.protect_home: read-only (default yes)",
			"hardening.private_tmp: false (default true)",
			"hardening.no_new_privileges: false (default true)",
			"hardening.system_call_filter: false (default true)",
			"hardening.memory_deny_write_execute: false (default true)",
			"hardening.proc_subset: all (default pid)",
			"hardening.capabilities: CAP_NET_BIND_SERVICE (default none)",
			"hardening.address_families: adds AF_NETLINK (default AF_INET AF_INET6 AF_UNIX)",
			"hardening.umask: 0027 (default 0077)",
		}},
		{"raw, allowed", func(s *Service) {
			s.Hardening.AllowRaw = []string{"ExecStopPost", "SupplementaryGroups", "FailureAction"}
			s.UnitExtra = Directives{"FailureAction": {"reboot"}}
			s.ServiceExtra = Directives{"ExecStopPost": {"/bin/a", "!!/bin/b"}, "SupplementaryGroups": {"shadow"}}
		}, []string{
			"unit.FailureAction: reboot (" + sandboxKeys["FailureAction"].why + ")",
			"service.ExecStopPost: !!/bin/b (" + privilegeWhy + ")",
			"service.SupplementaryGroups: shadow (" + sandboxKeys["SupplementaryGroups"].why + ")",
		}},
	}
	for _, tt := range tests {
		s := withExtras(nil, nil)
		tt.edit(s)
		if err := s.Validate(); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var got []string
		for _, r := range s.Relaxations() {
			got = append(got, r.String())
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

// A key the table does not know, let through by allow_raw, is listed: sysroll
// could not judge what it grants.
func TestRelaxationsListANewerSystemdsKey(t *testing.T) {
	s := withExtras(nil, one("OpenFile", "/etc/x:x"), "OpenFile")
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	want := Relaxation{Field: "service.OpenFile", Value: "/etc/x:x", Note: unknownKeyNote}
	if !slices.Contains(s.Relaxations(), want) {
		t.Errorf("relaxations %v lack %v", s.Relaxations(), want)
	}
}
