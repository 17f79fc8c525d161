package release

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStageTarballBounds: names and trailing data are bounded, with the
// rule in the message.
func TestStageTarballBounds(t *testing.T) {
	long := strings.Repeat("a", 300)
	for _, tc := range []struct {
		name    string
		entries []entry
		want    string
	}{
		{"long element", []entry{{name: long, typ: tar.TypeReg, body: "x"}}, "name has an element of 300 bytes, longer than the 255 allowed"},
		{"long name", []entry{{name: strings.Repeat("d/", 2100) + "f", typ: tar.TypeReg, body: "x"}}, "name of 4201 bytes, longer than the 4096 allowed"},
		{"long link target", []entry{{name: "l", typ: tar.TypeSymlink, linkname: long}}, "link target has an element of 300 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			_, err := s.Stage(context.Background(), makeTarball(t, tc.entries...), StageOptions{})
			wantErr(t, err, tc.want)
		})
	}
	t.Run("zeros after the end", func(t *testing.T) {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		tw := tar.NewWriter(zw)
		must(t, tw.WriteHeader(&tar.Header{Name: "hello", Typeflag: tar.TypeReg, Mode: 0o755, Size: 2}))
		tw.Write([]byte("hi"))
		must(t, tw.Close())
		zw.Write(make([]byte, 4<<20)) // compresses to a few KiB
		must(t, zw.Close())
		path := filepath.Join(t.TempDir(), "app.tar.gz")
		must(t, os.WriteFile(path, buf.Bytes(), 0o644))
		_, err := newStore(t).Stage(context.Background(), path, StageOptions{})
		wantErr(t, err, "more than 1 MiB of data after the end of the archive")
	})
}
