package release

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkVerify measures what status pays per release on every call:
// Verify of a 200 MB directory release (200 files of 1 MB in 10
// directories) and of a 20 MB binary. Run with
//
//	go test -run '^$' -bench Verify ./internal/release/
func BenchmarkVerify(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "bench"))
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	chunk := make([]byte, 1<<20)
	for i := range 200 {
		sub := filepath.Join(dir, fmt.Sprintf("d%d", i%10))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			b.Fatal(err)
		}
		rand.Read(chunk)
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%d", i)), chunk, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	bin := filepath.Join(b.TempDir(), "app")
	big := make([]byte, 20<<20)
	rand.Read(big)
	if err := os.WriteFile(bin, big, 0o755); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, artifact string }{{"dir-200MB", dir}, {"binary-20MB", bin}} {
		if _, err := s.Stage(context.Background(), c.artifact, StageOptions{Version: c.name}); err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			rel, err := s.Get(c.name)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(rel.Size)
			for b.Loop() {
				if err := s.Verify(c.name); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
