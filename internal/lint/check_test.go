package lint

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// at is a finding's identity for assertions: file, line, rule, severity.
type at struct {
	File string
	Line int
	Rule Rule
	Sev  Severity
}

func ats(fs []Finding) []at {
	var out []at
	for _, f := range fs {
		out = append(out, atOf(f))
	}
	return out
}

// atOf names our own testdata files by base name; other paths (units
// outside the set, "" for the whole run) stay as they are.
func atOf(f Finding) at {
	file := f.Path
	if strings.HasPrefix(file, "testdata/") {
		file = filepath.Base(file)
	}
	return at{file, f.Line, f.Rule, f.Severity}
}

// readDir loads the unit files of a testdata directory, in name order.
func readDir(t *testing.T, dir string) []File {
	t.Helper()
	files, err := ReadFiles([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no unit files in %s", dir)
	}
	return files
}

// recorded replays what systemd-analyze 252 printed for the same files, with
// {{DIR}} standing for the directory it ran in.
func recorded(t *testing.T, file string) Verifier {
	t.Helper()
	out, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return func(_ context.Context, paths []string) ([]byte, error) {
		return []byte(strings.ReplaceAll(string(out), "{{DIR}}", filepath.Dir(paths[0]))), nil
	}
}

// guideWant is every mistake design.md §1 lists in the guide's units, at
// the line it is on, plus the two machine-dependent notes from verify.
var guideWant = []at{
	{"my-service-1.service", 4, RuleNetworkTarget, Warning},
	{"my-service-1.service", 7, RuleSystemdAnalyze, Info}, // /path/to/my-binary missing here
	{"my-service-1.service", 10, RuleInlineComment, Warning},
	{"my-service-1.service", 10, RuleRestartSecFallback, Warning},
	{"my-service-2.service", 3, RuleActiveNotReady, Warning},
	{"my-service-2.service", 4, RuleInstanceDependency, Error},
	{"my-service-2.service", 7, RuleSystemdAnalyze, Info},
	{"my-service-group.service", 4, RuleNoExecStart, Error},
	{"my-service-group.service", 5, RuleWrongSection, Warning},
	{"my-service-group.service", 5, RulePartOfDirection, Error},
}

func TestGuideUnits(t *testing.T) {
	files := readDir(t, "testdata/guide")
	got := Checker{Verify: recorded(t, "testdata/guide-verify-252.txt")}.Check(context.Background(), files)
	if !reflect.DeepEqual(ats(got), guideWant) {
		t.Fatalf("findings:\n got %v\nwant %v", ats(got), guideWant)
	}
	// What systemd actually does must be in the message, not just a rule id.
	mustSay := map[Rule][]string{
		RuleInlineComment:      {`"2  # Delay before restart if failed"`, "RestartSec= stays at its default 100ms"},
		RuleRestartSecFallback: {"100ms", "StartLimitBurst=5 within StartLimitIntervalSec=10s", "about 500ms", "stays failed"},
		RuleNoExecStart:        {"refuses to load", "Service has no ExecStart=, ExecStop=, or SuccessAction=. Refusing."},
		RuleWrongSection:       {"Unknown key 'PartOf' in section [Service]"},
		RulePartOfDirection:    {"wrong way", "my-service-1.service my-service-2.service"},
		RuleInstanceDependency: {"restarts my-service-2.service in the same transaction",
			"stop my-service-2.service, stop my-service-1.service, start my-service-1.service, start my-service-2.service",
			"both instances are down at once", "Every automatic restart of my-service-1.service (Restart=on-failure) bounces my-service-2.service",
			"hits its start limit, my-service-2.service stays down"},
		RuleNetworkTarget:  {"Requires=network.target", "passive"},
		RuleActiveNotReady: {"Type=simple", "forked", "not ready"},
	}
	mustFix := map[Rule][]string{
		RuleInlineComment:      {`"# Delay before restart if failed" then "RestartSec=2"`},
		RuleRestartSecFallback: {"RestartSec=2s"},
		RuleNoExecStart:        {"my-service.target", "Wants=my-service-1.service my-service-2.service"},
		RulePartOfDirection:    {"PartOf=my-service.target"},
		RuleInstanceDependency: {"Remove Requires=my-service-1.service", "my-service.target", "sysroll restart"},
		RuleNetworkTarget:      {"Keep After=network.target", "network-online.target"},
		RuleActiveNotReady:     {"Type=notify", "READY=1"},
	}
	for _, f := range got {
		for _, s := range mustSay[f.Rule] {
			if !strings.Contains(f.Message, s) {
				t.Errorf("%s:%d %s message lacks %q:\n%s", f.Path, f.Line, f.Rule, s, f.Message)
			}
		}
		for _, s := range mustFix[f.Rule] {
			if !strings.Contains(f.Fix, s) {
				t.Errorf("%s:%d %s fix lacks %q:\n%s", f.Path, f.Line, f.Rule, s, f.Fix)
			}
		}
		if f.Fix == "" {
			t.Errorf("%s:%d %s has no fix", f.Path, f.Line, f.Rule)
		}
	}
	// Every line verify printed is accounted for: attached as evidence to
	// the finding that explains it, or a finding of its own.
	var analyze []string
	for _, f := range got {
		analyze = append(analyze, f.Analyze...)
	}
	raw, _ := os.ReadFile("testdata/guide-verify-252.txt")
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		line = strings.ReplaceAll(line, "{{DIR}}/", "")
		if !slices.Contains(analyze, line) {
			t.Errorf("systemd-analyze line not reported: %q", line)
		}
	}
	evidence := map[at]string{
		guideWant[2]: "Failed to parse sec value",
		guideWant[7]: "has a bad unit file setting",
		guideWant[8]: "Unknown key 'PartOf'",
	}
	for _, f := range got {
		want, ok := evidence[atOf(f)]
		if ok && !strings.Contains(strings.Join(f.Analyze, "\n"), want) {
			t.Errorf("%s:%d %s: systemd-analyze evidence %q missing, have %q", f.Path, f.Line, f.Rule, want, f.Analyze)
		}
	}
}

// TestCases runs the rules alone (no systemd-analyze) on one directory of
// units per case: exactly these findings, no others.
func TestCases(t *testing.T) {
	tests := []struct {
		dir  string
		want []at
	}{
		{"comments", []at{
			{"inline.service", 2, RuleInlineComment, Info},    // Description: text
			{"inline.service", 3, RuleInlineComment, Warning}, // After=: unit names
			{"inline.service", 5, RuleInlineComment, Warning}, // Type=: ignored
			{"inline.service", 6, RuleInlineComment, Warning}, // ExecStart=: arguments
			{"inline.service", 9, RuleInlineComment, Warning}, // RestartSec=: ignored
		}},
		{"conflicts", []at{
			{"app@.service", 3, RuleInstanceDependency, Error}, // Conflicts=
			{"app@.service", 4, RuleInstanceDependency, Error}, // Upholds=
			{"app@.service", 6, RuleInstanceDependency, Error}, // PropagatesStopTo=
			{"app@.service", 7, RuleInstanceDependency, Error}, // StopPropagatedFrom=
		}},
		{"refused", []at{
			{"empty.service", 0, RuleNoExecStart, Error},
			{"multi-exec.service", 3, RuleServiceRefused, Error},
			{"notify-no-start.service", 2, RuleNoExecStart, Error},
			{"oneshot-always.service", 4, RuleServiceRefused, Error},
			{"stop-only.service", 1, RuleNoExecStart, Error},
		}},
		{"specifiers", []at{
			{"app@.service", 3, RuleInstanceDependency, Error}, // Requires=%p@8082.service
			{"app@.service", 4, RuleInstanceDependency, Error}, // BindsTo=%N8083.service
		}},
		{"samebinary", []at{
			{"api-green.service", 2, RuleInstanceDependency, Error},
		}},
		{"sections", []at{
			{"wrong.service", 1, RuleSyntax, Warning},
			{"wrong.service", 3, RuleWrongSection, Warning},
			{"wrong.service", 7, RuleWrongSection, Warning},
			{"wrong.service", 8, RuleWrongSection, Warning},
			{"wrong.service", 9, RuleSyntax, Warning},
			{"wrong.service", 10, RuleSyntax, Warning},
			{"wrong.service", 12, RuleWrongSection, Warning},
			{"wrong.service", 13, RuleSyntax, Error},
		}},
		{"startlimit", []at{
			{"fast.service", 4, RuleStartLimit, Info},
			{"missing.service", 4, RuleRestartSecFallback, Warning},
		}},
		{"template", []at{
			{"web.target", 3, RuleNetworkTarget, Warning},
			{"web.target", 4, RuleActiveNotReady, Warning},
			{"web@.service", 3, RuleActiveNotReady, Warning},
			{"web@.service", 4, RuleInstanceDependency, Error},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			got := Checker{}.Check(context.Background(), readDir(t, filepath.Join("testdata/bad", tt.dir)))
			if !reflect.DeepEqual(ats(got), tt.want) {
				t.Errorf("findings:\n got %v\nwant %v", ats(got), tt.want)
				_ = Format(testWriter{t}, got)
			}
		})
	}
}

func TestMessagesSayWhatSystemdDoes(t *testing.T) {
	find := func(dir, file string, line int) Finding {
		t.Helper()
		for _, f := range (Checker{}).Check(context.Background(), readDir(t, filepath.Join("testdata/bad", dir))) {
			if filepath.Base(f.Path) == file && f.Line == line {
				return f
			}
		}
		t.Fatalf("no finding at %s:%d", file, line)
		return Finding{}
	}
	tests := []struct {
		dir, file string
		line      int
		want      string
	}{
		{"comments", "inline.service", 5, "Type= stays at its default simple"},
		{"comments", "inline.service", 6, `passes "# passed to /bin/true" to the program as extra arguments`},
		{"comments", "inline.service", 9, "RestartSec= stays 5 (from line 8)"},
		{"refused", "multi-exec.service", 3, "more than one ExecStart="},
		{"refused", "oneshot-always.service", 4, "always or on-success"},
		{"startlimit", "fast.service", 4, "restarted 5 times in about 2s 500ms"},
		{"startlimit", "missing.service", 4, "RestartSec= is not set"},
		{"template", "web@.service", 4, "is stopped whenever web@8081.service stops or crashes"},
		{"samebinary", "api-green.service", 2, "both run /usr/bin/api"},
		{"conflicts", "app@.service", 3, "starting either one stops the other"},
		{"conflicts", "app@.service", 4, "a rollout cannot stop it"},
		{"conflicts", "app@.service", 6, "every stop of each instance of app@.service stops app@8082.service too"},
		{"conflicts", "app@.service", 7, "every stop of app@8081.service stops each instance of app@.service too"},
		{"sections", "wrong.service", 13, "refuses the unit"},
	}
	for _, tt := range tests {
		if f := find(tt.dir, tt.file, tt.line); !strings.Contains(f.Message, tt.want) {
			t.Errorf("%s:%d: message lacks %q:\n%s", tt.file, tt.line, tt.want, f.Message)
		}
	}
}

// TestGoodUnits: what sysroll renders (template + target) must be clean,
// with systemd-analyze too when it is installed.
func TestGoodUnits(t *testing.T) {
	files := readDir(t, "testdata/good")
	if got := (Checker{}).Check(context.Background(), files); len(got) != 0 {
		t.Errorf("own rules: want no findings, got %v", ats(got))
	}
	got := Check(files)
	if !analyzeInstalled() {
		want := []at{{"", 0, RuleAnalyzeUnavailable, Info}}
		if !reflect.DeepEqual(ats(got), want) {
			t.Errorf("without systemd-analyze: got %v, want %v", ats(got), want)
		}
		return
	}
	if len(got) != 0 {
		t.Errorf("with systemd-analyze: want no findings, got %v", ats(got))
		_ = Format(testWriter{t}, got)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// TestNoFalsePositives: correct units that look like pitfalls.
func TestNoFalsePositives(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
	}{
		{"hash in text and quoted values", map[string]string{"w.service": `[Unit]
Description=Worker #1
Documentation=https://example.com/docs#restart
[Service]
Type=exec
ExecStart=/bin/sh -c 'echo "# not a comment"'
Environment="COLOR=#fff" TAG=a#b
`}},
		{"reset ExecStart and oneshot without restart", map[string]string{"o.service": `[Service]
Type=oneshot
ExecStart=/bin/false
ExecStart=
ExecStart=/bin/true
ExecStart=/bin/echo second, fine for oneshot
`}},
		{"continued dependency list", map[string]string{"g.target": `[Unit]
Wants=a.service \
# b is not wanted any more
      c.service
After=network.target
`}},
		{"different services may require each other", map[string]string{
			"api.service": "[Unit]\nRequires=db.service\nAfter=db.service\n[Service]\nType=notify\nExecStart=/usr/bin/api\n",
			"db.service":  "[Service]\nType=notify\nExecStart=/usr/bin/db\n",
		}},
		{"deliberate start limits", map[string]string{"l.service": `[Unit]
StartLimitIntervalSec=0
[Service]
ExecStart=/bin/true
Restart=always
RestartSec=100ms
`}},
		{"oneshot with RemainAfterExit and ExecStop only", map[string]string{"r.service": `[Service]
Type=oneshot
RemainAfterExit=yes
ExecStop=/bin/true
`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var files []File
			for _, name := range slices.Sorted(maps.Keys(tt.files)) {
				files = append(files, File{Path: name, Data: []byte(tt.files[name])})
			}
			if got := (Checker{}).Check(context.Background(), files); len(got) != 0 {
				t.Errorf("want no findings, got %v", ats(got))
				_ = Format(testWriter{t}, got)
			}
		})
	}
}
