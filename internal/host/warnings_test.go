package host

import (
	"strings"
	"testing"
)

// Warnings change nothing but must reach the operator: apply carries them in
// its report (plain output prints them, --json has them).
func TestApplyReportsTheServiceFilesWarnings(t *testing.T) {
	w := newWorld(t)
	file := w.serviceFile("shop", []string{"8081"}, "environment:", "  DB_PASSWORD: hunter2")
	rep, err := w.h.Apply(t.Context(), ApplyOptions{File: file, Artifact: w.artifact("v1"), Version: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "environment.DB_PASSWORD") || !strings.Contains(rep.Warnings[0], "environment_files") {
		t.Errorf("warnings = %q, want one naming environment.DB_PASSWORD and the fix", rep.Warnings)
	}
	if !rep.Changed {
		t.Error("a warning stopped the apply")
	}
}
