package main

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
)

// The checked-in table is what this machine's systemd reads. When it fails
// after a systemd upgrade, run go run ./internal/tools/gensystemdkeys and
// review the diff (new keys become accepted, removed ones refused).
func TestTableIsCurrent(t *testing.T) {
	if _, _, err := findLib(); err != nil {
		t.Skipf("cannot regenerate here: %v", err)
	}
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	got, err := generate()
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../../" + out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is not what systemd on this machine reads; run go run ./internal/tools/gensystemdkeys", out)
	}
}
