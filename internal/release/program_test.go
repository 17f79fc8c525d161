package release

import (
	"archive/tar"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// A single binary keeps its file name, so ./hello-v2 staged for a command
// running {release}/hello would fail every instance with 203/EXEC.
func TestStageRefusesMissingProgram(t *testing.T) {
	tmp := t.TempDir()
	v2 := writeScript(t, filepath.Join(tmp, "hello-v2"), "echo v2")
	dir := filepath.Join(tmp, "app")
	writeScript(t, filepath.Join(dir, "bin", "server"), "echo")
	plainDir := filepath.Join(tmp, "plain")
	os.MkdirAll(plainDir, 0o755)
	os.WriteFile(filepath.Join(plainDir, "hello"), []byte("not a program"), 0o644)
	wrapped := makeTarball(t,
		entry{name: "hello-1.2/", typ: tar.TypeDir, mode: 0o755},
		entry{name: "hello-1.2/hello", typ: tar.TypeReg, mode: 0o755, body: "#!/bin/sh\n"})
	for _, tc := range []struct {
		name, artifact, as, program, want string
	}{
		{"binary named differently", v2, "", "{release}/hello",
			"the release has hello-v2, the command runs {release}/hello: give the binary its name with --as hello"},
		{"binary under a subdirectory", v2, "", "{release}/bin/hello", "stage a directory or tarball with bin/hello"},
		{"directory missing the program", dir, "", "{release}/hello", "the release (a dir) has no hello; at its top it has bin/"},
		{"directory with it not executable", plainDir, "", "{release}/hello", "not executable (mode 0644)"},
		{"tarball with a top directory", wrapped, "", "{release}/hello", "did you mean {release}/hello-1.2/hello?"},
		{"--as with a directory", dir, "hello", "", "the artifact is a dir, which keeps its own file names"},
		{"--as with a path", v2, "bin/hello", "", `--as "bin/hello": want a plain file name`},
		{"--as hidden", v2, ".hello", "", "want a plain file name"},
		{"--as dotdot", v2, "..", "", "want a plain file name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			_, err := s.Stage(context.Background(), tc.artifact, StageOptions{As: tc.as, Program: tc.program})
			wantErr(t, err, tc.want)
			if left := releaseDirEntries(t, s); len(left) != 0 {
				t.Errorf("left behind %v", left)
			}
		})
	}
}

func TestStageProgramFound(t *testing.T) {
	tmp := t.TempDir()
	v2 := writeScript(t, filepath.Join(tmp, "hello-v2"), "echo v2")
	dir := filepath.Join(tmp, "app")
	writeScript(t, filepath.Join(dir, "bin", "server"), "echo")
	os.Symlink("bin/server", filepath.Join(dir, "run"))
	for _, tc := range []struct {
		name, artifact, as, program, file string
	}{
		{"--as names the binary", v2, "hello", "{release}/hello", "hello"},
		{"own name", v2, "", "{release}/hello-v2", "hello-v2"},
		{"directory", dir, "", "{release}/bin/server", "bin/server"},
		{"symlink inside", dir, "", "{release}/./run", "run"},
		{"not under the release", v2, "", "/usr/bin/python3", "hello-v2"},
		{"bare name", v2, "", "python3", "hello-v2"},
		{"per-instance path", v2, "", "{release}/{instance}", "hello-v2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			r, err := s.Stage(context.Background(), tc.artifact, StageOptions{As: tc.as, Program: tc.program})
			if err != nil {
				t.Fatal(err)
			}
			if !isExecutable(filepath.Join(r.Path, tc.file)) {
				t.Errorf("%s not staged executable", tc.file)
			}
			// Verify looks the binary up by its recorded name.
			if err := s.Verify(r.Version); err != nil {
				t.Errorf("Verify: %v", err)
			}
		})
	}
}

// The same binary staged before under its own name has the same sha256 and
// so the same default version: --as cannot rename it in place.
func TestStageAsOverReleaseStagedBefore(t *testing.T) {
	s := newStore(t)
	v2 := writeScript(t, filepath.Join(t.TempDir(), "hello-v2"), "echo v2")
	if _, err := s.Stage(context.Background(), v2, StageOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := s.Stage(context.Background(), v2, StageOptions{As: "hello", Program: "{release}/hello"})
	wantErr(t, err, "staged before as hello-v2, and the command runs {release}/hello: stage it under another --version to name it hello")
	r, err := s.Stage(context.Background(), v2, StageOptions{As: "hello", Version: "v2", Program: "{release}/hello"})
	if err != nil || r.Artifact != "hello" {
		t.Fatalf("Stage under a new version = %+v, %v", r, err)
	}
}

// A failed check is an operation that failed, not bad input: callers tell
// the two apart by CheckError.
func TestStageCheckFailureIsCheckError(t *testing.T) {
	s := newStore(t)
	bin := helloScript(t, t.TempDir(), "1")
	_, err := s.Stage(context.Background(), bin, StageOptions{Check: []string{"hello", "-fail"}})
	if _, ok := errors.AsType[*CheckError](err); !ok {
		t.Errorf("Stage = %v, want a *CheckError", err)
	}
	_, err = s.Stage(context.Background(), filepath.Join(t.TempDir(), "nope"), StageOptions{Check: []string{"hello"}})
	if _, ok := errors.AsType[*CheckError](err); ok || err == nil {
		t.Errorf("Stage of a missing artifact = %v, want an error that is no *CheckError", err)
	}
}
