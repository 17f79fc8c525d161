package diagnose

import (
	"fmt"
	"regexp"
	"strings"
)

// Hint is one setting that would relax what stopped an instance.
type Hint struct {
	// Key is the service file key to change, e.g.
	// "hardening.system_call_allow".
	Key string
	// Fix is what to do, e.g. "set hardening.system_call_allow: [setuid]".
	Fix string
	// Why says what the sandbox did, in a few words.
	Why string
	// Line is the journal line that shows it, as the journal had it.
	Line string
}

func (h Hint) String() string {
	return fmt.Sprintf("%s — %s (journal: %q)", h.Why, h.Fix, h.Line)
}

// Journal returns the hints its lines (oldest first, as journalctl prints
// them) support, at most one per key, in the order the fingerprints appear.
// Lines without a fingerprint give none: a hint is only given with the line
// that proves it.
func Journal(lines []string) []Hint {
	var hints []Hint
	seen := map[string]bool{}
	for i, l := range lines {
		for _, f := range fingerprints {
			h, ok := f(lines[:i], l)
			if !ok || seen[h.Key] {
				continue
			}
			seen[h.Key] = true
			h.Line = strings.TrimSpace(l)
			hints = append(hints, h)
			break // one line, one cause
		}
	}
	return hints
}

// fingerprint recognizes one way the sandbox stops a program, from a line
// and the lines before it.
type fingerprint func(before []string, line string) (Hint, bool)

// fingerprints are tried in order; the first that matches a line wins, so
// the specific ones (a named syscall) come before the general (any EPERM).
var fingerprints = []fingerprint{jitRefused, syscallRefused, readOnly, noHome, homeHidden}

// jitRefused: a JIT compiler could not get memory both writable and
// executable. V8 (Node.js 20, measured in the newcomer notes) aborts with
// "# Check failed: 12 == (*__errno_location ())." and SIGTRAP; OpenJDK 17's
// HotSpot, even with -Xint, stops with "Error occurred during initialization
// of VM" and "Failed to mark memory page as executable - check if
// grsecurity/PaX is enabled" (measured, systemd 252). Debian's Node.js 18
// (V8 10.2) dies with SIGTRAP after "# Fatal javascript OOM in MemoryChunk
// allocation failed during deserialization." (measured, systemd 252): the
// startup snapshot cannot get executable pages; a real out-of-memory
// happens later, not while deserializing it.
var (
	v8Check  = regexp.MustCompile(`Check failed: 12 == \(\*__errno_location \(\)\)`)
	v8Chunk  = regexp.MustCompile(`Fatal javascript OOM in MemoryChunk allocation failed during deserialization`)
	jvmCheck = regexp.MustCompile(`Failed to mark memory page as executable`)
)

func jitRefused(_ []string, l string) (Hint, bool) {
	if v8Check.MatchString(l) || v8Chunk.MatchString(l) || jvmCheck.MatchString(l) {
		return Hint{
			Key: "hardening.memory_deny_write_execute",
			Fix: "set hardening.memory_deny_write_execute: false",
			Why: "the sandbox refused the JIT compiler memory that is writable and executable (MemoryDenyWriteExecute=)",
		}, true
	}
	return Hint{}, false
}

// deniedCalls maps how programs name a call the default filter denies
// (@privileged and @resources, see unitfile's syscallFilter) to the system
// call to allow: Python's os.* and resource.* functions as a traceback
// shows them, and the bare syscall names C and Go programs print.
var deniedCalls = map[string]string{
	"setuid": "setuid", "setgid": "setgid", "seteuid": "setresuid", "setegid": "setresgid",
	"setreuid": "setreuid", "setregid": "setregid", "setresuid": "setresuid", "setresgid": "setresgid",
	"setgroups": "setgroups", "initgroups": "setgroups", "chroot": "chroot",
	"setpriority": "setpriority", "nice": "setpriority", "setrlimit": "setrlimit", "prlimit": "prlimit64",
	"sched_setaffinity": "sched_setaffinity", "sched_setscheduler": "sched_setscheduler",
}

// callIn finds a denied call named in a line: "os.setuid(uid)",
// "resource.setrlimit(...)", "setuid(1000): Operation not permitted".
var callIn = regexp.MustCompile(`\b(?:os\.|resource\.|process\.)?([a-z_]+)\(`)

var eperm = regexp.MustCompile(`\[Errno 1\] Operation not permitted|\bEPERM\b|Operation not permitted`)

// syscallRefused: EPERM, which is what the filter answers (SystemCallErrorNumber=EPERM),
// with the denied call named on the line or in the few lines before it (a
// Python traceback names the call on the line above the exception).
func syscallRefused(before []string, l string) (Hint, bool) {
	if !eperm.MatchString(l) {
		return Hint{}, false
	}
	ctx := []string{l}
	for i := len(before) - 1; i >= 0 && i >= len(before)-3; i-- {
		ctx = append(ctx, before[i])
	}
	for _, c := range ctx {
		for _, m := range callIn.FindAllStringSubmatch(c, -1) {
			if call, ok := deniedCalls[strings.ToLower(m[1])]; ok {
				return Hint{
					Key: "hardening.system_call_allow",
					Fix: "set hardening.system_call_allow: [" + call + "]",
					Why: "the sandbox's system call filter refused " + call + " (EPERM)",
				}, true
			}
		}
	}
	return Hint{}, false
}

// pathIn finds the absolute paths a line names: quoted, or after a blank
// or a colon, as Go, Python and C programs print them.
var pathIn = regexp.MustCompile(`['"](/[^'"]*)['"]|(?:^|[\s:])(/[^\s:'",]+)`)

// pathBefore is the last path l names before the error text at end: the
// sh line "/bin/sh: 1: cannot create /var/lib/foo: Read-only file system"
// is about /var/lib/foo, not /bin/sh.
func pathBefore(l string, end int) string {
	p := ""
	for _, m := range pathIn.FindAllStringSubmatchIndex(l, -1) {
		if m[0] >= end {
			break
		}
		if m[2] >= 0 {
			p = l[m[2]:m[3]]
		} else {
			p = l[m[4]:m[5]]
		}
	}
	return p
}

// readOnly: EROFS, which ProtectSystem=strict answers to every write
// outside the instance's own directories and /tmp.
func readOnly(_ []string, l string) (Hint, bool) {
	end := strings.Index(l, "Read-only file system")
	if end < 0 {
		if end = strings.Index(l, "EROFS"); end < 0 {
			return Hint{}, false
		}
	}
	// Python puts the path after the error: "...file system: '/srv/x'".
	where := pathBefore(l, len(l))
	if p := pathBefore(l, end); p != "" {
		where = p
	}
	if where == "" {
		where = "PATH"
	}
	return Hint{
		Key: "service.ReadWritePaths",
		Fix: "write to the instance's own $STATE_DIRECTORY (also $HOME), $CACHE_DIRECTORY or $RUNTIME_DIRECTORY instead, or set service: {ReadWritePaths: " + where + "} with hardening.allow_raw: [ReadWritePaths]",
		Why: "the sandbox keeps the file system read-only outside the instance's own directories (protect_system: strict)",
	}, true
}

// homeMissing are how programs say HOME is unset or empty: Go's
// os.UserHomeDir and os.UserConfigDir/UserCacheDir, shells, and the
// newcomer notes' Go server ("HOME not defined").
var homeMissing = regexp.MustCompile(`(?i)\$?HOME (is )?not (defined|set)|neither \$XDG_[A-Z_]+ nor \$HOME are defined|HOME environment variable (is )?not set|HOME is empty`)

// noHome: sysroll sets HOME to the instance's state directory, so a missing
// HOME means the service file's environment: (or an environment file) set
// it empty.
func noHome(_ []string, l string) (Hint, bool) {
	if !homeMissing.MatchString(l) {
		return Hint{}, false
	}
	return Hint{
		Key: "environment.HOME",
		Fix: "remove HOME from environment: and the environment files (sysroll sets it to the instance's state directory)",
		Why: "the app found no HOME",
	}, true
}

// homeHidden: EACCES or ENOENT on a path under a home directory, which
// protect_home hides (yes: inaccessible; tmpfs: empty).
var homePath = regexp.MustCompile(`(^|[\s'":])(/home/|/root/|/run/user/)`)

func homeHidden(_ []string, l string) (Hint, bool) {
	if !homePath.MatchString(l) || !(strings.Contains(l, "Permission denied") || strings.Contains(l, "EACCES") || strings.Contains(l, "No such file or directory")) {
		return Hint{}, false
	}
	return Hint{
		Key: "hardening.protect_home",
		Fix: "set hardening.protect_home: read-only, or move the files out of the home directory",
		Why: "the sandbox hides home directories (protect_home)",
	}, true
}
