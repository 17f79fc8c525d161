package lint

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/sysroll/sysroll/internal/proc"
)

// Verifier runs `systemd-analyze verify` on unit files that all sit in one
// directory and returns what it printed. A non-zero exit with output is not
// an error: the output is the result.
type Verifier func(ctx context.Context, paths []string) ([]byte, error)

// ErrAnalyzeUnavailable means systemd-analyze is not installed.
var ErrAnalyzeUnavailable = errors.New("systemd-analyze not found")

// SystemdAnalyze is the real Verifier. It runs
// `systemd-analyze verify --man=no PATHS...` (--man=no: Documentation= would
// otherwise run man(1) for every page) with logging pinned to plain text.
func SystemdAnalyze(ctx context.Context, paths []string) ([]byte, error) {
	bin, err := exec.LookPath("systemd-analyze")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAnalyzeUnavailable, err)
	}
	// Through proc: its own process group, killed whole when ctx ends, and
	// output bounded (the end is kept; thousands of findings fit).
	cmd := proc.Command(ctx, bin, append([]string{"verify", "--man=no"}, paths...)...)
	cmd.Dir = filepath.Dir(paths[0])
	cmd.Env = append(cmd.Env, "SYSTEMD_LOG_LEVEL=info", "SYSTEMD_LOG_COLOR=0",
		"SYSTEMD_LOG_LOCATION=0", "SYSTEMD_LOG_TIME=0", "SYSTEMD_LOG_TID=0", "SYSTEMD_PAGER=")
	tail := proc.NewTail(verifyOutputMax)
	cmd.Stdout, cmd.Stderr = tail, tail
	err = proc.Run(cmd)
	out := tail.Bytes()
	if tail.Truncated() {
		// The first line kept is cut: drop it.
		if i := bytes.IndexByte(out, '\n'); i >= 0 {
			out = out[i+1:]
		}
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) && len(bytes.TrimSpace(out)) > 0 {
		// verify exits 1 for errors and 0 for warnings: read the lines.
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("systemd-analyze verify: %w (output: %q)", err, out)
	}
	return out, nil
}

// verifyOutputMax bounds what is kept of systemd-analyze's output.
const verifyOutputMax = 1 << 20

// verify copies the files into one temporary directory, so references
// between them resolve whatever directories they came from, runs v, and
// turns each line of its output into (or attaches it to) a finding.
func (s *unitSet) verify(ctx context.Context, v Verifier) {
	dir, err := os.MkdirTemp("", "sysroll-lint-")
	if err != nil {
		s.add(nil, 0, RuleSystemdAnalyze, Warning, fmt.Sprintf("systemd-analyze verify not run: %v", err), "")
		return
	}
	defer os.RemoveAll(dir)
	var paths []string
	copied := map[string]bool{}
	for _, u := range s.units {
		if _, ok := parseUnitName(u.Name); !ok || copied[u.Name] {
			s.add(u, 0, RuleSystemdAnalyze, Info,
				"Not checked by systemd-analyze verify: the name is not a unit file name or another file has the same name.",
				"Name unit files NAME.service, NAME@.service, NAME.target, ...")
			continue
		}
		copied[u.Name] = true
		p := filepath.Join(dir, u.Name)
		if err := os.WriteFile(p, u.raw, 0o644); err != nil {
			s.add(u, 0, RuleSystemdAnalyze, Warning, fmt.Sprintf("systemd-analyze verify not run: %v", err), "")
			return
		}
		paths = append(paths, p)
	}
	if len(paths) == 0 {
		return
	}
	out, err := v(ctx, paths)
	if errors.Is(err, ErrAnalyzeUnavailable) {
		s.add(nil, 0, RuleAnalyzeUnavailable, Info,
			"systemd-analyze is not installed here, so the checks systemd itself makes (unknown keys and sections, values it cannot parse, missing programs) were skipped; sysroll lint's own rules ran.",
			"Install systemd (it provides systemd-analyze) where lint runs, or lint on the target host.")
		return
	}
	if err != nil {
		s.add(nil, 0, RuleSystemdAnalyze, Warning, fmt.Sprintf("systemd-analyze verify failed: %v", err), "")
		return
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(strings.ReplaceAll(line, dir+"/", ""))
		if line == "" || seen[line] {
			continue
		}
		seen[line] = true
		s.addAnalyzeLine(line)
	}
}

var (
	// "/tmp/x/my-service-1.service:10: Failed to parse sec value, ignoring: 2 # x"
	// (the temporary directory is already stripped).
	fileLineRe = regexp.MustCompile(`^(\S+?):(\d+): (.*)$`)
	// "my-service-group.service: Service has no ExecStart=, ..."
	unitMsgRe = regexp.MustCompile(`^([^\s:/]+\.[a-z]+): (.*)$`)
	// "Unit my-service-group.service has a bad unit file setting."
	unitPrefixRe = regexp.MustCompile(`^Unit ([^\s:/]+\.[a-z]+) `)
	// "Command /path/to/my-binary is not executable: No such file or directory"
	commandRe = regexp.MustCompile(`Command (\S+) is not executable`)
	// "Dependency After=web@8081.service is dropped."
	dependencyRe = regexp.MustCompile(`Dependency (\w+)=(\S+) is dropped`)
)

// addAnalyzeLine maps one line of verify output to a file and line, and
// attaches it to the finding that already explains it, or adds a new one.
func (s *unitSet) addAnalyzeLine(line string) {
	var (
		name, text = "", line
		lineNo     = 0
	)
	if m := fileLineRe.FindStringSubmatch(line); m != nil {
		name, text = m[1], m[3]
		lineNo, _ = strconv.Atoi(m[2])
	} else if m := unitMsgRe.FindStringSubmatch(line); m != nil {
		name, text = m[1], m[2]
	} else if m := unitPrefixRe.FindStringSubmatch(line); m != nil {
		name = m[1]
	}
	var u *Unit
	if !strings.Contains(name, "/") { // a path is a unit outside our files
		u = s.lookup(name)
	}
	path := ""
	if u != nil {
		path = u.Path
	} else if name != "" {
		path = name // a unit this file depends on, not one we were given
	}
	refusal := strings.Contains(text, "Refusing") || strings.Contains(text, "bad unit file setting") ||
		strings.Contains(text, "failed to load properly")
	var own *Finding
	switch {
	case lineNo > 0:
		own = s.findingAt(path, lineNo)
	case refusal:
		own = s.findingAt(path, -1, RuleNoExecStart, RuleServiceRefused, RuleSyntax)
	}
	if own != nil {
		own.Analyze = append(own.Analyze, line)
		return
	}
	// verify checks a template as the made-up instance "i": a command path
	// that contains %i names a file that exists only for real instances.
	if m := commandRe.FindStringSubmatch(text); m != nil && u != nil && templateExec(u) {
		return
	}
	sev, msg, fix := classifyAnalyze(text)
	if u != nil && lineNo == 0 {
		if m := commandRe.FindStringSubmatch(text); m != nil {
			lineNo = execLine(u, m[1])
		} else if m := dependencyRe.FindStringSubmatch(text); m != nil {
			lineNo = wordLine(u, m[1], m[2])
		}
	}
	if refusal {
		sev = Error
	}
	s.findings = append(s.findings, Finding{Path: path, Line: lineNo, Rule: RuleSystemdAnalyze,
		Severity: sev, Message: msg, Fix: fix, Analyze: []string{line}})
}

// classifyAnalyze explains a verify message: what systemd does and the fix.
func classifyAnalyze(text string) (Severity, string, string) {
	switch {
	case strings.Contains(text, "is not executable") || strings.Contains(text, "Command ") && strings.Contains(text, "not found"):
		return Info, text + ". That is so on this machine; if the program is missing on the target host too, every start fails with status=203/EXEC (and Restart= turns that into a crash loop).",
			"Install the program at that path before the unit starts, or point ExecStart= at where it is installed."
	case strings.Contains(text, "is dropped"):
		return Info, text + " A unit cannot depend on itself: a template names one of its own instances, so in that instance systemd drops the dependency.",
			"Do not make instances depend on each other (see instance-dependency)."
	case strings.Contains(text, "not found"):
		return Info, text + ". A unit this file refers to is not installed on this machine; on a host without it, the start job fails.",
			"Install the missing unit, or drop the dependency on it."
	case strings.HasPrefix(text, "Unknown key"):
		return Warning, text + " systemd ignores this line.",
			"Fix the key's spelling, or move it to the section that defines it (systemd.directives(7) lists them)."
	case strings.HasPrefix(text, "Unknown section"):
		return Warning, text + " systemd ignores the section and every setting in it.",
			"Use the section the unit type reads ([Unit], [Service], [Install], ...), or an X- prefix for private data."
	case strings.HasPrefix(text, "Failed to parse") || strings.Contains(text, ", ignoring"):
		return Warning, text + " systemd ignores this line; the setting keeps its earlier value or its default.",
			"Write a value the setting accepts (see its man page); comments must be on lines of their own."
	}
	return Warning, text,
		"Correct what systemd-analyze verify reports; note that it exits 0 on warnings, so only reading its output (as sysroll lint does) catches them."
}

// execLine finds the Exec*= line that runs cmd.
func execLine(u *Unit, cmd string) int {
	for _, a := range u.Assignments {
		if strings.HasPrefix(a.Key, "Exec") && execBinary(a.Value) == cmd {
			return a.Line
		}
	}
	return 0
}

// wordLine finds the [Unit] key= line that lists word.
func wordLine(u *Unit, key, word string) int {
	for _, w := range u.Words("Unit", key) {
		if w.Value == word {
			return w.Line
		}
	}
	return 0
}

// templateExec reports whether an Exec*= command path of u depends on the
// instance name (%i or %I).
func templateExec(u *Unit) bool {
	for _, a := range u.Assignments {
		if strings.HasPrefix(a.Key, "Exec") {
			bin := execBinary(a.Value)
			if strings.Contains(bin, "%i") || strings.Contains(bin, "%I") {
				return true
			}
		}
	}
	return false
}
