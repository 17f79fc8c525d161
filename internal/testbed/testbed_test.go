package testbed

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestNspawnArgs(t *testing.T) {
	dir := t.TempDir()
	colon := filepath.Join(dir, "a:b")
	if err := os.Mkdir(colon, 0o755); err != nil {
		t.Fatal(err)
	}
	base := []string{"--quiet", "--register=no", "--keep-unit", "--directory=/", "--volatile=yes",
		"--boot", "--console=read-only", "--machine=m"}
	tail := []string{"--", "systemd.firstboot=off", "systemd.condition-first-boot=false"}
	tests := []struct {
		name    string
		opts    Options
		want    []string // between base and tail
		extra   []string // after tail
		wantErr string
	}{
		{name: "plain"},
		{
			name: "binds",
			opts: Options{Binds: []Bind{
				{Host: dir, Container: "/srv"},
				{Host: dir, ReadOnly: true},
				{Host: colon, Container: "/x:y"},
			}},
			want: []string{"--bind=" + dir + ":/srv", "--bind-ro=" + dir + ":" + dir,
				"--bind=" + strings.ReplaceAll(colon, ":", `\:`) + `:/x\:y`},
		},
		{
			name: "netns path",
			opts: Options{NetNS: dir},
			want: []string{"--network-namespace-path=" + dir},
		},
		{
			name:  "extra boot args",
			opts:  Options{Args: []string{"systemd.log_level=debug"}},
			extra: []string{"systemd.log_level=debug"},
		},
		{
			name: "overlays and copies",
			opts: Options{Overlays: []string{"/usr", colon}, Copies: []string{dir}},
			want: []string{"--overlay=/usr::/usr", "--overlay=" + strings.ReplaceAll(colon, ":", `\:`) + "::" + strings.ReplaceAll(colon, ":", `\:`)},
		},
		{name: "relative overlay", opts: Options{Overlays: []string{"usr"}}, wantErr: "must be absolute"},
		{name: "overlay of a file", opts: Options{Overlays: []string{"/etc/os-release"}}, wantErr: "not a directory"},
		{name: "missing copy", opts: Options{Copies: []string{dir + "/nope"}}, wantErr: "no such file"},
		{name: "relative bind", opts: Options{Binds: []Bind{{Host: "rel"}}}, wantErr: "must be absolute"},
		{name: "missing bind", opts: Options{Binds: []Bind{{Host: dir + "/nope"}}}, wantErr: "no such file"},
		{name: "missing netns", opts: Options{NetNS: "sysroll-no-such-ns"}, wantErr: "/run/netns/sysroll-no-such-ns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := nspawnArgs("m", tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := slices.Concat(base, tt.want, tail, tt.extra)
			if !slices.Equal(got, want) {
				t.Errorf("args\n got %q\nwant %q", got, want)
			}
		})
	}
}

func TestMachineName(t *testing.T) {
	valid := regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]$`)
	tests := []struct{ prefix, wantPrefix string }{
		{"", "sysroll-test-"},
		{"sysroll-systemd", "sysroll-systemd-"},
		{"examples/hello_test", "examples-hello-test-"},
		{strings.Repeat("x", 100), "xxxx"},
	}
	for _, tt := range tests {
		a, b := machineName(tt.prefix), machineName(tt.prefix)
		if a == b {
			t.Errorf("machineName(%q) returned %q twice", tt.prefix, a)
		}
		if len(a) > 64 || !valid.MatchString(a) || !strings.HasPrefix(a, tt.wantPrefix) {
			t.Errorf("machineName(%q) = %q: want a hostname of <= 64 chars starting with %q", tt.prefix, a, tt.wantPrefix)
		}
	}
}

func TestProcHelpers(t *testing.T) {
	self := os.Getpid()
	if startTime(self) == 0 {
		t.Error("startTime(self) = 0")
	}
	if startTime(1<<30) != 0 {
		t.Error("startTime of a missing process != 0")
	}
	if isNSInit(self) {
		t.Error("isNSInit(self) = true")
	}
	if pid, _ := findInit(self); pid != 0 {
		t.Errorf("findInit(self) = %d, want 0 (no container child)", pid)
	}
}

func TestLogTail(t *testing.T) {
	c := &Container{dir: t.TempDir()}
	if got := c.LogTail(2); !strings.HasPrefix(got, "(no log:") {
		t.Errorf("LogTail without log = %q", got)
	}
	if err := os.WriteFile(c.LogPath(), []byte("a\nb\nc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := c.LogTail(2); got != "b\nc" {
		t.Errorf("LogTail(2) = %q, want %q", got, "b\nc")
	}
}

func TestChildren(t *testing.T) {
	cmd := exec.Command("sleep", "10")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	if got := children(os.Getpid()); !slices.Contains(got, cmd.Process.Pid) {
		t.Errorf("children(self) = %v, want it to contain %d", got, cmd.Process.Pid)
	}
}

func TestCgroupMounts(t *testing.T) {
	tests := []struct {
		name string
		want []cgroupMount
	}{
		{"hybrid", []cgroupMount{
			{dir: "/sys/fs/cgroup/unified", root: "/", self: "/"},
			{dir: "/sys/fs/cgroup/systemd", root: "/", self: "/"},
		}},
		{"unified", []cgroupMount{
			{dir: "/sys/fs/cgroup", root: "/", self: "/user.slice/user-1000.slice/session-2.scope"},
		}},
		{"nested", []cgroupMount{
			{dir: "/sys/fs/cgroup", root: "/docker/abc", self: "/docker/abc/my dir"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cgroupMounts(filepath.Join("testdata", tt.name+".mountinfo"), filepath.Join("testdata", tt.name+".cgroup"))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("cgroupMounts\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestRemoveCgroups(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "c")
	if err := os.MkdirAll(filepath.Join(dir, "payload", "system.slice"), 0o755); err != nil {
		t.Fatal(err)
	}
	removeCgroups([]string{dir})
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("%s still exists", dir)
	}
}
