package diagnose

import (
	"strings"
	"testing"
)

// Real journal lines: measured on systemd 252 in the testbed (gunicorn 20.1,
// OpenJDK 17, python3, sh) or copied from the newcomer notes (Node.js 20).
var gunicornSetuid = strings.Split(`[2026-12-01 14:00:24 +0000] [132] [INFO] Booting worker with pid: 132
[2026-12-01 14:00:24 +0000] [132] [ERROR] Exception in worker process
Traceback (most recent call last):
  File "/usr/lib/python3/dist-packages/gunicorn/arbiter.py", line 589, in spawn_worker
    worker.init_process()
  File "/usr/lib/python3/dist-packages/gunicorn/workers/base.py", line 97, in init_process
    util.set_owner_process(self.cfg.uid, self.cfg.gid,
  File "/usr/lib/python3/dist-packages/gunicorn/util.py", line 172, in set_owner_process
    os.setuid(uid)
PermissionError: [Errno 1] Operation not permitted
[2026-12-01 14:00:24 +0000] [132] [INFO] Worker exiting (pid: 132)
[2026-12-01 14:00:24 +0000] [129] [INFO] Shutting down: Master
[2026-12-01 14:00:24 +0000] [129] [INFO] Reason: Worker failed to boot.
glog@24361.service: Main process exited, code=exited, status=3/NOTIMPLEMENTED
glog@24361.service: Failed with result 'exit-code'.`, "\n")

func TestJournal(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  []Hint // Key, Fix and Line compared
	}{
		{"gunicorn's workers: setuid EPERM", gunicornSetuid, []Hint{{
			Key: "hardening.system_call_allow", Fix: "set hardening.system_call_allow: [setuid]",
			Line: "PermissionError: [Errno 1] Operation not permitted"}}},
		{"gunicorn twice: one hint", append(append([]string{}, gunicornSetuid...), gunicornSetuid...), []Hint{{
			Key: "hardening.system_call_allow", Fix: "set hardening.system_call_allow: [setuid]",
			Line: "PermissionError: [Errno 1] Operation not permitted"}}},
		{"Node.js 20: V8 under MemoryDenyWriteExecute", []string{
			"",
			"#",
			"# Fatal error in , line 0",
			"# Check failed: 12 == (*__errno_location ()).",
			"#",
			"napp@19241.service: Main process exited, code=dumped, status=5/TRAP",
		}, []Hint{{Key: "hardening.memory_deny_write_execute", Fix: "set hardening.memory_deny_write_execute: false",
			Line: "# Check failed: 12 == (*__errno_location ())."}}},
		{"Node.js 18 (Debian): V8 under MemoryDenyWriteExecute", []string{
			"<--- Last few GCs --->",
			"<--- JS stacktrace --->",
			"#",
			"# Fatal javascript OOM in MemoryChunk allocation failed during deserialization.",
			"#",
			"nblock@24351.service: Main process exited, code=killed, status=5/TRAP",
		}, []Hint{{Key: "hardening.memory_deny_write_execute", Fix: "set hardening.memory_deny_write_execute: false",
			Line: "# Fatal javascript OOM in MemoryChunk allocation failed during deserialization."}}},
		{"OpenJDK 17 under MemoryDenyWriteExecute", []string{
			"Started ma.service - /usr/lib/jvm/java-17-openjdk-amd64/bin/java -version.",
			"Error occurred during initialization of VM",
			"Failed to mark memory page as executable - check if grsecurity/PaX is enabled",
			"ma.service: Main process exited, code=exited, status=1/FAILURE",
		}, []Hint{{Key: "hardening.memory_deny_write_execute", Fix: "set hardening.memory_deny_write_execute: false",
			Line: "Failed to mark memory page as executable - check if grsecurity/PaX is enabled"}}},
		{"python writing outside its directories", []string{
			"Traceback (most recent call last):",
			`  File "<string>", line 1, in <module>`,
			"OSError: [Errno 30] Read-only file system: '/srv/x'",
		}, []Hint{{Key: "service.ReadWritePaths",
			Fix:  "write to the instance's own $STATE_DIRECTORY (also $HOME), $CACHE_DIRECTORY or $RUNTIME_DIRECTORY instead, or set service: {ReadWritePaths: /srv/x} with hardening.allow_raw: [ReadWritePaths]",
			Line: "OSError: [Errno 30] Read-only file system: '/srv/x'"}}},
		{"sh: the path before the error, not the shell's", []string{
			"/bin/sh: 1: cannot create /var/lib/foo: Read-only file system",
		}, []Hint{{Key: "service.ReadWritePaths",
			Fix:  "write to the instance's own $STATE_DIRECTORY (also $HOME), $CACHE_DIRECTORY or $RUNTIME_DIRECTORY instead, or set service: {ReadWritePaths: /var/lib/foo} with hardening.allow_raw: [ReadWritePaths]",
			Line: "/bin/sh: 1: cannot create /var/lib/foo: Read-only file system"}}},
		{"a home directory protect_home hides", []string{
			"PermissionError: [Errno 13] Permission denied: '/home/alice/x'",
		}, []Hint{{Key: "hardening.protect_home", Fix: "set hardening.protect_home: read-only, or move the files out of the home directory",
			Line: "PermissionError: [Errno 13] Permission denied: '/home/alice/x'"}}},
		{"Go's os.UserHomeDir with HOME empty", []string{
			`{"level":"error","msg":"loading config","error":"$HOME is not defined"}`,
		}, []Hint{{Key: "environment.HOME", Fix: "remove HOME from environment: and the environment files (sysroll sets it to the instance's state directory)",
			Line: `{"level":"error","msg":"loading config","error":"$HOME is not defined"}`}}},
		{"Go's os.UserConfigDir", []string{"fatal: neither $XDG_CONFIG_HOME nor $HOME are defined"},
			[]Hint{{Key: "environment.HOME", Fix: "remove HOME from environment: and the environment files (sysroll sets it to the instance's state directory)",
				Line: "fatal: neither $XDG_CONFIG_HOME nor $HOME are defined"}}},
		{"two causes, two hints, in journal order", []string{
			"OSError: [Errno 30] Read-only file system: '/srv/x'",
			"# Check failed: 12 == (*__errno_location ()).",
		}, []Hint{
			{Key: "service.ReadWritePaths", Fix: "write to the instance's own $STATE_DIRECTORY (also $HOME), $CACHE_DIRECTORY or $RUNTIME_DIRECTORY instead, or set service: {ReadWritePaths: /srv/x} with hardening.allow_raw: [ReadWritePaths]", Line: "OSError: [Errno 30] Read-only file system: '/srv/x'"},
			{Key: "hardening.memory_deny_write_execute", Fix: "set hardening.memory_deny_write_execute: false", Line: "# Check failed: 12 == (*__errno_location ())."},
		}},
		// No fingerprint, no hint: an app's own failure is not the sandbox's.
		{"a broken release", []string{
			"Traceback (most recent call last):",
			`  File "/var/lib/sysroll/gapp/instances/24301/current/app.py", line 8, in <module>`,
			"ModuleNotFoundError: No module named 'no_such_module'",
			"[2026-12-01 14:00:24 +0000] [129] [INFO] Reason: Worker failed to boot.",
		}, nil},
		{"EPERM without a denied call named", []string{"kill: Operation not permitted"}, nil},
		{"Node's own crash", []string{"Error: v3: crash 1.5s after start", "    at Timeout._onTimeout (/x/server.js:8:50)"}, nil},
		{"a port in use", []string{"Error: listen EADDRINUSE: address already in use 127.0.0.1:24321"}, nil},
		{"nothing", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Journal(tt.lines)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d hints %+v, want %d %+v", len(got), got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				g := got[i]
				if g.Key != w.Key || g.Fix != w.Fix || g.Line != w.Line || g.Why == "" {
					t.Errorf("hint %d = %+v\nwant %+v (and a Why)", i, g, w)
				}
			}
		})
	}
}

// A hint prints as one line: what happened, what to set, the proof.
func TestHintString(t *testing.T) {
	h := Journal(gunicornSetuid)[0]
	want := `the sandbox's system call filter refused setuid (EPERM) — set hardening.system_call_allow: [setuid] (journal: "PermissionError: [Errno 1] Operation not permitted")`
	if h.String() != want {
		t.Errorf("got  %s\nwant %s", h, want)
	}
}
