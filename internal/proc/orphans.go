package proc

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// A child that calls setsid(2) (or setpgid) leaves the command's process
// group, so killing the group misses it: `setsid sleep 1000 &` in a hook
// would outlive the deploy, as root. sysroll therefore makes itself a
// child subreaper: such an orphan is re-parented to sysroll instead of to
// init once its parent in the group exits, and reapGroup finds it among
// sysroll's own children. Every child sysroll starts itself runs through
// Command in sysroll's session, so a child in another session can only be
// an orphan of a command that has finished: it is killed with its group.

var subreaper sync.Once

// becomeSubreaper marks this process a child subreaper (prctl
// PR_SET_CHILD_SUBREAPER), once. An error (an old kernel) leaves the
// escape open, as it was; it is not worth failing a command for.
func becomeSubreaper() {
	subreaper.Do(func() { _ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) })
}

// reapBound is how long reapGroup waits for the command's group to die and
// its orphans to be re-parented, so that a process stuck in the kernel
// cannot hold up the step for ever.
const reapBound = 2 * time.Second

// reapGroup runs after the command leading group pgid was waited for and
// the group was sent SIGKILL: it reaps the group's members that were
// re-parented to us, and kills and reaps every child of ours in another
// session (one that escaped with setsid), with its process group, until the
// group is gone and no escaped child is left.
func reapGroup(pgid int) {
	self := os.Getpid()
	sid, err := unix.Getsid(0)
	if err != nil {
		return
	}
	deadline := time.Now().Add(reapBound)
	for {
		// Once the group is empty its ID may be reused by a command
		// started since: match it only while it still has members.
		groupGone := unix.Kill(-pgid, 0) == unix.ESRCH
		escaped := false
		for _, c := range children(self) {
			st, ok := readStat(c)
			if !ok {
				continue
			}
			switch {
			case st.pgrp == pgid && !groupGone:
				_ = unix.Kill(c, unix.SIGKILL)
				reap(c, deadline)
			case st.session != sid:
				escaped = true
				if st.pgrp > 1 && st.pgrp != self {
					_ = killGroup(st.pgrp, unix.SIGKILL)
				}
				_ = unix.Kill(c, unix.SIGKILL)
				reap(c, deadline)
			}
		}
		if (groupGone && !escaped) || time.Now().After(deadline) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// reap waits for child pid, which was sent SIGKILL, until deadline.
func reap(pid int, deadline time.Time) {
	for {
		var ws unix.WaitStatus
		got, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
		if got == pid || (err != nil && err != unix.EINTR) || time.Now().After(deadline) {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// children lists the PIDs whose parent is this process, from each of its
// threads' children files (an orphan is re-parented to any one thread).
func children(self int) []int {
	tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(self) + "/task/*/children")
	var out []int
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, s := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(s); err == nil && pid > 1 {
				out = append(out, pid)
			}
		}
	}
	return out
}

type stat struct{ pgrp, session int }

// readStat reads the process group and session of pid from /proc/PID/stat
// ("pid (comm) state ppid pgrp session ..."; comm may hold spaces and
// parentheses, so fields are counted after the last ')').
func readStat(pid int) (stat, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return stat{}, false
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return stat{}, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 4 {
		return stat{}, false
	}
	pgrp, err1 := strconv.Atoi(f[2])
	session, err2 := strconv.Atoi(f[3])
	if err1 != nil || err2 != nil {
		return stat{}, false
	}
	return stat{pgrp, session}, true
}
