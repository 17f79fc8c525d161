package drain

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestResponder(t *testing.T) {
	now := time.Unix(1700000000, 5)
	known := func(inst string) bool { return inst == "8081" || inst == "8082" }
	for _, c := range []struct {
		name, mark, input string
		want, wantErr     string
		recorded          string // INSTANCE.asked afterwards ("" none)
	}{
		{name: "no mark", input: "hello/8081\n", want: "ready up\n", recorded: "ready - 1700000000000000005\n"},
		{name: "drained", mark: "drain abc\n", input: "hello/8081\n", want: "drain\n", recorded: "drain abc 1700000000000000005\n"},
		{name: "undrained", mark: "ready def\n", input: "hello/8081\r\n", want: "ready up\n", recorded: "ready def 1700000000000000005\n"},
		{name: "no newline", mark: "drain abc\n", input: "hello/8081", want: "drain\n", recorded: "drain abc 1700000000000000005\n"},
		{name: "nothing sent", input: "", want: "ready up\n", wantErr: "HAProxy sent nothing"},
		{name: "other service", input: "web/8081\n", want: "ready up\n", wantErr: `want "hello/INSTANCE"`},
		{name: "unknown instance", input: "hello/9999\n", want: "ready up\n", wantErr: `no instance "9999"`},
		{name: "path in instance", input: "hello/../../etc/passwd\n", want: "ready up\n", wantErr: "no instance"},
		{name: "garbage", input: "\x00\xff\xfe GET / HTTP/1.1\n", want: "ready up\n", wantErr: "want"},
		{name: "too long", input: strings.Repeat("a", 1000), want: "ready up\n", wantErr: "longer than 256"},
		{name: "corrupt mark", mark: "maint\n", input: "hello/8081\n", want: "ready up\n", wantErr: "not \"drain|ready TOKEN\""},
	} {
		t.Run(c.name, func(t *testing.T) {
			files := AgentFiles{Dir: t.TempDir()}
			if c.mark != "" {
				writeFile(t, files.path("8081", "mark"), c.mark)
			}
			var out bytes.Buffer
			rs := Responder{Service: "hello", Known: known, Files: files, Now: func() time.Time { return now }}
			_, err := rs.Respond(strings.NewReader(c.input), &out)
			if out.String() != c.want {
				t.Errorf("answered %q, want %q", out.String(), c.want)
			}
			switch {
			case c.wantErr == "" && err != nil:
				t.Errorf("error %v", err)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Errorf("error %v, want %q", err, c.wantErr)
			}
			got := readFileOr(files.path("8081", "asked"))
			if got != c.recorded {
				t.Errorf("recorded %q, want %q", got, c.recorded)
			}
		})
	}
}

// The files round-trip: a mark set by the step is answered and read back.
func TestAgentFilesRoundTrip(t *testing.T) {
	files := AgentFiles{Dir: t.TempDir() + "/agent"} // created on first mark
	if _, ok, err := files.Answer("8081"); ok || err != nil {
		t.Fatalf("no answer yet: %v %v", ok, err)
	}
	if err := files.SetMark("8081", Mark{State: AgentDrain, Token: "t1"}); err != nil {
		t.Fatal(err)
	}
	at := time.Unix(1700000000, 0)
	if err := files.WriteAnswer("8081", Answer{State: AgentDrain, Token: "t1", At: at}); err != nil {
		t.Fatal(err)
	}
	a, ok, err := files.Answer("8081")
	if err != nil || !ok || a.State != AgentDrain || a.Token != "t1" || !a.At.Equal(at) {
		t.Errorf("Answer = %+v %v %v", a, ok, err)
	}
	writeFile(t, files.path("8082", "asked"), "drain t1 notanumber\n")
	if _, _, err := files.Answer("8082"); err == nil {
		t.Error("a corrupt answer file passed")
	}
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFileOr(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// Whatever arrives, the responder answers exactly one of its two lines
// and never panics.
func FuzzRespond(f *testing.F) {
	for _, s := range []string{"hello/8081\n", "", "hello/", "/8081\n", "hello/8081/x\n", "\x00\xff", strings.Repeat("x", 300)} {
		f.Add(s)
	}
	files := AgentFiles{Dir: f.TempDir()}
	rs := Responder{Service: "hello", Known: func(s string) bool { return s == "8081" }, Files: files}
	f.Fuzz(func(t *testing.T, in string) {
		var out bytes.Buffer
		inst, err := rs.Respond(strings.NewReader(in), &out)
		if got := out.String(); got != "ready up\n" && got != "drain\n" {
			t.Fatalf("answered %q to %q", got, in)
		}
		if err == nil && inst != "8081" {
			t.Fatalf("accepted %q as instance %q", in, inst)
		}
	})
}
