package config

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// withExtras is a valid service with the given raw directives and allow_raw.
func withExtras(unit, service Directives, allow ...string) *Service {
	s := Default()
	s.Name, s.Command, s.Instances = "hello", "{release}/hello", Instances{List: []string{"8081", "8082"}}
	s.UnitExtra, s.ServiceExtra = unit, service
	s.Hardening.AllowRaw = allow
	return s
}

// checkErr asserts Validate fails mentioning every part of want, or passes
// when want is empty.
func checkErr(t *testing.T, name string, s *Service, want ...string) {
	t.Helper()
	err := s.Validate()
	if len(want) == 0 {
		if err != nil {
			t.Errorf("%s: unexpected error: %v", name, err)
		}
		return
	}
	if err == nil {
		t.Errorf("%s: Validate passed, want an error with %q", name, want)
		return
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s: error lacks %q:\n%v", name, w, err)
		}
	}
}

func one(k, v string) Directives { return Directives{k: {v}} }

// A key systemd does not read is refused (systemd would drop the line with a
// log message nobody reads), with the closest real key.
func TestUnknownDirectiveKeys(t *testing.T) {
	tests := []struct {
		name          string
		unit, service Directives
		want          []string
	}{
		{"typo in service", nil, one("MemoryMaxx", "1G"), []string{"service.MemoryMaxx", "not a [Service] key of systemd 252", "did you mean MemoryMax?"}},
		{"lowercase", nil, one("memorymax", "1G"), []string{"did you mean MemoryMax?"}},
		{"typo in unit", one("Afterr", "x.service"), nil, []string{"unit.Afterr", "not a [Unit] key", "did you mean After?"}},
		{"socket key in service", nil, one("ListenStream", "80"), []string{"not a [Service] key"}},
		{"nonsense", nil, one("Frobnicate", "yes"), []string{"not a [Service] key"}},
		{"removed by systemd", nil, one("SysVStartPriority", "1"), []string{"not a [Service] key"}},
		{"unit key in service by table", nil, one("OnFailureJobMode", "fail"), []string{"OnFailureJobMode belongs in [Unit]"}},
		{"service key in unit by table", one("SupplementaryGroups", "x"), nil, []string{"SupplementaryGroups belongs in [Service]"}},
		{"old spelling of a weakening key", nil, one("ReadWriteDirectories", "/srv"), []string{"ReadWriteDirectories is an old spelling of ReadWritePaths"}},
		{"old spelling of a dependency", one("BindTo", "hello@8082.service"), nil, []string{"BindTo is an old spelling of BindsTo"}},
		{"BindsTo is a [Unit] key", one("BindsTo", "postgresql.service"), nil, nil},
		{"known keys pass", one("Documentation", "man:hello(8)"), Directives{"MemoryMax": {"1G"}, "LimitNOFILE": {"65536"}, "StateDirectory": {"hello"}}, nil},
	}
	for _, tt := range tests {
		checkErr(t, tt.name, withExtras(tt.unit, tt.service), tt.want...)
	}
}

// '+', '!' and '!!' in front of any Exec* command, alone or with '-', '@'
// and ':' in any order, or after a lone ';', run it as root: refused unless
// allow_raw names the key.
func TestPrivilegePrefixes(t *testing.T) {
	privileged := []string{
		"+/bin/x", "!/bin/x", "!!/bin/x", "-+/bin/x", "+-/bin/x", "@+/bin/x x", "+@/bin/x x",
		":+/bin/x", "-:!!/bin/x", "@-!/bin/x x", "!!-@:/bin/x x", "/bin/true ; +/bin/evil", "  +/bin/x",
		// systemd reads the prefixes after unquoting and unescaping the word.
		`"+/bin/x"`, `'!/bin/x' a`, `-"+"/bin/x`, `\x2b/bin/x`, `\053/bin/x`, `\u0021/bin/x`,
		`/bin/true ; "+/bin/x"`, `/bin/true ; \x21!/bin/x`, `"/bin/true" ; '+/bin/x'`,
	}
	plain := []string{"/bin/x", "-/bin/x", "@/bin/x argv0", ":/bin/x", "-@:/bin/x x", "/bin/x +arg !arg", "/bin/x ;+arg", "",
		`/bin/x "+arg"`, `/bin/x \; +arg`, `/bin/x ";" +arg`, `"/bin/x" '+arg'`, `\x2d/bin/x`}
	for _, k := range execKeys {
		for _, v := range privileged {
			checkErr(t, k+"="+v, withExtras(nil, one(k, v)), "service."+k, "runs the command as root", "add "+k+" to hardening.allow_raw (render and status show it)")
			checkErr(t, k+"="+v+" allowed", withExtras(nil, one(k, v), k))
		}
		for _, v := range plain {
			checkErr(t, k+"="+v, withExtras(nil, one(k, v)))
		}
	}
	// A list: the second value is the privileged one, and the error says so.
	checkErr(t, "list", withExtras(nil, Directives{"ExecStartPre": {"/bin/a", "+/bin/b"}}), "service.ExecStartPre[1]")
}

// sandboxSample is a value of each weakening key that weakens, and one that
// does not when the key decides by value.
var sandboxSample = map[string][2]string{
	"MountFlags":           {"shared", "private"},
	"StandardInput":        {"file:/etc/shadow", "null"},
	"StandardOutput":       {"truncate:/etc/passwd", "journal"},
	"StandardError":        {"append:/etc/passwd", "inherit"},
	"Delegate":             {"yes", "no"},
	"PermissionsStartOnly": {"yes", "no"},
	"CPUSchedulingPolicy":  {"fifo", "batch"},
	"IOSchedulingClass":    {"realtime", "idle"},
	"Nice":                 {"-10", "5"},
	"OOMScoreAdjust":       {"-900", "500"},
	"FailureAction":        {"reboot", "none"},
	"SuccessAction":        {"poweroff", "none"},
	"StartLimitAction":     {"reboot-force", "none"},
	"JobTimeoutAction":     {"reboot", "none"},
	"Wants":                {"network-online.target reboot.target", "network-online.target"},
	"Requires":             {"poweroff.target", "postgresql.service"},
	"BindsTo":              {"halt.target", "postgresql.service"},
	"Upholds":              {"systemd-reboot.service", "redis.service"},
	"OnFailure":            {"reboot.target", "notify-failure@%n.service"},
	"OnSuccess":            {"emergency.target", "cleanup.service"},
	"OnFailureJobMode":     {"isolate", "replace"},
	"OnSuccessJobMode":     {"isolate", "fail"},
	"LimitNICE":            {"-10", "10"},
}

// sectionOf puts a key where systemd reads it.
func sectionOf(k string, v string) (unit, service Directives) {
	if knownKey("Service", k) && !isUnitOnly(k) {
		return nil, one(k, v)
	}
	return one(k, v), nil
}

// Every key that widens the sandbox is refused with its reason and how to
// opt in; allowed, it validates; a harmless value of it passes.
func TestSandboxWeakeningKeys(t *testing.T) {
	for k, w := range sandboxKeys {
		weak := "/etc/shadow"
		if s, ok := sandboxSample[k]; ok {
			weak = s[0]
		}
		u, sv := sectionOf(k, weak)
		checkErr(t, k, withExtras(u, sv), k+" weakens the sandbox", w.why, "add "+k+" to hardening.allow_raw (render and status show it)")
		checkErr(t, k+" allowed", withExtras(u, sv, k))
		if s, ok := sandboxSample[k]; ok {
			u, sv := sectionOf(k, s[1])
			checkErr(t, k+"="+s[1], withExtras(u, sv))
		} else if w.weak != nil {
			t.Errorf("%s decides by value but has no sample in sandboxSample", k)
		}
	}
	// The example: a dynamic user reading /etc/shadow.
	checkErr(t, "shadow", withExtras(nil, Directives{"SupplementaryGroups": {"shadow"}, "BindReadOnlyPaths": {"/etc/shadow"}}),
		"service.SupplementaryGroups", "service.BindReadOnlyPaths")
	checkErr(t, "shadow allowed", withExtras(nil, Directives{"SupplementaryGroups": {"shadow"}, "BindReadOnlyPaths": {"/etc/shadow"}}, "SupplementaryGroups", "BindReadOnlyPaths"))
}

// allow_raw itself: only keys that need it, each once, each used.
func TestAllowRaw(t *testing.T) {
	tests := []struct {
		name    string
		service Directives
		allow   []string
		want    []string
	}{
		{"unknown", nil, []string{"SupplementaryGroup"}, []string{"hardening.allow_raw[0]", "SupplementaryGroup allows nothing", "did you mean SupplementaryGroups?"}},
		{"managed key", nil, []string{"ProtectSystem"}, []string{"ProtectSystem is written by sysroll, never raw; set hardening.protect_system instead"}},
		{"harmless key", one("MemoryMax", "1G"), []string{"MemoryMax"}, []string{"not a key that needs allowing"}},
		{"unused", nil, []string{"ReadWritePaths"}, []string{"hardening.allow_raw[0]", "ReadWritePaths allows nothing"}},
		{"exec without prefix", one("ExecStartPre", "/bin/x"), []string{"ExecStartPre"}, []string{"ExecStartPre allows nothing"}},
		{"harmless value", one("Nice", "5"), []string{"Nice"}, []string{"Nice allows nothing"}},
		{"twice", one("ReadWritePaths", "/srv"), []string{"ReadWritePaths", "ReadWritePaths"}, []string{"hardening.allow_raw[1]", "listed twice"}},
		{"used", one("ReadWritePaths", "/srv"), []string{"ReadWritePaths"}, nil},
		// A key of a systemd newer than the table (OpenFile= is 253's): refused
		// unless named, then let through unjudged.
		{"newer key refused", one("OpenFile", "/etc/x:x"), nil, []string{"service.OpenFile", "not a [Service] key of systemd " + SystemdVersion, "add OpenFile to hardening.allow_raw"}},
		{"newer key allowed", one("OpenFile", "/etc/x:x"), []string{"OpenFile"}, nil},
	}
	for _, tt := range tests {
		checkErr(t, tt.name, withExtras(nil, tt.service, tt.allow...), tt.want...)
	}
}

// The tables name real systemd keys, so they cannot rot: a key renamed or
// removed by systemd fails here (after go run ./internal/tools/gensystemdkeys).
func TestTablesNameSystemdKeys(t *testing.T) {
	real := func(k string) bool { return knownKey("Unit", k) || knownKey("Service", k) }
	var all []string
	for k := range managedKeys {
		all = append(all, k)
	}
	for k := range sandboxKeys {
		all = append(all, k)
	}
	all = append(all, execKeys...)
	all = append(all, OverridableUnitKeys...)
	all = append(all, OverridableServiceKeys...)
	all = append(all, unitOnlyKeys...)
	for _, k := range all {
		if !real(k) {
			t.Errorf("%s is not a key systemd %s reads", k, SystemdVersion)
		}
	}
	for _, k := range unitOnlyKeys {
		if !knownKey("Unit", k) {
			t.Errorf("unitOnlyKeys: %s is not a [Unit] key", k)
		}
	}
	for _, k := range OverridableUnitKeys {
		if !knownKey("Unit", k) {
			t.Errorf("OverridableUnitKeys: %s is not a [Unit] key", k)
		}
	}
	for _, k := range append(slices.Clone(OverridableServiceKeys), execKeys...) {
		if !knownKey("Service", k) {
			t.Errorf("%s is not a [Service] key", k)
		}
	}
	if len(systemdUnitKeys) < 100 || len(systemdServiceKeys) < 200 || !slices.IsSorted(systemdUnitKeys) || !slices.IsSorted(systemdServiceKeys) {
		t.Errorf("key tables: %d unit, %d service keys, sorted: %v %v", len(systemdUnitKeys), len(systemdServiceKeys), slices.IsSorted(systemdUnitKeys), slices.IsSorted(systemdServiceKeys))
	}
}

// securityKeys are the families of systemd.exec(5), systemd.resource-control(5)
// and systemd.unit(5) settings that decide what an instance may see or do,
// or what its failure does to the host.
var securityKeys = regexp.MustCompile(`^(Private|Protect|Restrict|SystemCall|Capability|Ambient|NoNewPrivileges|Bind|ReadWrite|ReadOnly|Inaccessible|NoExec|Exec|Root|Mount|Device|Delegate|LoadCredential|SetCredential|ImportCredential|Secure|Supplementary|User|Group|Dynamic|Keyring|PAM|Standard|TTY|NetworkNamespace|IPC|IPAddress|IPIngress|IPEgress|SocketBind|BPF|Joins|Extension|Temporary|Personality|LockPersonality|MemoryDeny|RemoveIPC|UMask|SELinux|AppArmor|Smack|Permissions|CPUScheduling|IOScheduling|Nice|OOMScore|PassEnvironment|FailureAction|SuccessAction|StartLimitAction|JobTimeoutAction|OpenFile)`)

// freeKeys are the security-relevant keys a raw directive may set without
// allow_raw, each with why it does not widen the sandbox.
var freeKeys = map[string]string{
	"PrivateIPC":                "narrows: its own IPC namespace",
	"ReadOnlyPaths":             "narrows: read-only",
	"InaccessiblePaths":         "narrows: hides paths",
	"NoExecPaths":               "narrows: forbids executing",
	"TemporaryFileSystem":       "narrows: an empty tmpfs over a path",
	"RestrictFileSystems":       "narrows: a file system allow or deny list",
	"RestrictNetworkInterfaces": "narrows: an interface allow or deny list",
	"SocketBindAllow":           "narrows: with SocketBindDeny, limits bind()",
	"SocketBindDeny":            "narrows: limits bind()",
	"IPIngressFilterPath":       "narrows: another BPF filter, all of which must pass",
	"IPEgressFilterPath":        "narrows: another BPF filter, all of which must pass",
	"IPAccounting":              "counts traffic only",
	"SystemCallLog":             "logs system calls only",
	"SetCredential":             "a literal credential from the service file itself",
	"SetCredentialEncrypted":    "a literal credential from the service file itself",
	"StandardInputData":         "literal data from the service file itself",
	"StandardInputText":         "literal text from the service file itself",
	"Personality":               "the execution domain (lock_personality still locks it)",
	"ExecSearchPath":            "where the instance's own commands are looked up",
	"RootHash":                  "only with RootImage=, which needs allow_raw",
	"RootHashSignature":         "only with RootImage=, which needs allow_raw",
	"RootImageOptions":          "only with RootImage=, which needs allow_raw",
	"RootVerity":                "only with RootImage=, which needs allow_raw",
	"MountAPIVFS":               "only with RootDirectory=/RootImage=, which need allow_raw",
	"RemoveIPC":                 "implied by a dynamic user; sysroll writes it",
	"CPUSchedulingPriority":     "only with CPUSchedulingPolicy=fifo or rr, which needs allow_raw",
	"CPUSchedulingResetOnFork":  "narrows: children lose the policy",
	"IOSchedulingPriority":      "a priority within the class; realtime needs allow_raw",
	"PassEnvironment":           "the manager's own variables (PATH, LANG, ...), which hold no credentials",
	"FailureActionExitStatus":   "only with FailureAction=exit, which needs allow_raw",
	"SuccessActionExitStatus":   "only with SuccessAction=exit, which needs allow_raw",
	"BindsTo":                   "a dependency: sysroll's lint rules check it at render",
	"TTYColumns":                "only with a terminal, which needs allow_raw",
	"TTYRows":                   "only with a terminal, which needs allow_raw",
	"TTYReset":                  "only with a terminal, which needs allow_raw",
	"TTYVHangup":                "only with a terminal, which needs allow_raw",
	"TTYVTDisallocate":          "only with a terminal, which needs allow_raw",
}

// Every security-relevant key systemd reads is classified: written by
// sysroll, refused without allow_raw (with a reason), an old spelling, or
// free with a reason. A key a newer systemd adds fails here until decided.
func TestEverySecurityKeyIsClassified(t *testing.T) {
	for _, k := range append(slices.Clone(systemdUnitKeys), systemdServiceKeys...) {
		if !securityKeys.MatchString(k) {
			continue
		}
		_, free := freeKeys[k]
		if managedKeys[k] == "" && sandboxKeys[k].why == "" && aliasKeys[k] == "" && !slices.Contains(execKeys, k) && !free {
			t.Errorf("%s is not classified: add it to sandboxKeys (widens the sandbox) or freeKeys (why not)", k)
		}
	}
	for k := range freeKeys {
		if !knownKey("Unit", k) && !knownKey("Service", k) {
			t.Errorf("freeKeys: %s is not a systemd key", k)
		}
	}
	for k, to := range aliasKeys {
		if !knownKey("Unit", k) && !knownKey("Service", k) || !knownKey("Unit", to) && !knownKey("Service", to) {
			t.Errorf("aliasKeys: %s -> %s are not both systemd keys", k, to)
		}
	}
}

// A weakening value is found as systemd reads it: its parser strips the blanks
// around a value, and takes a number for a scheduling policy or class in any
// base. Each of these was let through, and systemd applied it.
func TestWeakeningAsSystemdReadsIt(t *testing.T) {
	tests := []struct{ key, value string }{
		{"Nice", " -10"},
		{"OOMScoreAdjust", "-1000 "},
		{"StandardOutput", " file:/etc/shadow"},
		{"StandardInput", " tty"},
		{"CPUSchedulingPolicy", "fifo "},
		{"CPUSchedulingPolicy", "1"}, // SCHED_FIFO
		{"CPUSchedulingPolicy", "2"}, // SCHED_RR
		{"CPUSchedulingPolicy", "0x1"},
		{"IOSchedulingClass", " realtime"},
		{"IOSchedulingClass", "0x1"},
		{"IOSchedulingClass", "01"},
		{"IOSchedulingClass", "+1"},
	}
	for _, tt := range tests {
		checkErr(t, tt.key+"="+tt.value, withExtras(nil, one(tt.key, tt.value)), "service."+tt.key, tt.key+" weakens the sandbox")
	}
	for _, tt := range []struct{ key, value string }{
		{"CPUSchedulingPolicy", "batch"}, {"CPUSchedulingPolicy", "5"}, {"CPUSchedulingPolicy", " other"},
		{"IOSchedulingClass", "best-effort"}, {"IOSchedulingClass", "3"}, {"Nice", " 10"},
	} {
		checkErr(t, tt.key+"="+tt.value, withExtras(nil, one(tt.key, tt.value)))
	}
}

// A dependency on a unit that acts on the whole host is FailureAction= by
// another name, refused the same way; other dependencies stay free.
func TestHostActionDependencies(t *testing.T) {
	for _, tt := range []struct{ key, value string }{
		{"OnFailure", "reboot.target"},
		{"OnSuccess", "poweroff.target"},
		{"Wants", "network-online.target halt.target"},
		{"Requires", "systemd-reboot.service"},
		{"BindsTo", "kexec.target"},
		{"Upholds", "suspend.target"},
		{"OnFailureJobMode", "isolate"},
		// Specifiers systemd expands: %i is "reboot" for an instance named so.
		{"Wants", "%i.target"},
		{"OnFailure", "%p%i.target"},
		{"Requires", "systemd-%i.service"},
	} {
		checkErr(t, tt.key+"="+tt.value, withExtras(one(tt.key, tt.value), nil), "unit."+tt.key, tt.key+" weakens the sandbox", "add "+tt.key+" to hardening.allow_raw")
		checkErr(t, tt.key+"="+tt.value+" allowed", withExtras(one(tt.key, tt.value), nil, tt.key))
	}
	for _, tt := range []struct{ key, value string }{
		{"OnFailure", "alert@%n.service"}, {"Wants", "network-online.target"}, {"Requires", "postgresql.service"},
		{"OnFailureJobMode", "replace"},
		{"OnFailure", "alert@%n.service"}, {"Wants", "%p-worker@%i.service"}, {"Wants", "100%%.target"},
	} {
		checkErr(t, tt.key+"="+tt.value, withExtras(one(tt.key, tt.value), nil))
	}
}

// systemd reads MemoryMax=, CPUQuota=, TasksMax=, ... without specifiers: 50%
// is a percentage there (it was refused as "not a systemd specifier"), and
// the %% the message asked for stays two percent signs, which systemd refuses
// ("Invalid memory limit '50%%'").
func TestLiteralPercentKeys(t *testing.T) {
	for _, k := range []string{"MemoryMax", "MemoryHigh", "CPUQuota", "TasksMax", "ManagedOOMMemoryPressureLimit"} {
		checkErr(t, k+"=50%", withExtras(nil, one(k, "50%")))
		checkErr(t, k+"=50%%", withExtras(nil, one(k, "50%%")), "service."+k, "has %%, but systemd reads "+k+"= without specifiers", "write a single % (50%)")
	}
	// Elsewhere a % is still a specifier.
	checkErr(t, "Documentation=50%", withExtras(one("Documentation", "man:50%"), nil), "not a systemd specifier")
}

// systemd matches keys exactly: a key in another letter case is ignored by
// every systemd, so it is refused even when hardening.allow_raw names it
// (the message used to suggest exactly that).
func TestCaseVariantKeys(t *testing.T) {
	for _, k := range []string{"execstartpre", "AMBIENTCAPABILITIES", "Dynamicuser", "memorymax"} {
		checkErr(t, k, withExtras(nil, one(k, "x")), "service."+k, "keys are case-sensitive")
		checkErr(t, k+" allowed", withExtras(nil, one(k, "x"), k), "hardening.allow_raw[0]", "keys are case-sensitive")
	}
	checkErr(t, "wants", withExtras(one("wants", "x.service"), nil), "unit.wants", "did you mean Wants?")
}

// LimitNICE= lets the instance take the priority Nice= may not give it.
func TestLimitNICE(t *testing.T) {
	for _, v := range []string{"-20", "-1", "21", "40", "infinity", "0:40", "10:-5", "0x28", " 40"} {
		checkErr(t, "LimitNICE="+v, withExtras(nil, one("LimitNICE", v)), "service.LimitNICE", "LimitNICE weakens the sandbox", "RLIMIT_NICE")
	}
	for _, v := range []string{"0", "20", "+0", "+19", "-0", "5:10"} {
		checkErr(t, "LimitNICE="+v, withExtras(nil, one("LimitNICE", v)))
	}
}

// StateDirectory= and its kin must be the service's own names: systemd
// gives an existing directory of that name to the instance's user (and
// RuntimeDirectory= removes it on stop). They were free whatever the name.
func TestOwnDirectories(t *testing.T) {
	for _, tt := range []struct{ key, value, want string }{
		{"StateDirectory", "sysroll", "StateDirectory=sysroll is not the service's own: systemd takes /var/lib/sysroll over"},
		{"StateDirectory", "hello sysroll", "/var/lib/sysroll"},
		{"StateDirectory", "hello:mysql", "StateDirectory=hello:mysql is not the service's own"},
		{"StateDirectory", "%i", "/var/lib/%i"},
		{"StateDirectory", "hellox", "is not the service's own"},
		{"CacheDirectory", "apt", "/var/cache/apt"},
		{"LogsDirectory", "journal", "/var/log/journal"},
		{"RuntimeDirectory", "dbus", "/run/dbus over for the instance's user if it exists (its files too), and removes it when the instance stops"},
		{"ConfigurationDirectory", "ssh", "/etc/ssh"},
	} {
		checkErr(t, tt.key+"="+tt.value, withExtras(nil, one(tt.key, tt.value)), "service."+tt.key, tt.want, "name it hello or hello/...")
	}
	for _, tt := range []struct{ key, value string }{
		{"StateDirectory", "hello"}, {"StateDirectory", "hello/db hello/cache"}, {"StateDirectory", "%p/%i"},
		{"RuntimeDirectory", "%N"}, {"CacheDirectory", "hello:hello/old"}, {"LogsDirectory", "hello@8081"},
		{"StateDirectory", ""},
	} {
		checkErr(t, tt.key+"="+tt.value, withExtras(nil, one(tt.key, tt.value)))
	}
}

// PIDFile= removes the file it names when an instance stops: refused, with
// or without allow_raw.
func TestPIDFileRefused(t *testing.T) {
	checkErr(t, "PIDFile", withExtras(nil, one("PIDFile", "/etc/shadow")), "service.PIDFile", "systemd removes the file it names when an instance stops")
	checkErr(t, "PIDFile allowed", withExtras(nil, one("PIDFile", "/etc/shadow"), "PIDFile"), "service.PIDFile", "hardening.allow_raw[0]")
	// TimeoutSec= written after TimeoutStopSec= overrode stop_timeout.
	checkErr(t, "TimeoutSec", withExtras(nil, one("TimeoutSec", "0")), "service.TimeoutSec", "overriding stop_timeout")
}
