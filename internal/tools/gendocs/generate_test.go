package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/cli"
)

func TestGenerate(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000") // 2023-11-14
	if err := generate(dir, "1.2.3"); err != nil {
		t.Fatal(err)
	}

	// Exactly one page per command, and `man sysroll-deploy` needs
	// sysroll-deploy.1 among them.
	want := pages(cli.Command())
	got, err := filepath.Glob(filepath.Join(dir, "man", "*"))
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range got {
		got[i] = filepath.Base(p)
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("man pages\n got %q\nwant %q", got, want)
	}
	for _, p := range []string{"sysroll.1", "sysroll-deploy.1", "sysroll-completion-bash.1"} {
		if !slices.Contains(got, p) {
			t.Errorf("no man page %s", p)
		}
	}
	deploy := read(t, filepath.Join(dir, "man", "sysroll-deploy.1"))
	for _, s := range []string{
		`.TH "SYSROLL-DEPLOY" "1" "Nov 2023" "sysroll 1.2.3" "sysroll manual"`, // date from SOURCE_DATE_EPOCH
		`\fB--artifact\fP`, // its own flags
		`\fB--user\fP`,     // and the inherited ones
	} {
		if !strings.Contains(deploy, s) {
			t.Errorf("sysroll-deploy.1 lacks %q", s)
		}
	}
	if strings.Contains(deploy, "Auto generated") {
		t.Error("sysroll-deploy.1 has cobra's auto-generated tag")
	}

	// Each completion script is the one for its shell, for sysroll.
	for name, marker := range map[string]string{
		bashCompletion: "complete -o default -F __start_sysroll sysroll",
		zshCompletion:  "#compdef sysroll",
		fishCompletion: "complete -c sysroll",
	} {
		if s := read(t, filepath.Join(dir, "completion", name)); !strings.Contains(s, marker) {
			t.Errorf("%s lacks %q", name, marker)
		}
	}
}

func TestGenerateBadEpoch(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "yesterday")
	if err := generate(t.TempDir(), ""); err == nil || !strings.Contains(err.Error(), "SOURCE_DATE_EPOCH") {
		t.Errorf("err = %v, want one naming SOURCE_DATE_EPOCH", err)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
