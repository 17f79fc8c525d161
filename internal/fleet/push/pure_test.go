package push

import (
	"debug/elf"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestUnameArch(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"x86_64\n", "amd64"},
		{"aarch64", "arm64"},
		{"arm64", "arm64"},
		{"armv7l", "arm"},
		{"i686", "386"},
		{"riscv64", "riscv64"},
		{"ppc64le", "ppc64le"},
		{"s390x", "s390x"},
		{"mips", ""},
		{"", ""},
	} {
		if got := unameArch(tc.in); got != tc.want {
			t.Errorf("unameArch(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMachineArch(t *testing.T) {
	for _, tc := range []struct {
		m     elf.Machine
		class elf.Class
		order string
		want  string
	}{
		{elf.EM_X86_64, elf.ELFCLASS64, "LittleEndian", "amd64"},
		{elf.EM_AARCH64, elf.ELFCLASS64, "LittleEndian", "arm64"},
		{elf.EM_ARM, elf.ELFCLASS32, "LittleEndian", "arm"},
		{elf.EM_PPC64, elf.ELFCLASS64, "LittleEndian", "ppc64le"},
		{elf.EM_PPC64, elf.ELFCLASS64, "BigEndian", "ppc64"},
		{elf.EM_MIPS, elf.ELFCLASS32, "BigEndian", ""},
	} {
		if got := machineArch(tc.m, tc.class, tc.order); got != tc.want {
			t.Errorf("machineArch(%s, %s, %s) = %q, want %q", tc.m, tc.class, tc.order, got, tc.want)
		}
	}
}

// The test binary is an ELF of this machine's architecture; a script is
// no ELF at all.
func TestELFArch(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	got, err := elfArch(self)
	if err != nil || got != runtime.GOARCH {
		t.Errorf("elfArch(test binary) = %q, %v; want %q", got, err, runtime.GOARCH)
	}
	script := filepath.Join(t.TempDir(), "run.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := elfArch(script); err == nil || !strings.Contains(err.Error(), "GOOS=linux") {
		t.Errorf("elfArch(script) = %v, want an error naming the fix", err)
	}
}

func TestCheckArch(t *testing.T) {
	if err := checkArch("web1", "x86_64\n", "/b", "amd64"); err != nil {
		t.Errorf("same arch: %v", err)
	}
	err := checkArch("web1", "aarch64", "/b", "amd64")
	for _, want := range []string{"web1", "aarch64", "linux/amd64", "GOARCH=arm64"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("arm64 host, amd64 binary: %v; want it to name %q", err, want)
		}
	}
	if err := checkArch("web1", "mips", "/b", "amd64"); err == nil || !strings.Contains(err.Error(), `"mips"`) {
		t.Errorf("unknown host arch: %v", err)
	}
}

func TestTempName(t *testing.T) {
	a, b := tempName("sysroll-0123456789ab"), tempName("sysroll-0123456789ab")
	if a == b {
		t.Errorf("two temp names are both %q", a)
	}
	for _, n := range []string{a, b} {
		if !isTemp(n) || !strings.HasPrefix(n, ".sysroll-tmp-sysroll-0123456789ab-") || len(n) != len(".sysroll-tmp-sysroll-0123456789ab-")+16 {
			t.Errorf("temp name %q: want .sysroll-tmp-<final>-<16 hex>", n)
		}
		if binaryNameRE.MatchString(n) {
			t.Errorf("temp name %q looks like a build: pruning would count it", n)
		}
	}
	if isTemp("sysroll-0123456789ab") || isTemp(".bashrc") {
		t.Error("isTemp claims a file that is not ours")
	}
}

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func TestStaleTemps(t *testing.T) {
	entries := []entry{
		{Name: tempName("x"), MTime: t0.Add(-2 * time.Minute)},           // dead
		{Name: ".sysroll-tmp-y-live", MTime: t0.Add(-10 * time.Second)},  // being written
		{Name: ".sysroll-tmp-z-edge", MTime: t0.Add(-time.Minute)},       // exactly stale
		{Name: ".sysroll-tmp-dir", MTime: t0.Add(-time.Hour), Dir: true}, // not a file of ours
		{Name: "sysroll-0123456789ab", MTime: t0.Add(-time.Hour)},        // a build
		{Name: ".sysroll-tmp-future", MTime: t0.Add(time.Hour)},          // clock stepped
	}
	var got []string
	for _, e := range staleTemps(entries, t0, time.Minute) {
		got = append(got, e.Name)
	}
	want := []string{entries[0].Name, ".sysroll-tmp-z-edge"}
	if !slices.Equal(got, want) {
		t.Errorf("staleTemps = %q, want %q", got, want)
	}
}

func TestUseStampAndOldBuilds(t *testing.T) {
	b := func(n string, ago time.Duration) entry {
		return entry{Name: "sysroll-" + strings.Repeat(n, 12), MTime: t0.Add(-ago)}
	}
	for _, tc := range []struct {
		name      string
		entries   []entry
		current   string
		keep      int
		wantStamp time.Time
		wantOld   []string
	}{
		{"first build", nil, "sysroll-aaaaaaaaaaaa", 3, t0, nil},
		{"three kept, current new", []entry{b("a", 3*time.Hour), b("b", 2*time.Hour), b("c", time.Hour)},
			"sysroll-dddddddddddd", 3, t0, []string{"sysroll-aaaaaaaaaaaa"}},
		{"current reused is not pruned", []entry{b("a", 3*time.Hour), b("b", 2*time.Hour), b("c", time.Hour), b("d", 0)},
			"sysroll-aaaaaaaaaaaa", 3, t0.Add(time.Second), []string{"sysroll-bbbbbbbbbbbb"}},
		{"same second: stamp after the newest", []entry{b("a", 0), b("b", 0)},
			"sysroll-cccccccccccc", 2, t0.Add(time.Second), []string{"sysroll-aaaaaaaaaaaa"}},
		{"other files untouched", []entry{{Name: "notes.txt", MTime: t0.Add(-time.Hour)}, {Name: ".sysroll-tmp-x", MTime: t0}, b("a", time.Hour)},
			"sysroll-bbbbbbbbbbbb", 1, t0, []string{"sysroll-aaaaaaaaaaaa"}},
		{"keep 0 acts as 1", []entry{b("a", time.Hour)}, "sysroll-bbbbbbbbbbbb", 0, t0, []string{"sysroll-aaaaaaaaaaaa"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := useStamp(tc.entries, tc.current, t0); !got.Equal(tc.wantStamp) {
				t.Errorf("useStamp = %s, want %s", got, tc.wantStamp)
			}
			if got := oldBuilds(tc.entries, tc.current, tc.keep); !slices.Equal(got, tc.wantOld) {
				t.Errorf("oldBuilds = %q, want %q", got, tc.wantOld)
			}
		})
	}
}

func TestResumePoint(t *testing.T) {
	const final = "sysroll-0123456789ab"
	tmp := func(id string, size int64) entry { return entry{Name: tempPrefix + final + "-" + id, Size: size} }
	for _, tc := range []struct {
		name       string
		stale      []entry
		size       int64
		wantName   string
		wantOffset int64
	}{
		{"none", nil, 100 << 20, "", 0},
		{"the longest", []entry{tmp("a", 20<<20), tmp("b", 50<<20), tmp("c", 30<<20)}, 100 << 20, tempPrefix + final + "-b", 42 << 20},
		{"shorter than the window", []entry{tmp("a", 4<<20)}, 100 << 20, "", 0},
		{"longer than the file", []entry{tmp("a", 200<<20)}, 100 << 20, "", 0},
		{"another file's temp", []entry{{Name: tempPrefix + "sysroll-ffffffffffff-a", Size: 50 << 20}}, 100 << 20, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name, off := resumePoint(tc.stale, final, tc.size)
			if name != tc.wantName || off != tc.wantOffset {
				t.Errorf("resumePoint = %q at %d, want %q at %d", name, off, tc.wantName, tc.wantOffset)
			}
		})
	}
}
