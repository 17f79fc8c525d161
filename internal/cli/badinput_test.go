package cli

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sysroll/sysroll/internal/config"
	"github.com/sysroll/sysroll/internal/proc"
)

// badCase is one hostile input: the arguments (placeholders {dir}, {good},
// {state}, {units} are filled in), the exit codes it may get and what
// stderr must say.
type badCase struct {
	name string
	args []string
	// raw: the arguments exactly as given. Otherwise --state-dir and
	// --unit-dir (empty temporary directories) go in front, so that no case
	// can touch this machine's state even if validation lets it through.
	raw   bool
	codes []int    // allowed exit codes; nil: {2}
	want  []string // each must be in stderr: the file or flag, the rule
	not   []string // none may be in stderr
	// needs names the branch whose fix this case needs (it fails without
	// it); informational only, the case always runs.
	needs string
}

// forbidden is what no bad input may ever print.
var forbidden = []string{"internal error", "panic", "goroutine ", "runtime error", "fatal error", "SIGSEGV", "[recovered]"}

// childTimeout bounds each case; a blocked one (a FIFO opened without
// O_NONBLOCK) fails at it.
const childTimeout = 10 * time.Second

// childMemory is the address-space limit of each case, in KiB: a Go
// program needs about 1 GiB of address space to start; 2 GiB lets an input
// that exhausts memory fail fast.
const childMemory = 2 << 20

type childResult struct {
	code           int
	stdout, stderr string
	note           string // how it ended, if not by exiting
}

func (r childResult) String() string {
	return fmt.Sprintf("exit %d%s\nstdout: %.500q\nstderr: %.600q", r.code, r.note, r.stdout, r.stderr)
}

// runChild runs sysroll's Run with args in a child test process (see
// childEnv).
func runChild(t *testing.T, dir string, args []string) childResult {
	t.Helper()
	var in bytes.Buffer
	if err := gob.NewEncoder(&in).Encode(args); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), childTimeout)
	defer cancel()
	cmd := proc.Command(ctx, "/bin/sh", "-c", fmt.Sprintf(`ulimit -v %d && exec "$0"`, childMemory), os.Args[0])
	cmd.Dir = dir
	cmd.Env = append(cmd.Env, childEnv+"=1",
		// Never a real systemd, whatever a case gets through to.
		"SYSROLL_SYSTEMD_ADDRESS=unix:path="+filepath.Join(dir, "no-systemd"))
	cmd.Stdin = &in
	cmd.WaitDelay = time.Second
	stdout, stderr := proc.NewTail(64<<10), proc.NewTail(64<<10)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := proc.Run(cmd)
	r := childResult{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		r.code, r.note = -1, fmt.Sprintf(" (killed: still running after %s)", childTimeout)
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
		if r.code < 0 {
			r.note = " (" + ee.String() + ")"
		}
	case err != nil:
		t.Fatalf("running the child: %v", err)
	}
	return r
}

// hostileFiles writes the hostile files and paths into dir and returns the
// placeholders for them.
func hostileFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	good := config.Starter("badin")
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	replace := func(old, new string) []byte {
		if !bytes.Contains(good, []byte(old)) {
			t.Fatalf("starter has no %q", old)
		}
		return bytes.Replace(good, []byte(old), []byte(new), 1)
	}
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	loop := filepath.Join(dir, "loop.yaml")
	if err := os.Symlink("loop.yaml", loop); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "adir"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"state", "units"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return map[string]string{
		"{dir}":   dir,
		"{state}": filepath.Join(dir, "state"),
		"{units}": filepath.Join(dir, "units"),
		"{good}":  write("good.yaml", good),
		"{fifo}":  fifo,
		"{loop}":  loop,
		"{adir}":  filepath.Join(dir, "adir"),
		"{none}":  filepath.Join(dir, "missing.yaml"),
		"{long}":  filepath.Join(dir, strings.Repeat("n", 300)+".yaml"),
		// 50 KB of nested flow sequences under the 1 MiB cap.
		"{nest}":     write("nest.yaml", []byte("name: "+strings.Repeat("[", 50000)+"\n")),
		"{nestmap}":  write("nestmap.yaml", []byte("name: "+strings.Repeat("{a: ", 20000)+"\n")),
		"{bom}":      write("bom.yaml", append([]byte("\ufeff"), good...)),
		"{badutf8}":  write("badutf8.yaml", replace("description: badin, rolled by sysroll", "description: \"caf\xff\xfe\"")),
		"{longname}": write("longname.yaml", bytes.ReplaceAll(good, []byte("badin"), []byte(strings.Repeat("a", 300)))),
		"{huge}":     write("huge.yaml", bytes.Repeat([]byte("#"), 2<<20)),
		"{garbage}":  write("garbage.yaml", bytes.Repeat([]byte{0xff, 0x00, '\n', ':'}, 1000)),
		"{alias}": write("alias.yaml", []byte(`a: &a ["x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
name: *i
`)),
		// The e2e apply suite's service-file cases, on the starter.
		"{e2e-unknown-key}":   write("e2e-unknown-key.yaml", replace("description:", "descripton:")),
		"{e2e-nested-key}":    write("e2e-nested-key.yaml", append(bytes.Clone(good), "extra_section: {batch: 1, failure_acton: halt}\n"...)),
		"{e2e-port-70000}":    write("e2e-port-70000.yaml", replace("[8081, 8082]", "[8081, 70000]")),
		"{e2e-port-zero}":     write("e2e-port-zero.yaml", replace("[8081, 8082]", "[0]")),
		"{e2e-name-dotdot}":   write("e2e-name-dotdot.yaml", replace("name: badin", `name: "../badin"`)),
		"{e2e-name-slash}":    write("e2e-name-slash.yaml", replace("name: badin", `name: "etc/badin"`)),
		"{e2e-name-newline}":  write("e2e-name-newline.yaml", replace("name: badin", `name: "badin\nExecStartPre=/bin/evil"`)),
		"{e2e-desc-inject}":   write("e2e-desc-inject.yaml", replace("description: badin, rolled by sysroll", `description: "x\n[Service]\nExecStartPre=/bin/evil"`)),
		"{e2e-duplicate}":     write("e2e-duplicate.yaml", replace("[8081, 8082]", "[8081, 8081]")),
		"{e2e-empty-command}": write("e2e-empty-command.yaml", replace(`command: "{release}/badin --port {port}"`, `command: ""`)),
		"{e2e-bad-yaml}":      write("e2e-bad-yaml.yaml", []byte("name: [badin\n")),
		"{e2e-wrong-type}":    write("e2e-wrong-type.yaml", replace("[8081, 8082]", "yes")),
		"{e2e-empty}":         write("e2e-empty.yaml", []byte("\n")),
	}
}

// badCases is the suite: hostile files, paths and arguments for every
// command. It reads the config package's bad service files (the same files
// the e2e apply suite feeds the real binary).
func badCases(t *testing.T) []badCase {
	t.Helper()
	var cs []badCase
	add := func(c ...badCase) { cs = append(cs, c...) }

	// The service-file suite: every file of internal/config/testdata/bad,
	// through render and apply; each names the file and says its rule.
	const badDir = "../config/testdata/bad"
	entries, err := os.ReadDir(badDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		path, err := filepath.Abs(filepath.Join(badDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := bytes.Cut(b, []byte("\n"))
		want, ok := strings.CutPrefix(string(first), "# want: ")
		if !ok {
			t.Fatalf("%s: first line %q is not \"# want: ...\"", e.Name(), first)
		}
		add(badCase{name: "render config/" + e.Name(), args: []string{"render", path}, want: []string{e.Name(), want}},
			badCase{name: "apply config/" + e.Name(), args: []string{"apply", path, "--artifact", "/bin/true"}, want: []string{e.Name(), want}})
	}

	// The e2e apply suite's cases (internal/e2e/apply/badinput_test.go).
	for _, c := range []struct{ file, want string }{
		{"{e2e-unknown-key}", `unknown key "descripton" (did you mean description?)`},
		{"{e2e-nested-key}", `unknown key "extra_section"`},
		{"{e2e-port-70000}", "port 70000 out of range"},
		{"{e2e-port-zero}", "out of range"},
		{"{e2e-name-dotdot}", "would escape"},
		{"{e2e-name-slash}", "not a valid service name"},
		{"{e2e-name-newline}", "not a valid service name"},
		{"{e2e-desc-inject}", "newline"},
		{"{e2e-duplicate}", "duplicate"},
		{"{e2e-empty-command}", "command"},
		{"{e2e-bad-yaml}", "e2e-bad-yaml.yaml:"},
		{"{e2e-wrong-type}", "instances"},
		{"{e2e-empty}", "name"},
	} {
		base := strings.Trim(c.file, "{}") + ".yaml"
		add(badCase{name: "apply " + base, args: []string{"apply", c.file, "--artifact", "/bin/true"}, want: []string{base, c.want}})
	}
	add(
		// (The e2e suite's "no --artifact on first install" and "missing
		// artifact" need systemd: apply asks it which instances exist first.)
		badCase{name: "apply extra args", args: []string{"apply", "{good}", "extra"}, want: []string{"accepts 1 arg"}},
		badCase{name: "apply misspelled flag", args: []string{"apply", "{good}", "--artifcat", "x"}, want: []string{"unknown flag", "--artifcat"}},
	)

	// Hostile files and paths, for every command that reads a file.
	for _, cmd := range [][]string{{"render"}, {"apply", "--dry-run"}} {
		c := strings.Join(cmd, " ")
		with := func(file string) []string { return append(slices.Clone(cmd), file) }
		add(
			badCase{name: c + " FIFO", args: with("{fifo}"), want: []string{"fifo.yaml", "not a regular file"}, needs: "h-input"},
			badCase{name: c + " /dev/zero", args: with("/dev/zero"), want: []string{"/dev/zero", "not a regular file"}, needs: "h-input"},
			badCase{name: c + " directory", args: with("{adir}"), want: []string{"adir", "directory"}},
			badCase{name: c + " missing", args: with("{none}"), want: []string{"missing.yaml", "no such file"}},
			badCase{name: c + " symlink loop", args: with("{loop}"), want: []string{"loop.yaml", "too many levels of symbolic links"}},
			badCase{name: c + " 300-char path", args: with("{long}"), want: []string{"nnnnnnnn", "file name too long"}},
			badCase{name: c + " empty path", args: with(""), want: []string{"no such file"}},
			badCase{name: c + " NUL in path", args: with("a\x00b.yaml"), want: []string{"invalid argument"}},
			badCase{name: c + " non-UTF-8 path", args: with("\xff\xfe.yaml"), want: []string{"no such file"}},
			badCase{name: c + " 2 MiB file", args: with("{huge}"), want: []string{"huge.yaml", "more than"}},
			badCase{name: c + " nested sequences", args: with("{nest}"), want: []string{"nest.yaml"}, needs: "h-input"},
			badCase{name: c + " nested mappings", args: with("{nestmap}"), want: []string{"nestmap.yaml"}, needs: "h-input"},
			badCase{name: c + " alias bomb", args: with("{alias}"), want: []string{"alias.yaml"}, needs: "h-input"},
			badCase{name: c + " binary garbage", args: with("{garbage}"), want: []string{"garbage.yaml"}},
			// A BOM may be accepted or refused, but never read as part of
			// the first key.
			badCase{name: c + " BOM", args: with("{bom}"), codes: []int{0, 1, 2}, not: []string{`\ufeff`, "unknown key", "not allowed in this context"}, needs: "h-input"},
			badCase{name: c + " invalid UTF-8 value", args: with("{badutf8}"), want: []string{"badutf8.yaml", "UTF-8"}, needs: "h-input"},
			badCase{name: c + " 300-char name", args: with("{longname}"), want: []string{"longname.yaml", "name", "63"}, needs: "h-input"},
		)
	}
	for _, p := range []struct{ name, path, want string }{
		{"FIFO", "{fifo}", "fifo.yaml"},
		{"/dev/zero", "/dev/zero", "/dev/zero"},
		{"missing", "{none}", "missing.yaml"},
		{"symlink loop", "{loop}", "loop.yaml"},
		{"300-char path", "{long}", "nnnnnnnn"},
		{"NUL in path", "a\x00b.service", "invalid argument"},
	} {
		c := badCase{name: "lint " + p.name, args: []string{"lint", p.path}, want: []string{p.want}}
		if p.name == "FIFO" || p.name == "/dev/zero" {
			c.needs = "h-input (lint file reading)"
		}
		add(c)
	}

	// Hostile service names, for every command that takes one.
	names := []struct{ name, arg string }{
		{"empty", ""},
		{"NUL", "hello\x00world"},
		{"non-UTF-8", "\xff\xfe"},
		{"dotdot", "../etc"},
		{"slash", "a/b"},
		{"at", "a@b"},
		{"dash", "-"},
		{"dot", "."},
		{"newline", "a\nb"},
		{"300 chars", strings.Repeat("a", 300)},
		{"1 MiB", strings.Repeat("a", 1<<20)},
	}
	for _, cmd := range [][]string{{"init"}, {"status"}, {"history"}, {"restart"}, {"rollback"}, {"uninstall"}, {"deploy", "--artifact", "/bin/true"}, {"deploy", "--resume"}} {
		for _, n := range names {
			args := append(slices.Clone(cmd), "--", n.arg)
			add(badCase{name: cmd[0] + " name " + n.name + strings.Join(cmd[1:], " "), args: args, want: []string{"not a valid service name"}})
		}
	}

	// Numeric flags: NaN, infinities, zero, negative, absurdly small and
	// large, overflow; every command that has them.
	for _, cmd := range []string{"deploy", "restart", "rollback"} {
		pre := []string{cmd, "ghost", "--probe", "http://127.0.0.1:23600/"}
		if cmd == "deploy" {
			pre = append(pre, "--artifact", "/bin/true")
		}
		for _, v := range []string{"NaN", "nan", "Inf", "+Inf", "-Inf", "0", "-0", "-1", "1e-10", "1e-300", "5e-324", "0.09", "1000.5", "1e308", "1e400", "0x1p-1074", "", "twenty", "20/s"} {
			add(badCase{name: cmd + " --probe-rate " + v, args: append(slices.Clone(pre), "--probe-rate", v), want: []string{"--probe-rate"}})
		}
		for _, v := range []string{"-1", "-9223372036854775808", "9223372036854775808", "1e3", "NaN", "", "0x"} {
			add(badCase{name: cmd + " --probe-max-failures " + v, args: append(slices.Clone(pre), "--probe-max-failures", v), want: []string{"--probe-max-failures"}})
		}
		// Without --probe the rate means nothing: refused, not ignored.
		noProbe := []string{cmd, "ghost", "--probe-rate", "5"}
		if cmd == "deploy" {
			noProbe = append(noProbe, "--artifact", "/bin/true")
		}
		add(badCase{name: cmd + " --probe-rate without --probe", args: noProbe, want: []string{"--probe-rate", "--probe URL"}})
		badURL := append(slices.Clone(pre), "--probe", "\x00://\xff")
		add(badCase{name: cmd + " --probe not a URL", args: badURL, want: []string{"--probe", "http://"}})
	}
	for _, v := range []string{"-1", "-9223372036854775808", "9223372036854775808", "99999999999999999999", "NaN", "1.5", "", "ten"} {
		add(badCase{name: "history -n " + v, args: []string{"history", "ghost", "-n", v}, want: []string{"--limit"}})
	}
	// Integers in plain decimal only: pflag read -n 010 as 8 and 0x10 as 16.
	for _, v := range []string{"010", "0x10", "0o7", "0b1", "1_0", "+5", "00"} {
		add(badCase{name: "history -n " + v, args: []string{"history", "ghost", "-n", v}, want: []string{"--limit", "not a whole number in plain decimal"}})
		pre := []string{"restart", "ghost", "--probe", "http://127.0.0.1:23600/", "--probe-max-failures", v}
		add(badCase{name: "restart --probe-max-failures " + v, args: pre, want: []string{"--probe-max-failures", "not a whole number in plain decimal"}})
	}

	// init of a name whose units would replace systemd's: the starter it
	// wrote was refused by render and apply.
	for _, n := range []string{"multi-user", "user", "dbus", "systemd-foo"} {
		add(badCase{name: "init " + n, args: []string{"init", n}, want: []string{n, "cannot be a service name"}})
	}

	// --state-dir and --unit-dir: "" silently meant the default, a relative
	// path a directory under wherever sysroll was started.
	for _, dir := range []string{"state-dir", "unit-dir"} {
		for _, cmd := range [][]string{{"status"}, {"history", "ghost"}} {
			for _, v := range []struct{ arg, want string }{
				{"--" + dir + "=", "--" + dir + " is empty"},
				{"--" + dir + "=relative", "is not an absolute path"},
				{"--" + dir + "=./x", "is not an absolute path"},
				{"--" + dir + "=/tmp/../etc", "contains '..'"},
				{"--" + dir + "=/tmp/a\nb", "control character"},
			} {
				arg := strings.ReplaceAll(v.arg, `\n`, "\n")
				add(badCase{name: strings.Join(cmd, " ") + " " + v.arg, args: append(slices.Clone(cmd), arg), want: []string{"--" + dir, v.want}})
			}
		}
	}

	// Commands, flags and `--` tricks.
	add(
		badCase{name: "unknown command", args: []string{"frobnicate"}, raw: true, want: []string{"unknown command", "frobnicate"}},
		badCase{name: "empty command", args: []string{""}, raw: true, want: []string{"unknown command"}},
		badCase{name: "NUL command", args: []string{"st\x00atus"}, raw: true, want: []string{"unknown command"}},
		badCase{name: "non-UTF-8 command", args: []string{"\xff"}, raw: true, want: []string{"unknown command"}},
		badCase{name: "unknown flag", args: []string{"status", "--frob"}, raw: true, want: []string{"unknown flag", "--frob"}},
		badCase{name: "unknown shorthand", args: []string{"status", "-Z"}, raw: true, want: []string{"unknown shorthand", "Z"}},
		badCase{name: "bool flag with a value", args: []string{"status", "--json=maybe"}, raw: true, want: []string{"--json", "maybe"}},
		badCase{name: "flag needing a value at the end", args: []string{"deploy", "ghost", "--artifact"}, raw: true, want: []string{"--artifact", "needs an argument"}},
		badCase{name: "-- then a flag as the file", args: []string{"render", "--", "--help"}, want: []string{"--help", "no such file"}},
		badCase{name: "-- then a flag as the name", args: []string{"status", "--", "--json"}, want: []string{"not a valid service name"}},
		badCase{name: "-- then extra args", args: []string{"deploy", "ghost", "--", "--artifact", "x"}, want: []string{"accepts 1 arg"}},
		badCase{name: "too many args", args: []string{"init", "a", "b"}, want: []string{"accepts 1 arg"}},
		badCase{name: "no args", args: []string{"render"}, want: []string{"accepts 1 arg"}},
		badCase{name: "completion tcsh", args: []string{"completion", "tcsh"}, raw: true, want: []string{"tcsh", "bash, fish, powershell, zsh"}},
		badCase{name: "completion without a shell", args: []string{"completion"}, raw: true, want: []string{"bash, fish, powershell, zsh"}},
		badCase{name: "help for no command", args: []string{"help", "frobnicate"}, raw: true, want: []string{"frobnicate", "no such command"}},
		badCase{name: "version with an argument", args: []string{"version", "x"}, raw: true, want: []string{"unknown command"}},
		badCase{name: "deploy --resume with --artifact", args: []string{"deploy", "ghost", "--resume", "--artifact", "x"}, want: []string{"--resume", "--artifact"}},
		badCase{name: "deploy --check unterminated", args: []string{"deploy", "ghost", "--artifact", "/bin/true", "--check", `"x`}, want: []string{"--check"}},
		badCase{name: "not installed", args: []string{"status", "ghost"}, want: []string{"ghost", "not installed"}},
		badCase{name: "render --output-dir a file", args: []string{"render", "{good}", "--output-dir", "{good}"}, codes: []int{1, 2}, want: []string{"good.yaml"}},
		badCase{name: "state dir is a FIFO", args: []string{"--state-dir", "{fifo}", "status", "ghost"}, raw: true, codes: []int{1, 2}, want: []string{"fifo.yaml", "not a directory"}},
		badCase{name: "state dir is /dev/zero", args: []string{"--state-dir", "/dev/zero", "history", "ghost"}, raw: true, codes: []int{1, 2}, want: []string{"/dev/zero", "not a directory"}},
	)
	return cs
}

// TestBadInput: no hostile input makes sysroll crash, hang, print a stack or
// an "internal error": each gets exit 2 (bad input) or 1 (operation failed)
// and a message naming the file or flag and the rule.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	ph := hostileFiles(t, dir)
	fill := func(s string) string {
		for k, v := range ph {
			s = strings.ReplaceAll(s, k, v)
		}
		return s
	}
	cases := badCases(t)
	if len(cases) < 300 {
		t.Fatalf("only %d cases", len(cases))
	}
	var failed []string
	for _, c := range cases {
		ok := t.Run(c.name, func(t *testing.T) {
			var args []string
			if !c.raw {
				args = []string{"--state-dir", ph["{state}"], "--unit-dir", ph["{units}"]}
			}
			for _, a := range c.args {
				args = append(args, fill(a))
			}
			r := runChild(t, dir, args)
			codes := c.codes
			if codes == nil {
				codes = []int{ExitUsage}
			}
			if !slices.Contains(codes, r.code) {
				t.Errorf("want exit %v, got %s", codes, r)
			}
			for _, f := range forbidden {
				if strings.Contains(r.stderr, f) {
					t.Errorf("stderr contains %q: %s", f, r)
				}
			}
			// (stdout may be help, which documents exit 3 "internal error".)
			if strings.Contains(r.stdout, "goroutine ") || strings.Contains(r.stdout, "runtime error") {
				t.Errorf("stdout has a stack trace: %s", r)
			}
			for _, w := range c.want {
				if !strings.Contains(r.stderr, fill(w)) {
					t.Errorf("stderr lacks %q: %s", fill(w), r)
				}
			}
			for _, n := range c.not {
				if strings.Contains(r.stderr, n) {
					t.Errorf("stderr has %q: %s", n, r)
				}
			}
			if r.code == ExitUsage && r.stdout != "" {
				t.Errorf("bad input printed output besides the error: %s", r)
			}
			// Nothing was written where the state and units would go.
			for _, d := range []string{ph["{state}"], ph["{units}"]} {
				if es, _ := os.ReadDir(d); len(es) > 0 {
					t.Errorf("%s has %d entries after a refused command", d, len(es))
					_ = os.RemoveAll(d)
					_ = os.Mkdir(d, 0o755)
				}
			}
		})
		if !ok {
			failed = append(failed, fmt.Sprintf("%s (needs %s)", c.name, cmp(c.needs, "-")))
		}
	}
	if len(failed) > 0 {
		t.Logf("%d of %d cases failed:\n  %s", len(failed), len(cases), strings.Join(failed, "\n  "))
	}
}

func cmp(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
