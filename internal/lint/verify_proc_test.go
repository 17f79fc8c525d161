package lint

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestSystemdAnalyzeOutputIsBounded: a systemd-analyze that floods its
// output costs a bounded amount of memory; the end of it is kept, from a
// whole line on.
func TestSystemdAnalyzeOutputIsBounded(t *testing.T) {
	dir := t.TempDir()
	script := "#!/bin/sh\nhead -c 52428800 /dev/zero | tr '\\0' x; printf '\\nunit.service:3: the last finding\\n'; exit 1\n"
	if err := os.WriteFile(filepath.Join(dir, "systemd-analyze"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))
	unit := filepath.Join(t.TempDir(), "unit.service")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	out, err := SystemdAnalyze(t.Context(), []string{unit})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 8<<20 {
		t.Errorf("allocated %d bytes for 50 MiB of output", got)
	}
	if string(out) != "unit.service:3: the last finding\n" {
		t.Errorf("output %d bytes, starts %.40q", len(out), out)
	}
	if strings.Contains(string(out), "xxx") {
		t.Error("kept the cut line")
	}
}
