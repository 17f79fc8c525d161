package buildinfo_test

import (
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/buildinfo"
)

// The release build (scripts/build.sh) gives a static binary that reports
// the stamped version, commit and date.
func TestReleaseBuild(t *testing.T) {
	if err := exec.Command("git", "-C", "../..", "rev-parse", "--git-dir").Run(); err != nil {
		t.Skip("not a git checkout: build.sh needs VERSION set, nothing to compare with")
	}
	bin := t.TempDir()
	cmd := exec.Command("bash", "../../scripts/build.sh")
	cmd.Env = append(os.Environ(), "BIN_DIR="+bin, "SOURCE_DATE_EPOCH=1700000000", "VERSION=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build.sh: %v\n%s", err, out)
	}
	sysroll := filepath.Join(bin, "sysroll")
	if err := static(sysroll); err != nil {
		t.Error(err)
	}

	out, err := exec.Command(sysroll, "version", "--json").Output()
	if err != nil {
		t.Fatalf("sysroll version --json: %v", err)
	}
	var got buildinfo.Info
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("sysroll version --json: %v: %s", err, out)
	}
	want := buildinfo.Info{
		Version: run(t, "bash", "scripts/version.sh"),
		Commit:  run(t, "git", "rev-parse", "HEAD"),
		Date:    "2023-11-14T22:13:20Z", // SOURCE_DATE_EPOCH
		Go:      runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH,
	}
	if got != want || got.Version == "dev" {
		t.Errorf("version --json\n got %+v\nwant %+v", got, want)
	}
	text, err := exec.Command(sysroll, "version").Output()
	if err != nil {
		t.Fatalf("sysroll version: %v", err)
	}
	for _, s := range []string{"sysroll " + want.Version + "\n", want.Commit, want.Date, want.Go, "linux/" + runtime.GOARCH} {
		if !strings.Contains(string(text), s) {
			t.Errorf("sysroll version lacks %q:\n%s", s, text)
		}
	}
}

// The check itself tells a dynamic binary: /bin/sh is one on Debian.
func TestStaticCheckSeesDynamic(t *testing.T) {
	if err := static("/bin/sh"); err == nil {
		t.Error("static(/bin/sh) = nil, want an error: it is dynamically linked")
	}
}

// static reports why path is not a statically linked executable: one with
// no program interpreter (ld.so) and no shared library to load, which is
// what `ldd` means by "not a dynamic executable".
func static(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var errs []error
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_INTERP:
			errs = append(errs, fmt.Errorf("%s has a program interpreter (PT_INTERP)", path))
		case elf.PT_DYNAMIC:
			errs = append(errs, fmt.Errorf("%s has a dynamic section (PT_DYNAMIC)", path))
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		errs = append(errs, fmt.Errorf("%s needs shared libraries %q (%v)", path, libs, err))
	}
	return errors.Join(errs...)
}

// TestVersionScheme pins how git describe becomes a Debian version.
func TestVersionScheme(t *testing.T) {
	tests := []struct{ describe, want string }{
		{"v1.2.3", "1.2.3"},
		{"v1.2.3-4-gabc1234", "1.2.3+git20260516.4.abc1234"},
		{"6588ad9", "0.0.0~git20260516.43.6588ad9"},
		{"6588ad9-dirty", "0.0.0~git20260516.43.6588ad9+dirty"},
		{"v1.0.0-rc1", "1.0.0~rc1"},
		{"v1.0.0-rc1-2-gabc1234-dirty", "1.0.0~rc1+git20260516.2.abc1234+dirty"},
	}
	for _, tt := range tests {
		if got := run(t, "bash", "scripts/version.sh", tt.describe, "20260516", "43"); got != tt.want {
			t.Errorf("version of %q = %q, want %q", tt.describe, got, tt.want)
		}
	}
	// Newer sorts higher for dpkg: untagged < first tag's pre-release <
	// the tag < commits after it < the next tag.
	order := []string{"0.0.0~git20260516.43.6588ad9", "1.0.0~rc1", "1.0.0", "1.0.0+git20260516.4.abc1234", "1.0.1"}
	for i := 1; i < len(order); i++ {
		if err := exec.Command("dpkg", "--compare-versions", order[i-1], "lt", order[i]).Run(); err != nil {
			t.Errorf("dpkg: %s is not older than %s: %v", order[i-1], order[i], err)
		}
	}
	if out, err := exec.Command("bash", "../../scripts/version.sh", "not/a-describe", "20260516", "1").CombinedOutput(); err == nil {
		t.Errorf("a describe that is no version gave %q and no error", out)
	}
}

// run runs a command in the repository and returns its trimmed output.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out))
}
