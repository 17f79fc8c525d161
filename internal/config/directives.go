package config

import (
	"slices"
	"strings"
)

// managedKeys are unit file settings sysroll writes from a dedicated field of the
// service file. Setting one through unit: or service: would fight that field (or
// silently weaken the sandbox), so Validate points at the field instead.
var managedKeys = map[string]string{
	// [Unit]
	"Description": "set description instead",
	"PartOf":      "every instance is PartOf=NAME.target: that is how the group works",
	// [Service]
	"Type":             "set type instead",
	"ExecStart":        "set command instead",
	"User":             "set user instead",
	"Group":            "set group instead",
	"DynamicUser":      "set user instead (empty means DynamicUser=yes)",
	"Environment":      "set environment instead",
	"EnvironmentFile":  "set environment_files instead",
	"WorkingDirectory": "set working_directory instead",
	"Sockets":          "set listen instead",
	"RestartSec":       "set restart_sec instead",
	"TimeoutStopSec":   "set stop_timeout instead",
	// Sandbox: all through hardening:, so the rendered unit is what the file says.
	"ProtectSystem":           "set hardening.protect_system instead",
	"ProtectHome":             "set hardening.protect_home instead",
	"PrivateTmp":              "set hardening.private_tmp instead",
	"PrivateDevices":          "set hardening.private_devices instead",
	"DevicePolicy":            "set hardening.private_devices instead",
	"PrivateUsers":            "set hardening.private_users instead",
	"PrivateNetwork":          "set hardening.private_network instead",
	"PrivateMounts":           "set hardening.private_mounts instead",
	"ProtectKernelTunables":   "set hardening.protect_kernel instead",
	"ProtectKernelModules":    "set hardening.protect_kernel instead",
	"ProtectKernelLogs":       "set hardening.protect_kernel instead",
	"ProtectControlGroups":    "set hardening.protect_control_groups instead",
	"ProtectClock":            "set hardening.protect_clock instead",
	"ProtectHostname":         "set hardening.protect_hostname instead",
	"ProtectProc":             "set hardening.protect_proc instead",
	"ProcSubset":              "set hardening.proc_subset instead",
	"NoNewPrivileges":         "set hardening.no_new_privileges instead",
	"CapabilityBoundingSet":   "set hardening.capabilities instead",
	"AmbientCapabilities":     "set hardening.capabilities instead",
	"RestrictAddressFamilies": "set hardening.address_families instead",
	"IPAddressAllow":          "set hardening.ip_address_allow instead",
	"IPAddressDeny":           "set hardening.ip_address_allow instead",
	"SystemCallFilter":        "set hardening.system_call_filter and hardening.system_call_allow instead",
	"SystemCallErrorNumber":   "set hardening.system_call_filter instead",
	"SystemCallArchitectures": "set hardening.system_call_filter instead",
	"MemoryDenyWriteExecute":  "set hardening.memory_deny_write_execute instead",
	"LockPersonality":         "set hardening.lock_personality instead",
	"RestrictNamespaces":      "set hardening.restrict_namespaces instead",
	"RestrictRealtime":        "set hardening.restrict_realtime instead",
	"RestrictSUIDSGID":        "set hardening.restrict_suid_sgid instead",
	"UMask":                   "set hardening.umask instead",
}

// OverridableUnitKeys and OverridableServiceKeys are settings sysroll writes with
// a default that an extra setting of the same key replaces (rather than adds to).
var (
	OverridableUnitKeys    = []string{"StartLimitBurst", "StartLimitIntervalSec"}
	OverridableServiceKeys = []string{"KillMode", "NotifyAccess", "Restart", "TimeoutStartSec"}
)

// unitOnlyKeys belong in [Unit]; in [Service] systemd ignores them with a
// warning (the guide's PartOf= in [Service] never worked).
var unitOnlyKeys = []string{
	"After", "Before", "BindsTo", "Conflicts", "Documentation", "JoinsNamespaceOf",
	"OnFailure", "OnSuccess", "PropagatesReloadTo", "ReloadPropagatedFrom", "Requires",
	"RequiresMountsFor", "Requisite", "Upholds", "Wants", "DefaultDependencies",
	"StartLimitBurst", "StartLimitIntervalSec", "StartLimitAction", "StopWhenUnneeded",
	"RefuseManualStart", "RefuseManualStop", "AllowIsolate", "JobTimeoutSec",
	"FailureAction", "SuccessAction", "CollectMode", "IgnoreOnIsolate",
}

// serviceOnlyPrefixes start settings that belong in [Service], never in [Unit].
var serviceOnlyPrefixes = []string{
	"Exec", "Restart", "Timeout", "Kill", "Memory", "CPU", "IO", "Limit", "Protect",
	"Private", "Restrict", "Runtime", "State", "Cache", "Logs", "Configuration",
	"ReadWrite", "ReadOnly", "Inaccessible", "Standard", "Syslog", "Watchdog",
	"Notify", "PIDFile", "Nice", "OOM", "Tasks", "Bind", "Environment", "Capability",
	"SystemCall", "Socket", "FileDescriptor", "Nonblocking", "RemainAfterExit",
}

func isUnitOnly(k string) bool {
	return slices.Contains(unitOnlyKeys, k) || strings.HasPrefix(k, "Condition") || strings.HasPrefix(k, "Assert")
}

func isServiceOnly(k string) bool {
	for _, p := range serviceOnlyPrefixes {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// validateDirectives checks unit: and service:, and hardening.allow_raw
// against what they use.
func (s *Service) validateDirectives(e *errs) {
	allowed := s.allowRaw(e)
	used := map[string]bool{}
	s.validateSection(e, "unit", s.UnitExtra, "Unit", allowed, used)
	s.validateSection(e, "service", s.ServiceExtra, "Service", allowed, used)
	s.validateOwnDirs(e)
	for i, k := range s.Hardening.AllowRaw {
		if allowed[k] && !used[k] {
			hint := ""
			if !knownKey("Unit", k) && !knownKey("Service", k) {
				hint = suggestKey(k, allowableKeys())
			}
			e.add(at("hardening", "allow_raw", i), "%s allows nothing: no value of unit.%s or service.%s needs it%s; remove it, so the list says what is relaxed", k, k, k, hint)
		}
	}
}

// allowRaw checks hardening.allow_raw and returns the keys it names.
func (s *Service) allowRaw(e *errs) map[string]bool {
	allowed := map[string]bool{}
	for i, k := range s.Hardening.AllowRaw {
		switch {
		case allowed[k]:
			e.add(at("hardening", "allow_raw", i), "%s is listed twice", k)
		case caseVariant(k) != "":
			e.add(at("hardening", "allow_raw", i), "%s is not a systemd key: keys are case-sensitive, and no systemd reads %s (did you mean %s?)", k, k, caseVariant(k))
		case managedKeys[k] != "":
			e.add(at("hardening", "allow_raw", i), "%s is written by sysroll, never raw; %s", k, managedKeys[k])
		case sandboxKeys[k].why == "" && !slices.Contains(execKeys, k) && (knownKey("Unit", k) || knownKey("Service", k) || !directRe.MatchString(k)):
			e.add(at("hardening", "allow_raw", i), "%q is not a key that needs allowing%s: allow_raw names unit:/service: keys that weaken the sandbox, or an Exec* key whose '+'/'!' prefix runs a command as root", k, suggestKey(k, allowableKeys()))
		}
		allowed[k] = true
	}
	return allowed
}

// allowableKeys are the names hardening.allow_raw accepts, sorted.
func allowableKeys() []string {
	keys := slices.Clone(execKeys)
	for k := range sandboxKeys {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// knownKey reports whether systemd reads key k in section.
func knownKey(section, k string) bool {
	keys := systemdServiceKeys
	if section == "Unit" {
		keys = systemdUnitKeys
	}
	_, ok := slices.BinarySearch(keys, k)
	return ok
}

// validateSection checks the extra settings of one section. used collects
// the keys whose values need hardening.allow_raw.
//
// Unknown keys are checked against systemd's own parser table
// (directives_systemd.go, generated), not by running systemd-analyze: the
// check then works in sysroll render, in unit tests and on a machine without
// systemd, and says "did you mean" with the field's position in the file.
func (s *Service) validateSection(e *errs, field string, d Directives, section string, allowed, used map[string]bool) {
	other := map[string]string{"Unit": "Service", "Service": "Unit"}[section]
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p := at(field, key(k))
		switch {
		case !directRe.MatchString(k):
			e.add(p, "%q is not a unit file key: keys are letters only (e.g. MemoryMax)", k)
			continue
		case managedKeys[k] != "":
			e.add(p, "%s is written by sysroll; %s", k, managedKeys[k])
			continue
		case refusedKeys[k] != "":
			e.add(p, "%s= %s", k, refusedKeys[k])
			continue
		case aliasKeys[k] != "":
			e.add(p, "%s is an old spelling of %s; write %s (systemd reads both the same)", k, aliasKeys[k], aliasKeys[k])
			continue
		case section == "Service" && (isUnitOnly(k) || !knownKey(section, k) && knownKey(other, k)):
			e.add(p, "%s belongs in [Unit]: move it to unit:", k)
			continue
		case section == "Unit" && !knownKey(section, k) && (isServiceOnly(k) || knownKey(other, k)):
			// (isServiceOnly's prefixes alone took BindsTo= for BindPaths=.)
			e.add(p, "%s belongs in [Service]: move it to service:", k)
			continue
		case caseVariant(k) != "":
			e.add(p, "%s is not a systemd key: keys are case-sensitive, and no systemd reads %s (did you mean %s?)", k, k, caseVariant(k))
			continue
		case !knownKey(section, k) && allowed[k]:
			// A key of a newer systemd than the table's: sysroll cannot
			// judge what it grants, so only an explicit allow_raw lets it
			// through (and render/status list it); apply's systemd-analyze
			// verify on the host then refuses it if that systemd does not
			// read it either.
			used[k] = true
		case !knownKey(section, k):
			e.add(p, "%s is not a [%s] key of systemd %s, which would ignore the line%s; if a newer systemd on your hosts reads it, add %s to hardening.allow_raw (sysroll cannot judge what it grants; apply checks it with the host's systemd-analyze)", k, section, SystemdVersion, suggestKey(k, append(slices.Clone(systemdUnitKeys), systemdServiceKeys...)), k)
			continue
		}
		if len(d[k]) == 0 {
			e.add(at(field, k), "%s has no value", k)
		}
		for i, v := range d[k] {
			vp := at(field, k)
			if len(d[k]) > 1 {
				vp = append(vp, i)
			}
			v, ok := s.directiveValue(e, vp, k, v)
			if !ok {
				continue
			}
			if why := unitValueProblem(k, v); why != "" {
				e.add(vp, "value of %s %s", k, why)
				continue
			}
			if why, weak := weakens(k, v); weak {
				used[k] = true
				if !allowed[k] {
					e.add(vp, "%s weakens the sandbox: %s; to allow it, add %s to hardening.allow_raw (render and status show it)", k, why, k)
				}
			}
			if slices.Contains(execKeys, k) {
				if prefix, priv := privilegedPrefix(v); priv {
					used[k] = true
					if !allowed[k] {
						e.add(vp, "%q in front of a command %s; drop it, or add %s to hardening.allow_raw (render and status show it)", prefix, privilegeWhy, k)
					}
				}
			}
		}
	}
}

// suggestKey returns " (did you mean X?)" for the closest of keys, compared
// without case (MemoryMaxx, memorymax), or "".
func suggestKey(word string, keys []string) string {
	best, bestDist := "", -1
	lw := strings.ToLower(word)
	for _, c := range keys {
		d := levenshtein(lw, strings.ToLower(c))
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	if bestDist >= 0 && bestDist <= max(2, len(word)/4) {
		return " (did you mean " + best + "?)"
	}
	return ""
}

// caseVariant returns the systemd key that k spells with other letter case
// (execstartpre, AMBIENTCAPABILITIES), or "". systemd matches keys exactly,
// so such a key is ignored by every version: it is never one "a newer
// systemd reads", which hardening.allow_raw could let through.
func caseVariant(k string) string {
	for _, keys := range [][]string{systemdUnitKeys, systemdServiceKeys} {
		for _, c := range keys {
			if c != k && strings.EqualFold(c, k) {
				return c
			}
		}
	}
	return ""
}
