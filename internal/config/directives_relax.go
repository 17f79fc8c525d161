package config

import (
	"slices"
	"strconv"
	"strings"
)

// Relaxation is one way a service file widens sysroll's default sandbox: a
// hardening: setting weaker than its default, or a raw unit:/service: value
// that hardening.allow_raw lets through. `sysroll render` writes them into
// the instance unit and `sysroll status` shows them, so a relaxation is never
// only in a file nobody reads.
type Relaxation struct {
	// Field is where it comes from: "hardening.memory_deny_write_execute",
	// "service.ExecStartPre".
	Field string `json:"field"`
	// Value is what the field says.
	Value string `json:"value"`
	// Note is the default it replaces, or what the raw value grants.
	Note string `json:"note"`
}

func (r Relaxation) String() string { return r.Field + ": " + r.Value + " (" + r.Note + ")" }

// Relaxations lists every relaxation of s, hardening: first (in field order),
// then unit: and service: by key. s must be valid.
func (s *Service) Relaxations() []Relaxation {
	out := hardeningRelaxations(s.Hardening)
	for _, sec := range []struct {
		field string
		d     Directives
	}{{"unit", s.UnitExtra}, {"service", s.ServiceExtra}} {
		for _, k := range sortedDirectiveKeys(sec.d) {
			for _, v := range sec.d[k] {
				if !knownKey("Unit", k) && !knownKey("Service", k) {
					out = append(out, Relaxation{Field: sec.field + "." + k, Value: v, Note: unknownKeyNote})
					continue
				}
				if why, weak := weakens(k, v); weak {
					out = append(out, Relaxation{Field: sec.field + "." + k, Value: v, Note: why})
				}
				if _, priv := privilegedPrefix(v); priv && slices.Contains(execKeys, k) {
					out = append(out, Relaxation{Field: sec.field + "." + k, Value: v, Note: privilegeWhy})
				}
			}
		}
	}
	return out
}

// unknownKeyNote is the relaxation note of a key systemd SystemdVersion does
// not read, let through by hardening.allow_raw for a newer systemd.
var unknownKeyNote = "not a key of systemd " + SystemdVersion + ": allowed unjudged for a newer systemd"

func sortedDirectiveKeys(d Directives) []string {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// hardeningRelaxations compares h with DefaultHardening. Settings that only
// tighten the sandbox (private_network: true, ip_address_allow, fewer
// address families, a stricter umask, protect_home: tmpfs) are not
// relaxations.
func hardeningRelaxations(h Hardening) []Relaxation {
	d := DefaultHardening()
	var out []Relaxation
	add := func(field, value, def string) {
		out = append(out, Relaxation{Field: "hardening." + field, Value: value, Note: "default " + def})
	}
	mode := func(field string, v, def Mode, asStrict ...Mode) {
		if v != def && !slices.Contains(asStrict, v) {
			add(field, string(v), string(def))
		}
	}
	mode("protect_system", h.ProtectSystem, d.ProtectSystem)
	mode("protect_home", h.ProtectHome, d.ProtectHome, "tmpfs")
	// Each of these is strict when true.
	for _, b := range []struct {
		field  string
		v, def bool
	}{
		{"private_tmp", h.PrivateTmp, d.PrivateTmp},
		{"private_devices", h.PrivateDevices, d.PrivateDevices},
		{"private_users", h.PrivateUsers, d.PrivateUsers},
		{"private_mounts", h.PrivateMounts, d.PrivateMounts},
		{"protect_kernel", h.ProtectKernel, d.ProtectKernel},
		{"protect_control_groups", h.ProtectControlGroups, d.ProtectControlGroups},
		{"protect_clock", h.ProtectClock, d.ProtectClock},
		{"protect_hostname", h.ProtectHostname, d.ProtectHostname},
		{"no_new_privileges", h.NoNewPrivileges, d.NoNewPrivileges},
		{"system_call_filter", h.SystemCallFilter, d.SystemCallFilter},
		{"memory_deny_write_execute", h.MemoryDenyWriteExecute, d.MemoryDenyWriteExecute},
		{"lock_personality", h.LockPersonality, d.LockPersonality},
		{"restrict_namespaces", h.RestrictNamespaces, d.RestrictNamespaces},
		{"restrict_realtime", h.RestrictRealtime, d.RestrictRealtime},
		{"restrict_suid_sgid", h.RestrictSUIDSGID, d.RestrictSUIDSGID},
	} {
		if b.def && !b.v {
			add(b.field, strconv.FormatBool(b.v), strconv.FormatBool(b.def))
		}
	}
	mode("protect_proc", Mode(h.ProtectProc), Mode(d.ProtectProc))
	mode("proc_subset", Mode(h.ProcSubset), Mode(d.ProcSubset))
	if len(h.Capabilities) > 0 {
		add("capabilities", strings.Join(h.Capabilities, " "), "none")
	}
	if extra := notIn(h.AddressFamilies, d.AddressFamilies); len(extra) > 0 {
		add("address_families", "adds "+strings.Join(extra, " "), strings.Join(d.AddressFamilies, " "))
	}
	if h.SystemCallFilter && len(h.SystemCallAllow) > 0 {
		add("system_call_allow", strings.Join(h.SystemCallAllow, " "), "none")
	}
	if looserUMask(h.UMask, d.UMask) {
		add("umask", h.UMask, d.UMask)
	}
	return out
}

func notIn(list, base []string) []string {
	var out []string
	for _, v := range list {
		if !slices.Contains(base, v) {
			out = append(out, v)
		}
	}
	return out
}

// looserUMask: v masks fewer permission bits than def.
func looserUMask(v, def string) bool {
	a, err1 := strconv.ParseUint(v, 8, 32)
	b, err2 := strconv.ParseUint(def, 8, 32)
	return err1 == nil && err2 == nil && b&^a != 0
}
