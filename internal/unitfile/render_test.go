package unitfile

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/config"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// goldenCase is one service file in testdata rendered one way.
type goldenCase struct {
	name  string // testdata/NAME.golden, and NAME.yaml unless yaml names it
	yaml  string
	paths Paths
}

var goldenCases = []goldenCase{
	{name: "hello"},
	{name: "socket"},
	{name: "user", paths: Paths{User: true, StateDir: "/home/alice/.local/state/sysroll/hello", UnitDir: "/home/alice/.config/systemd/user"}},
	{name: "custom"},
	{name: "relaxations"},
	{name: "placeholders"},
	{name: "agent", paths: Paths{Sysroll: "/opt/sysroll/bin/sysroll"}},
	{name: "agent-user", yaml: "agent", paths: Paths{User: true, StateDir: "/home/alice/.local/state/sysroll/api", UnitDir: "/home/alice/.config/systemd/user", Sysroll: "/home/alice/bin/sysroll"}},
}

func loadCase(t *testing.T, name string) *config.Service {
	t.Helper()
	svc, err := config.Load(filepath.Join("testdata", name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// dump renders Files as one text for a golden file.
func dump(files Files) string {
	var b strings.Builder
	for _, f := range files {
		fmt.Fprintf(&b, "==> %s (%s, %v) <==\n%s\n", f.Name, f.Path, f.Mode, f.Content)
	}
	return b.String()
}

func TestGolden(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			files, err := Render(loadCase(t, c.yamlName()), c.paths)
			if err != nil {
				t.Fatal(err)
			}
			got := dump(files)
			golden := filepath.Join("testdata", c.name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./unitfile/ -update)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from the rendering; if intended, run go test ./unitfile/ -update\n--- got:\n%s", golden, got)
			}
		})
	}
}

// Properties every rendering must have, whatever the golden files say.
func TestInvariants(t *testing.T) {
	for _, c := range goldenCases {
		svc := loadCase(t, c.yamlName())
		files, err := Render(svc, c.paths)
		if err != nil {
			t.Fatal(err)
		}
		tmpl, _ := files.Get(TemplateUnit(svc.Name))
		target, _ := files.Get(TargetUnit(svc.Name))
		for _, f := range files {
			if strings.Contains("\n"+f.Content, "\nRequires=") {
				t.Errorf("%s/%s uses Requires=: one unit failing must not take others down", c.name, f.Name)
			}
			if f.Mode != 0o644 {
				t.Errorf("%s/%s mode %v", c.name, f.Name, f.Mode)
			}
		}
		for _, want := range []string{"PartOf=" + TargetUnit(svc.Name), "WantedBy=" + TargetUnit(svc.Name), "Restart=", "KillMode=mixed", "ExecStart=/"} {
			if !strings.Contains(tmpl.Content, want) {
				t.Errorf("%s: template lacks %q", c.name, want)
			}
		}
		for _, inst := range svc.InstanceNames() {
			if !strings.Contains(target.Content, "Wants="+InstanceUnit(svc.Name, inst)+"\n") {
				t.Errorf("%s: target does not want %s", c.name, inst)
			}
		}
		if (svc.Listen != "") != strings.Contains(tmpl.Content, "Sockets="+SocketUnit(svc.Name)) {
			t.Errorf("%s: Sockets= does not follow listen:", c.name)
		}
	}
}

func TestNames(t *testing.T) {
	if got := InstanceUnit("hello", "8081"); got != "hello@8081.service" {
		t.Error(got)
	}
	if TemplateUnit("hello") != "hello@.service" || TargetUnit("hello") != "hello.target" || SocketUnit("hello") != "hello.socket" {
		t.Error("unit names")
	}
	if DefaultStateDir("hello") != "/var/lib/sysroll/hello" {
		t.Error("DefaultStateDir")
	}
}

func TestExecWord(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/bin/x", "/bin/x"},
		{"--port=8081", "--port=8081"},
		{"two words", `"two words"`},
		{"$HOME", "$$HOME"},
		{"50%", "50%%"},
		{";", `";"`},
		{"", `""`},
		{`a"b`, `"a\"b"`},
		{`a\b`, `"a\\b"`},
		{"it's", `"it's"`},
		{"tab\there", "\"tab\there\""},
	}
	for _, tt := range tests {
		if got := execWord(execLiteral(tt.in)); got != tt.want {
			t.Errorf("execWord(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
	r := renderer{svc: &config.Service{}, p: Paths{StateDir: "/var/lib/sysroll/x"}}
	envTests := []struct{ value, want string }{
		{`a "b" \ 5% $X`, `"K=a \"b\" \\ 5%% $X"`},
		// Placeholders become specifiers; a literal %i stays literal.
		{"{port}", `"K=%i"`},
		{"{instance}-%i {time}", `"K=%i-%%i {time}"`},
		{"{release}/app", `"K=/var/lib/sysroll/x/instances/%i/current/app"`},
	}
	for _, tt := range envTests {
		if got := r.envAssignment("K", tt.value); got != tt.want {
			t.Errorf("envAssignment(K, %q) = %s, want %s", tt.value, got, tt.want)
		}
	}
}

func TestRenderRefuses(t *testing.T) {
	base := func() *config.Service {
		s := config.Default()
		s.Name, s.Command, s.Instances = "hello", "{release}/hello", config.Instances{List: []string{"8081"}}
		return s
	}
	tests := []struct {
		name  string
		edit  func(*config.Service)
		paths Paths
		want  string
	}{
		{"invalid service", func(s *config.Service) { s.Name = "../x" }, Paths{}, "not a valid service name"},
		{"newline injection", func(s *config.Service) { s.Environment = map[string]string{"A": "x\nExecStartPre=/bin/evil"} }, Paths{}, "newline"},
		{"relative state dir", nil, Paths{StateDir: "var/lib/x"}, "clean absolute path"},
		{"state dir with space", nil, Paths{StateDir: "/var/lib/my app"}, "must not contain blanks"},
		{"user mode without state dir", nil, Paths{User: true}, "explicit state directory"},
		{"user mode with user", func(s *config.Service) { s.User = "www" }, Paths{User: true, StateDir: "/home/a/s"}, "user manager"},
		{"user mode with capabilities", func(s *config.Service) { s.Hardening.Capabilities = []string{"CAP_NET_BIND_SERVICE"} }, Paths{User: true, StateDir: "/home/a/s"}, "capabilities"},
		{"dynamic user relaxing ProtectSystem", func(s *config.Service) { s.Hardening.ProtectSystem = "full" }, Paths{}, "dynamic user"},
		{"dynamic user without PrivateTmp", func(s *config.Service) { s.Hardening.PrivateTmp = false }, Paths{}, "private_tmp"},
		{"state dir in the instances' own", nil, Paths{StateDir: "/var/lib/hello"}, "overlap"},
		{"instances' own in the state dir", nil, Paths{StateDir: "/var/lib"}, "overlap"},
	}
	for _, tt := range tests {
		s := base()
		if tt.edit != nil {
			tt.edit(s)
		}
		_, err := Render(s, tt.paths)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
	if _, err := Render(nil, Paths{}); err == nil {
		t.Error("Render(nil) succeeded")
	}
}

// A state directory in a home directory stays readable, or the binary could not run.
func TestProtectHomeUnderHome(t *testing.T) {
	s := loadCase(t, "hello")
	for dir, want := range map[string]string{
		"/var/lib/sysroll/hello":      "ProtectHome=yes\n",
		"/home/alice/state":           "ProtectHome=read-only\n",
		"/root/sysroll/hello":         "ProtectHome=read-only\n",
		"/homestead/sysroll/hello":    "ProtectHome=yes\n",
		"/run/user/1000/sysroll/test": "ProtectHome=read-only\n",
	} {
		files, err := Render(s, Paths{StateDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if f, _ := files.Get("hello@.service"); !strings.Contains(f.Content, want) {
			t.Errorf("state dir %s: want %q", dir, want)
		}
	}
}

func (c goldenCase) yamlName() string {
	if c.yaml != "" {
		return c.yaml
	}
	return c.name
}
