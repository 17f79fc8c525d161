package config

import (
	"bufio"
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Each testdata/bad file starts with "# want: SUBSTRING", the part of the error
// it must produce.
func TestBadFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 35 {
		t.Fatalf("only %d bad files, want at least 35", len(files))
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			first, _, _ := bytes.Cut(data, []byte("\n"))
			want, ok := strings.CutPrefix(string(first), "# want: ")
			if !ok {
				t.Fatalf("first line must be \"# want: SUBSTRING\", got %q", first)
			}
			svc, err := Load(path)
			if err == nil {
				t.Fatalf("Load succeeded (%+v), want error containing %q", svc, want)
			}
			if svc != nil {
				t.Errorf("Load returned a Service along with the error")
			}
			if !strings.Contains(strings.ReplaceAll(err.Error(), path, "FILE"), want) {
				t.Errorf("error does not contain %q:\n%v", want, err)
			}
			if !strings.Contains(err.Error(), path+":") {
				t.Errorf("error does not name the file %s:\n%v", path, err)
			}
		})
	}
}

func TestGoodFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/good/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no good files")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			svc, err := Load(path)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if err := svc.Validate(); err != nil {
				t.Errorf("Validate after Load: %v", err)
			}
		})
	}
}

// Every error in a file is reported, each with its own position.
func TestAllErrorsAtOnce(t *testing.T) {
	src := `name: Bad/Name
command: ""
instances: [8081, 8081, 0]
health:
  healthy_for: 2m
  deadline: 1m
rollout: {failure_action: retry}
`
	_, err := Parse("svc.yaml", []byte(src))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`svc.yaml:1:7: name: "Bad/Name" is not a valid service name`,
		`svc.yaml:2:10: command: is required`,
		`svc.yaml:3:19: instances[1]: duplicate instance "8081"`,
		`svc.yaml:3:25: instances[2]: port 0 out of range`,
		`svc.yaml:5:16: health.healthy_for: 2m0s must be shorter than health.deadline (1m0s)`,
		`svc.yaml:7:27: rollout.failure_action: "retry" is not one of`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Errorf("errors.As(*FieldError) failed on %T", err)
	}
}

// Unknown keys are all reported in one go, not just the first.
func TestAllUnknownKeysAtOnce(t *testing.T) {
	src := "name: hello\ncomand: x\ninstances: [1]\nhealth: {intervall: 1s}\nrolout: {}\n"
	_, err := Parse("svc.yaml", []byte(src))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`svc.yaml:2:1: unknown key "comand" (did you mean command?)`,
		`svc.yaml:4:10: unknown key "intervall" in health (did you mean interval?)`,
		`svc.yaml:5:1: unknown key "rolout" (did you mean rollout?)`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

func TestDefaults(t *testing.T) {
	svc, err := Parse("min.yaml", []byte("name: app\ncommand: /bin/app\ninstances: [a]\nhardening: {private_tmp: false}\n"))
	if err != nil {
		t.Fatal(err)
	}
	def := DefaultHardening()
	def.PrivateTmp = false
	if !equalHardening(svc.Hardening, def) {
		t.Errorf("hardening = %+v, want defaults with private_tmp false", svc.Hardening)
	}
	if svc.Type != TypeNotify || svc.Description != "app" || svc.Health.Deadline != DefaultDeadline ||
		svc.Rollout.Batch != (Step{N: 1}) || svc.ReleasesKeep != DefaultReleasesKeep {
		t.Errorf("defaults not applied: %+v", svc)
	}
}

func equalHardening(a, b Hardening) bool {
	return strings.Join(a.AddressFamilies, ",") == strings.Join(b.AddressFamilies, ",") &&
		len(a.Capabilities) == len(b.Capabilities) && a.PrivateTmp == b.PrivateTmp &&
		a.ProtectSystem == b.ProtectSystem && a.ProtectHome == b.ProtectHome &&
		a.MemoryDenyWriteExecute == b.MemoryDenyWriteExecute && a.UMask == b.UMask
}

func TestStarter(t *testing.T) {
	for _, name := range []string{"hello", "my-app", "x_1"} {
		svc, err := Parse("starter.yaml", Starter(name))
		if err != nil {
			t.Fatalf("Starter(%q) does not parse: %v", name, err)
		}
		if svc.Name != name {
			t.Errorf("name = %q, want %q", svc.Name, name)
		}
		// A newcomer reads it: every setting is explained.
		sc := bufio.NewScanner(bytes.NewReader(Starter(name)))
		comments := 0
		for sc.Scan() {
			if strings.Contains(sc.Text(), "#") {
				comments++
			}
		}
		if comments < 15 {
			t.Errorf("starter has only %d commented lines", comments)
		}
	}
}

// The starter's commented tcp and exec probes are right as written: with
// their "# " taken off, the file is valid and has all three probes.
func TestStarterProbesUncommented(t *testing.T) {
	text := string(Starter("hello"))
	for _, probe := range []string{"tcp", "exec"} {
		commented := "  # " + probe + ": "
		if !strings.Contains(text, commented) {
			t.Fatalf("the starter does not show the %s probe", probe)
		}
		text = strings.Replace(text, commented, "  "+probe+": ", 1)
	}
	svc, err := Parse("starter.yaml", []byte(text))
	if err != nil {
		t.Fatalf("the starter with its probes uncommented does not parse: %v", err)
	}
	if svc.Health.HTTP == nil || svc.Health.TCP == nil || svc.Health.Exec == nil {
		t.Errorf("probes http %v, tcp %v, exec %v: want all three", svc.Health.HTTP, svc.Health.TCP, svc.Health.Exec)
	}
}

// The starter's commented fleet block is right as written: with the "# "
// of its lines taken off, the file is a valid 3-host fleet.
func TestStarterFleetUncommented(t *testing.T) {
	text := string(Starter("hello"))
	start := strings.Index(text, "# hosts:\n")
	if start < 0 {
		t.Fatal("the starter does not show hosts:")
	}
	var b strings.Builder
	b.WriteString(text[:start])
	for _, line := range strings.SplitAfter(text[start:], "\n") {
		b.WriteString(strings.TrimPrefix(line, "# "))
	}
	svc, err := Parse("starter.yaml", []byte(b.String()))
	if err != nil {
		t.Fatalf("the starter with its fleet uncommented does not parse: %v\n%s", err, b.String()[start:])
	}
	if svc.Hosts.Inventory == nil || len(svc.Hosts.Inventory.Hosts) != 3 {
		t.Fatalf("hosts %+v, want 3", svc.Hosts.Inventory)
	}
	st := svc.Fleet.Hosts.Strategy
	if st.Batch.N != 1 || st.MaxPerLabel["zone"] != 1 || st.FailureAction != ActionRollback || st.MinAvailable.Percent != 75 {
		t.Errorf("strategy %+v", st)
	}
	if h := svc.Hosts.Inventory.Hosts[2]; h.Name != "app3" || h.User != "deploy" || len(h.Instances) != 1 {
		t.Errorf("app3 = %+v, want the defaults' user and its own instance", h)
	}
}

func TestValidateName(t *testing.T) {
	for name, ok := range map[string]bool{"hello": true, "a-b_c1": true, "": false, "Hello": false, "a/b": false, "a@b": false, "..": false} {
		if err := ValidateName(name); (err == nil) != ok {
			t.Errorf("ValidateName(%q) = %v", name, err)
		}
	}
}

// A Service built in Go (no file) gets errors without positions.
func TestValidateWithoutSource(t *testing.T) {
	svc := Default()
	svc.Name = "hello"
	svc.Command = "/bin/hello"
	svc.Instances = Instances{List: []string{"8081"}}
	if err := svc.Validate(); err != nil {
		t.Fatalf("valid service: %v", err)
	}
	svc.Health.HealthyFor = time.Hour
	err := svc.Validate()
	if err == nil || !strings.HasPrefix(err.Error(), "health.healthy_for: ") {
		t.Errorf("err = %v, want it to start with the field", err)
	}
}

// FuzzParse: any input gives a valid Service or an error made of
// *FieldError (naming the file), never a panic, and never allocates more than
// decodeBudget; the token estimate that guards go-yaml's scanner is never
// below the tokens it makes.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*/*.yaml")
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err == nil {
			f.Add(data)
		}
	}
	f.Add(Starter("hello"))
	for _, bomb := range []string{
		strings.Repeat("[", 200),
		strings.Repeat("{a: ", 200),
		strings.Repeat("- ", 200),
		strings.Repeat("? ", 200),
		indented(100, "a:"),
		"a: &a [x]\nb: [" + strings.Repeat("*a, ", 200) + "]",
		"name: hello\ndescription: \"\xff\"\n",
		"\xef\xbb\xbfname: hello\n",
		"[a #b, [[[]]], 'c #d', \"e\" #f\n]",
	} {
		f.Add([]byte(bomb))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var svc *Service
		var err error
		if n := allocated(func() { svc, err = Parse("fuzz.yaml", data) }); n > decodeBudget {
			t.Fatalf("Parse of %d bytes allocated %d MiB, more than the %d MiB budget", len(data), n>>20, decodeBudget>>20)
		}
		if err != nil {
			checkFieldErrors(t, err)
		} else {
			if svc == nil {
				t.Fatal("nil Service without error")
			}
			// A valid service stays valid, and its helpers do not panic.
			if err := svc.Validate(); err != nil {
				t.Fatalf("Validate after Parse: %v", err)
			}
			for _, name := range svc.InstanceNames() {
				svc.Port(name)
				svc.Expand(svc.Command, "/r", name)
			}
		}
		if text, err := checkText("fuzz.yaml", data); err == nil && len(data) <= MaxFileSize {
			bound, _ := rawTokenBound(text, math.MaxInt)
			if toks, _ := scanTokens(text); len(toks) > bound {
				n := len(toks)
				t.Fatalf("go-yaml made %d tokens, more than the estimate %d", n, bound)
			}
		}
	})
}

// checkFieldErrors fails unless every error joined in err is a *FieldError
// naming the file (or the count of those left out).
func checkFieldErrors(t *testing.T, err error) {
	t.Helper()
	var leaves []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		leaves = j.Unwrap()
	} else {
		leaves = []error{err}
	}
	for _, e := range leaves {
		fe, ok := e.(*FieldError)
		switch {
		case !ok && strings.HasPrefix(e.Error(), "... and "):
		case !ok:
			t.Fatalf("error %T is not a *FieldError: %v", e, e)
		case fe.File != "fuzz.yaml":
			t.Fatalf("error does not name the file: %v", e)
		}
	}
}

// Scalars keep the text the file has: a YAML library would read umask: 0027
// as octal 23 and an environment value 0x1F as 31.
func TestScalarsAsWritten(t *testing.T) {
	src := "name: hello\ncommand: /bin/x\ninstances: [8081]\nhardening: {umask: 0027}\n" +
		"environment: {A: 0022, B: 0x1F, C: 1_000, D: true, E: 1e3, F: ~, G: \"08\"}\n"
	svc, err := Parse("svc.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if svc.Hardening.UMask != "0027" {
		t.Errorf("umask = %q", svc.Hardening.UMask)
	}
	want := map[string]string{"A": "0022", "B": "0x1F", "C": "1_000", "D": "true", "E": "1e3", "F": "", "G": "08"}
	for k, v := range want {
		if svc.Environment[k] != v {
			t.Errorf("environment %s = %q, want %q", k, svc.Environment[k], v)
		}
	}
}
