package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRenderPrintsWarningsOnStderr(t *testing.T) {
	file := filepath.Join(t.TempDir(), "shop.yaml")
	body := "name: shop\ncommand: /usr/bin/true\ninstances: [8081]\nenvironment:\n  API_TOKEN: abc\n"
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := run(t, "render", file)
	if code != ExitOK {
		t.Fatalf("exit %d, want 0 (a warning stops nothing); stderr: %s", code, stderr)
	}
	if !strings.Contains(stderr, "sysroll: warning: "+file+":5:3: environment.API_TOKEN") {
		t.Errorf("stderr does not warn about the secret at its place:\n%s", stderr)
	}
	if strings.Contains(stdout, "warning") {
		t.Errorf("the warning spoiled the rendered units on stdout:\n%s", stdout)
	}
}
