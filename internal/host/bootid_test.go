package host

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
)

func TestReadBootID(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, content, want string
		ok                  bool
	}{
		{"ok", "0b7a3c0e-1f2d-4c5b-9a8e-7d6c5b4a3f21\n", "0b7a3c0e-1f2d-4c5b-9a8e-7d6c5b4a3f21", true},
		{"empty", "", "", false},
		{"not a uuid", "hello\n", "", false},
		{"upper case", "0B7A3C0E-1F2D-4C5B-9A8E-7D6C5B4A3F21\n", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name)
			if err := os.WriteFile(p, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := ReadBootID(p)
			if (err == nil) != tc.ok || got != tc.want {
				t.Errorf("ReadBootID = %q, %v; want %q, ok=%v", got, err, tc.want, tc.ok)
			}
		})
	}
	if _, err := ReadBootID(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing file gave no error")
	}
}

func TestReadBootIDOfThisKernel(t *testing.T) {
	if _, err := os.Stat(BootIDFile); err != nil {
		t.Skipf("no %s here", BootIDFile)
	}
	if _, err := ReadBootID(BootIDFile); err != nil {
		t.Error(err)
	}
}

func TestExecutableSHA256(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bin")
	data := []byte("#!/bin/sh\necho hi\n")
	if err := os.WriteFile(p, data, 0o755); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	got, err := ExecutableSHA256(p, int64(len(data)))
	if err != nil || got != hex.EncodeToString(sum[:]) {
		t.Errorf("ExecutableSHA256 = %q, %v; want %x", got, err, sum)
	}
	if _, err := ExecutableSHA256(p, int64(len(data))-1); err == nil {
		t.Error("a file over the bound was hashed")
	}
}
