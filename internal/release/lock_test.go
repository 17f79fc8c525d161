package release

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

const lockHelperEnv = "SYSROLL_TEST_LOCK_HOLDER"

// TestLockHolderProcess is not a test: re-executed by startHolder, it takes
// the lock of the store named in its environment, says so, and waits to be
// killed.
func TestLockHolderProcess(t *testing.T) {
	dir := os.Getenv(lockHelperEnv)
	if dir == "" {
		return
	}
	s, err := Open(dir)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	if _, err := s.Lock(LockInfo{User: "alice", Command: "sysroll deploy hello ./hello"}); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println("locked")
	time.Sleep(time.Minute)
	os.Exit(0)
}

// startHolder runs TestLockHolderProcess in a child and waits until it holds
// the lock.
func startHolder(t *testing.T, s *Store) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHolderProcess$")
	cmd.Env = append(os.Environ(), lockHelperEnv+"="+s.Dir())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, _ := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "locked" {
		t.Fatalf("holder said %q", line)
	}
	return cmd
}

func TestLockContention(t *testing.T) {
	s := newStore(t)
	l, err := s.Lock(LockInfo{User: "bob", Command: "sysroll deploy hello"})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = s.Lock(LockInfo{})
	var le *LockedError
	if !errors.As(err, &le) || !errors.Is(err, ErrLocked) {
		t.Fatalf("second Lock = %v, want *LockedError", err)
	}
	if le.Holder.PID != os.Getpid() || le.Holder.User != "bob" || le.Holder.Command != "sysroll deploy hello" ||
		le.Service != "hello" || time.Since(le.Since) > time.Minute {
		t.Errorf("holder = %+v", le)
	}
	if waited := time.Since(start); waited > time.Second {
		t.Errorf("Lock waited %s; it must not block", waited)
	}
	if m := mode(t, s.Dir()+"/lock"); m != 0o600 {
		t.Errorf("lock file mode %v", m)
	}
	must(t, l.Unlock())
	must(t, l.Unlock()) // twice is harmless
	l2, err := s.Lock(LockInfo{})
	if err != nil {
		t.Fatalf("Lock after Unlock: %v", err)
	}
	l2.Unlock()
}

func TestLockedErrorMessage(t *testing.T) {
	now := time.Now()
	today := time.Date(now.Year(), now.Month(), now.Day(), 16, 50, 0, 0, time.Local)
	for _, tc := range []struct {
		name string
		err  LockedError
		want string
	}{
		{"full", LockedError{Service: "hello", Since: today,
			Holder: LockInfo{PID: 123, User: "alice", Command: "sysroll deploy hello ./hello"}},
			"rollout of hello already running: pid 123 user alice since 16:50:00 (sysroll deploy hello ./hello)"},
		{"other day", LockedError{Service: "hello", Since: time.Date(2020, 1, 2, 3, 4, 5, 0, time.Local),
			Holder: LockInfo{PID: 123}},
			"rollout of hello already running: pid 123 since 2020-01-02 03:04:05"},
		{"unknown holder", LockedError{Service: "hello"}, "rollout of hello already running (holder unknown)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// The kernel drops an flock when its holder dies, even by SIGKILL: no stale
// lock, and Unfinished sees the holder's rollout as interrupted.
func TestLockReleasedWhenHolderKilled(t *testing.T) {
	s := newStore(t)
	holder := startHolder(t, s)
	pid := holder.Process.Pid
	must(t, s.SaveRecord(sampleRecord("r1", time.Now(), ResultRunning, pid)))

	_, err := s.Lock(LockInfo{})
	var le *LockedError
	if !errors.As(err, &le) || le.Holder.PID != pid || le.Holder.User != "alice" {
		t.Fatalf("Lock while child holds it = %v", err)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("pid %d user alice since", pid)) {
		t.Errorf("message %q", err)
	}
	if r, err := s.Unfinished(); err != nil || r.Result != ResultRunning {
		t.Errorf("Unfinished while the holder lives = %+v, %v; want running", r, err)
	}

	if err := holder.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	holder.Wait()

	if r, err := s.Unfinished(); err != nil || r.Result != ResultInterrupted {
		t.Errorf("Unfinished after SIGKILL = %+v, %v; want interrupted", r, err)
	}
	l, err := s.Lock(LockInfo{})
	if err != nil {
		t.Fatalf("Lock after the holder was killed: %v", err)
	}
	defer l.Unlock()
	// While we hold the lock, the dead rollout is still interrupted: the
	// lock's holder is not the process that ran it.
	if r, err := s.Unfinished(); err != nil || r.Result != ResultInterrupted {
		t.Errorf("Unfinished under our lock = %+v, %v; want interrupted", r, err)
	}
}

// A live process that does not hold the lock (a recycled PID) is not taken
// for the rollout's.
func TestUnfinishedRecycledPID(t *testing.T) {
	s := newStore(t)
	other := exec.Command("sleep", "30")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { other.Process.Kill(); other.Wait() }()
	must(t, s.SaveRecord(sampleRecord("r1", time.Now(), ResultRunning, other.Process.Pid)))
	if r, err := s.Unfinished(); err != nil || r.Result != ResultInterrupted {
		t.Errorf("Unfinished = %+v, %v; want interrupted", r, err)
	}
}
