package release

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
)

func TestSwitchAndCurrent(t *testing.T) {
	s := newStore(t)
	stageVersion(t, s, "v1")
	stageVersion(t, s, "v2")

	if v, err := s.Current("8081"); v != "" || err != nil {
		t.Fatalf("Current of a new instance = %q, %v", v, err)
	}
	if err := s.Switch("8081", "v9"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Switch to unknown release: %v, want ErrNotFound", err)
	}
	if err := s.Switch("../x", "v1"); err == nil {
		t.Errorf("Switch accepted a hostile instance name")
	}
	for _, step := range []struct{ inst, version string }{
		{"8081", "v1"}, {"8082", "v1"}, {"8081", "v2"},
	} {
		if err := s.Switch(step.inst, step.version); err != nil {
			t.Fatal(err)
		}
		if v, err := s.Current(step.inst); v != step.version || err != nil {
			t.Errorf("Current(%s) = %q, %v; want %s", step.inst, v, err, step.version)
		}
	}
	link := s.CurrentPath("8081")
	if target, _ := os.Readlink(link); target != "../../releases/v2" {
		t.Errorf("link target %q, want a relative one", target)
	}
	out, err := os.ReadFile(filepath.Join(link, "hello"))
	if err != nil || string(out) != string(mustRead(t, filepath.Join(s.Path("v2"), "hello"))) {
		t.Errorf("current/hello does not reach v2: %v", err)
	}
	if m := mode(t, filepath.Join(s.Dir(), instancesDir, "8081")); m.Perm() != 0o755 {
		t.Errorf("instance dir mode %v", m)
	}
	insts, err := s.Instances()
	if err != nil || !slices.Equal(sorted(insts), []string{"8081=v2", "8082=v1"}) {
		t.Errorf("Instances = %v, %v", insts, err)
	}

	if err := s.RemoveInstance("8081"); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveInstance("8081"); err != nil {
		t.Errorf("removing twice: %v", err)
	}
	if v, _ := s.Current("8081"); v != "" {
		t.Errorf("removed instance still on %q", v)
	}
}

func TestCurrentRefusesForeignLink(t *testing.T) {
	s := newStore(t)
	os.MkdirAll(filepath.Join(s.Dir(), instancesDir, "a"), 0o755)
	os.Symlink("/usr/bin", s.CurrentPath("a"))
	if _, err := s.Current("a"); !errors.Is(err, ErrForeignLink) {
		t.Errorf("a link outside releases/: %v, want ErrForeignLink", err)
	}
	// A directory planted at instances/b is not followed: without the
	// check, Readlink(instances/b/current) reads through it.
	outside := t.TempDir()
	os.Symlink("../../releases/v1", filepath.Join(outside, currentLink))
	os.Symlink(outside, filepath.Join(s.Dir(), instancesDir, "b"))
	if v, err := s.Current("b"); !errors.Is(err, ErrForeignLink) {
		t.Errorf("a planted instances/b link: %q, %v; want ErrForeignLink", v, err)
	}
	if insts, err := s.Instances(); err != nil || len(insts) != 0 {
		t.Errorf("Instances = %v, %v; want the foreign links skipped", insts, err)
	}
}

// A process starting during a switch must always find a release: 1000 swaps
// while a reader keeps resolving current/hello.
func TestSwitchIsAtomic(t *testing.T) {
	s := newStore(t)
	stageVersion(t, s, "v1")
	stageVersion(t, s, "v2")
	if err := s.Switch("8081", "v1"); err != nil {
		t.Fatal(err)
	}
	hello := filepath.Join(s.CurrentPath("8081"), "hello")
	var (
		stop          atomic.Bool
		reads, misses atomic.Int64
		wg            sync.WaitGroup
	)
	wg.Go(func() {
		for !stop.Load() {
			reads.Add(1)
			if _, err := os.Stat(hello); err != nil {
				misses.Add(1)
			}
		}
	})
	for i := range 1000 {
		if err := s.Switch("8081", []string{"v1", "v2"}[i%2]); err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	if misses.Load() != 0 {
		t.Errorf("%d of %d reads found no release during the swaps", misses.Load(), reads.Load())
	}
	if reads.Load() < 100 {
		t.Errorf("only %d reads raced the swaps", reads.Load())
	}
	if v, _ := s.Current("8081"); v != "v2" {
		t.Errorf("ended on %q, want v2", v)
	}
	entries, _ := os.ReadDir(filepath.Join(s.Dir(), instancesDir, "8081"))
	if len(entries) != 1 {
		t.Errorf("instance dir holds %d entries, want only current", len(entries))
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Running reads the release a process really runs, even after the link
// was switched under it.
func TestRunning(t *testing.T) {
	s := newStore(t)
	stageVersion(t, s, "v1")
	stageVersion(t, s, "v2")
	if err := s.Switch("8081", "v1"); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sleep", "30")
	cmd.Dir = s.CurrentPath("8081") // as systemd's WorkingDirectory={release}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	if err := s.Switch("8081", "v2"); err != nil {
		t.Fatal(err)
	}
	if v, ok := s.Running(uint32(cmd.Process.Pid)); !ok || v != "v1" {
		t.Errorf("Running = %q, %v; want v1 (the link now says v2)", v, ok)
	}
	if v, ok := s.Running(uint32(os.Getpid())); ok {
		t.Errorf("Running(test process) = %q, want not in the store", v)
	}
	if _, ok := s.Running(0); ok {
		t.Error("Running(0) ok")
	}
}

func TestLinkPath(t *testing.T) {
	if got := LinkPath("/var/lib/sysroll/hello", "8081"); got != "/var/lib/sysroll/hello/instances/8081/current" {
		t.Errorf("LinkPath = %q", got)
	}
	s := newStore(t)
	if got, want := s.CurrentPath("8081"), LinkPath(s.Dir(), "8081"); got != want {
		t.Errorf("CurrentPath = %q, LinkPath = %q", got, want)
	}
}
