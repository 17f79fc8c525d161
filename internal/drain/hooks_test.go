package drain

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func testHooks(preStop, postStart string) *Hooks {
	return &Hooks{
		Service:   "hello",
		PreStop:   preStop,
		PostStart: postStart,
		Release:   func(in string) (string, error) { return "v" + in, nil },
		Port:      func(in string) (int, bool) { return 8080, in == "1" },
	}
}

func TestHooksEnv(t *testing.T) {
	out := filepath.Join(t.TempDir(), "env")
	dump := `echo "$SYSROLL_SERVICE|$SYSROLL_INSTANCE|$SYSROLL_PORT|$SYSROLL_RELEASE" >> ` + out
	h := testHooks(dump, dump)
	if err := h.Drain(t.Context(), "1"); err != nil {
		t.Fatal(err)
	}
	if err := h.Undrain(t.Context(), "2"); err != nil {
		t.Fatal(err)
	}
	h.Release = func(string) (string, error) { return "", errors.New("no release") }
	if err := h.Drain(t.Context(), "3"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := "hello|1|8080|v1\nhello|2||v2\nhello|3||\n"
	if string(b) != want {
		t.Errorf("env:\n got %q\nwant %q", b, want)
	}
}

func TestHooksWhichRuns(t *testing.T) {
	dir := t.TempDir()
	h := testHooks("touch "+dir+"/pre", "touch "+dir+"/post")
	if err := h.Drain(t.Context(), "1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir + "/post"); err == nil {
		t.Error("Drain ran post_start")
	}
	if err := h.Undrain(t.Context(), "1"); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"pre", "post"} {
		if _, err := os.Stat(dir + "/" + f); err != nil {
			t.Errorf("%s hook did not run: %v", f, err)
		}
	}
}

func TestHooksEmptyIsNoop(t *testing.T) {
	h := &Hooks{Shell: "/nonexistent"} // would fail if anything ran
	if err := h.Drain(t.Context(), "1"); err != nil {
		t.Error(err)
	}
	if err := h.Undrain(t.Context(), "1"); err != nil {
		t.Error(err)
	}
}

func TestHooksExpand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	h := testHooks("echo {instance} {release} > "+out, "")
	h.Expand = func(cmd, release, instance string) string {
		return strings.NewReplacer("{instance}", instance, "{release}", "/srv/"+release).Replace(cmd)
	}
	if err := h.Drain(t.Context(), "7"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); string(b) != "7 /srv/v7\n" {
		t.Errorf("expanded output %q", b)
	}
}

func TestHooksFailureCarriesOutput(t *testing.T) {
	h := testHooks("echo to stdout; echo lb said no >&2; exit 3", "")
	err := h.Drain(t.Context(), "1")
	he, ok := errors.AsType[*HookError](err)
	if !ok {
		t.Fatalf("err = %v, want a HookError", err)
	}
	if he.Hook != HookPreStop || he.Instance != "1" {
		t.Errorf("hook %q instance %q", he.Hook, he.Instance)
	}
	msg := err.Error()
	for _, want := range []string{"pre_stop hook for 1", "exit status 3", "to stdout", "lb said no"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
}

func TestHooksOutputKeepsTheEnd(t *testing.T) {
	h := testHooks(`i=0; while [ $i -lt 2000 ]; do echo line $i; i=$((i+1)); done; echo the reason; exit 1`, "")
	err := h.Drain(t.Context(), "1")
	he, ok := errors.AsType[*HookError](err)
	if !ok {
		t.Fatalf("err = %v", err)
	}
	if !strings.HasPrefix(he.Output, "...") || !strings.HasSuffix(he.Output, "the reason\n") || len(he.Output) > maxHookOutput+3 {
		t.Errorf("output %d bytes: %.40q ... %q", len(he.Output), he.Output, he.Output[len(he.Output)-20:])
	}
}

func TestHooksTimeoutKillsTheGroup(t *testing.T) {
	// The background sleep holds stdout open: only killing the whole
	// process group ends the hook at its timeout.
	h := testHooks("sleep 30 & sleep 30", "")
	h.Timeout = 100 * time.Millisecond
	start := time.Now()
	err := h.Drain(t.Context(), "1")
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "ran out of time, killed") {
		t.Errorf("err = %v, want a timeout", err)
	}
	if d := time.Since(start); d > hookWaitDelay {
		t.Errorf("hook took %s to end", d)
	}
}

func TestHooksCanceled(t *testing.T) {
	h := testHooks("sleep 30", "")
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	err := h.Drain(ctx, "1")
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "interrupted, killed") {
		t.Errorf("err = %v, want interrupted", err)
	}
}
