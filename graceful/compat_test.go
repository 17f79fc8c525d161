package graceful_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// oldestGo is the Go release graceful promises to build with (go.mod's go
// directive): the one before the release sysroll itself is built with.
const oldestGo = "go1.25.0"

// An application module on the oldest supported Go imports graceful and
// builds with that Go's own toolchain, fetched from the module proxy
// (GOTOOLCHAIN). This fails if graceful's go.mod, or a dependency's, asks for
// a newer Go, or if graceful uses an API newer than that release.
func TestBuildsWithTheOldestSupportedGo(t *testing.T) {
	lib, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	app := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(app, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/app\n\ngo 1.25.0\n\nrequire github.com/sysroll/sysroll/graceful v0.0.0\n\nreplace github.com/sysroll/sysroll/graceful => "+lib+"\n")
	write("main.go", `package main

import (
	"context"
	"net/http"

	"github.com/sysroll/sysroll/graceful"
)

func main() {
	srv := &graceful.Server{HTTP: &http.Server{Handler: http.NotFoundHandler()}, Addr: "127.0.0.1:0"}
	_ = srv.Run(context.Background())
}
`)
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("go", args...)
		cmd.Dir = app
		cmd.Env = append(os.Environ(), "GOTOOLCHAIN="+oldestGo, "GOFLAGS=-mod=mod", "GOWORK=off")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if v := run("version"); !strings.Contains(v, oldestGo+" ") {
		t.Fatalf("toolchain is %q, want %s", v, oldestGo)
	}
	run("mod", "tidy")
	mod, err := os.ReadFile(filepath.Join(app, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	// tidy raises the go line when a dependency needs a newer Go.
	if !strings.Contains(string(mod), "\ngo 1.25.0\n") {
		t.Fatalf("go mod tidy raised the application's Go version:\n%s", mod)
	}
	run("build", "-o", filepath.Join(app, "app"), ".")
}
