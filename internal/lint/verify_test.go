package lint

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func analyzeInstalled() bool {
	_, err := exec.LookPath("systemd-analyze")
	return err == nil
}

// TestRealSystemdAnalyze runs the installed systemd-analyze on the guide's
// units (it only reads files: no root, no running systemd needed). Without
// it, the result must say so instead of passing quietly.
func TestRealSystemdAnalyze(t *testing.T) {
	got := Check(readDir(t, "testdata/guide"))
	if !analyzeInstalled() {
		last := got[len(got)-1]
		if last.Rule != RuleAnalyzeUnavailable || last.Severity != Info {
			t.Fatalf("systemd-analyze missing but not reported: %v", ats(got))
		}
		return
	}
	have := ats(got)
	for _, w := range guideWant {
		if w.Rule != RuleSystemdAnalyze && !containsAt(have, w) {
			t.Errorf("missing %v in %v", w, have)
		}
	}
	for _, f := range got {
		if f.Rule == RuleSystemdAnalyze && len(f.Analyze) == 0 {
			t.Errorf("%s:%d systemd-analyze finding without its output line", f.Path, f.Line)
		}
		if f.Rule == RuleInlineComment && !strings.Contains(strings.Join(f.Analyze, "\n"), "Failed to parse sec value") {
			t.Errorf("inline-comment finding lacks verify's own diagnosis: %q", f.Analyze)
		}
		if strings.Contains(strings.Join(f.Analyze, "\n"), os.TempDir()) {
			t.Errorf("temporary directory leaked into output: %q", f.Analyze)
		}
	}
}

func containsAt(list []at, a at) bool {
	for _, x := range list {
		if x == a {
			return true
		}
	}
	return false
}

func TestVerifierErrors(t *testing.T) {
	files := readDir(t, "testdata/good")
	tests := []struct {
		name string
		err  error
		want at
	}{
		{"not installed", fmt.Errorf("%w: exec: not found", ErrAnalyzeUnavailable), at{"", 0, RuleAnalyzeUnavailable, Info}},
		{"failed to run", errors.New("signal: killed"), at{"", 0, RuleSystemdAnalyze, Warning}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := func(context.Context, []string) ([]byte, error) { return nil, tt.err }
			got := Checker{Verify: v}.Check(context.Background(), files)
			if want := []at{tt.want}; !reflect.DeepEqual(ats(got), want) {
				t.Errorf("got %v, want %v", ats(got), want)
			}
		})
	}
}

// TestAnalyzeLines: each kind of verify line lands on the right file and
// line, attached to the finding that explains it or as its own finding.
func TestAnalyzeLines(t *testing.T) {
	tests := []struct {
		line     string
		want     at
		attached bool // to an own finding rather than a new one
	}{
		{"DIR/my-service-1.service:10: Failed to parse sec value, ignoring: 2  # Delay before restart if failed",
			at{"my-service-1.service", 10, RuleInlineComment, Warning}, true},
		{"my-service-group.service: Service has no ExecStart=, ExecStop=, or SuccessAction=. Refusing.",
			at{"my-service-group.service", 4, RuleNoExecStart, Error}, true},
		{"Unit my-service-group.service has a bad unit file setting.",
			at{"my-service-group.service", 4, RuleNoExecStart, Error}, true},
		{"my-service-2.service: Command /path/to/my-binary is not executable: No such file or directory",
			at{"my-service-2.service", 7, RuleSystemdAnalyze, Info}, false},
		{"DIR/my-service-2.service:9: Unknown key 'Foo' in section [Service], ignoring.",
			at{"my-service-2.service", 9, RuleSystemdAnalyze, Warning}, false},
		{"my-service-2.service: Failed to create my-service-2.service/start: Unit foo.service not found.",
			at{"my-service-2.service", 0, RuleSystemdAnalyze, Info}, false},
		{"/lib/systemd/system/x.service:3: Unknown section 'Y'. Ignoring.",
			at{"/lib/systemd/system/x.service", 3, RuleSystemdAnalyze, Warning}, false},
		{"Failed to setup manager: Permission denied",
			at{"", 0, RuleSystemdAnalyze, Warning}, false},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			files := readDir(t, "testdata/guide")
			v := func(_ context.Context, paths []string) ([]byte, error) {
				dir := paths[0][:strings.LastIndex(paths[0], "/")]
				return []byte(strings.ReplaceAll(tt.line, "DIR", dir) + "\n"), nil
			}
			own := Checker{}.Check(context.Background(), files)
			got := Checker{Verify: v}.Check(context.Background(), files)
			if tt.attached != (len(got) == len(own)) {
				t.Errorf("attached = %v, but %d findings with verify vs %d without", tt.attached, len(got), len(own))
			}
			for _, f := range got {
				if atOf(f) == tt.want {
					if len(f.Analyze) != 1 || !strings.HasSuffix(tt.line, strings.TrimPrefix(f.Analyze[0], "DIR/")) {
						t.Errorf("Analyze = %q", f.Analyze)
					}
					return
				}
			}
			t.Errorf("no finding %v in %v", tt.want, ats(got))
		})
	}
}

// TestFormat pins the human output on the guide's units (the output of
// `sysroll lint` on them) in testdata/guide.golden; -update rewrites it.
func TestFormat(t *testing.T) {
	got := Checker{Verify: recorded(t, "testdata/guide-verify-252.txt")}.Check(context.Background(), readDir(t, "testdata/guide"))
	for i := range got {
		got[i].Path = strings.TrimPrefix(got[i].Path, "testdata/guide/")
	}
	var b bytes.Buffer
	if err := Format(&b, got); err != nil {
		t.Fatal(err)
	}
	const golden = "testdata/guide.golden"
	if *update {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Errorf("Format output differs from %s (go test ./lint/ -run TestFormat -update):\n%s", golden, b.String())
	}
	var empty bytes.Buffer
	if err := Format(&empty, nil); err != nil || empty.Len() != 0 {
		t.Errorf("Format(nil) wrote %q, %v", empty.String(), err)
	}
}

func TestSeverityJSON(t *testing.T) {
	for _, s := range []Severity{Info, Warning, Error} {
		b, _ := s.MarshalText()
		var back Severity
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("%v round-trips to %v, %v", s, back, err)
		}
	}
	b, err := json.Marshal(Finding{Path: "a.service", Line: 3, Rule: RuleSyntax, Severity: Error, Message: "m"})
	if want := `{"path":"a.service","line":3,"rule":"syntax","severity":"error","message":"m"}`; err != nil || string(b) != want {
		t.Errorf("json = %s, %v; want %s", b, err, want)
	}
	if Worst(nil) != 0 || Worst([]Finding{{Severity: Info}, {Severity: Error}}) != Error {
		t.Error("Worst")
	}
}
