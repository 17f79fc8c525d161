//go:build integration

package redteam_test

import (
	"fmt"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// hostile replaces a state file by something sysroll did not write.
var hostile = []struct{ name, script string }{
	{"fifo", "rm -rf F && mkfifo F"},
	{"directory", "rm -rf F && mkdir F && touch F/x"},
	{"link to /etc/shadow", "rm -rf F && ln -s /etc/shadow F"},
	{"empty", "rm -rf F && : > F"},
	{"garbage", "rm -rf F && printf '\\377\\000{[garbage' > F"},
	{"huge", "rm -rf F && truncate -s 3G F"},
}

// Each state file a deploy leaves, replaced in turn by a FIFO, a
// directory, a link, nothing, garbage or 3 GB of holes: status and history
// neither block, crash nor fail without naming the file; a restart and a
// deploy still work (or fail naming the file); the last deploy repairs
// everything.
func TestEveryStateFileReplaced(t *testing.T) {
	s := newService(t, "e2e-red-files", 24120, 2, 300*time.Millisecond, "")
	s.deploy("v2")
	d := s.stateDir()
	files := strings.Fields(s.sh("find " + d + " -type f -o -type l | sort"))
	t.Logf("state files: %v", files)
	s.sh("rm -rf /tmp/red-backup && mkdir /tmp/red-backup && cp -a " + d + " /tmp/red-backup/")
	n := 3
	for _, f := range files {
		for _, h := range hostile {
			what := fmt.Sprintf("%s as %s", strings.TrimPrefix(f, d+"/"), h.name)
			s.sh(strings.ReplaceAll(h.script, "F", f))
			for _, args := range [][]string{{"status", s.name}, {"history", s.name}} {
				r := s.sysroll(args...)
				sane(t, what+": "+args[0], r)
				// status exits 1 for an instance it shows unhealthy.
				if r.Code != 0 && !(args[0] == "status" && r.Code == 1) && !strings.Contains(r.Stderr, f) {
					t.Errorf("%s: %s fails without naming the file: %s", what, args[0], r)
				}
			}
			if h.name == "fifo" || h.name == "directory" || h.name == "garbage" {
				r := s.sysroll("restart", s.name)
				sane(t, what+": restart", r)
				if r.Code != 0 && !strings.Contains(r.Stderr, f) && !strings.Contains(r.Stderr, path.Dir(f)+" changed since it was staged") {
					t.Errorf("%s: restart fails without naming the file: %s", what, r)
				}
			}
			if h.name == "fifo" || h.name == "directory" {
				v := fmt.Sprintf("v%d", n)
				n++
				r := s.sysroll(s.deployArgs(v)...)
				sane(t, what+": deploy", r)
				// A release's content is named by its directory.
				if r.Code != 0 && !strings.Contains(r.Stderr, f) && !strings.Contains(r.Stderr, path.Dir(f)+" changed since it was staged") {
					t.Errorf("%s: deploy fails without naming the file: %s", what, r)
				}
			}
			// Back to the state the deploy of v2 left.
			s.sh("rm -rf " + d + " && cp -a /tmp/red-backup/" + s.name + " " + d)
		}
	}
	s.deploy("v99")
}

// Whatever is in the state directory, and whoever owns it, uninstall
// --purge removes the service: its units, its instances and its state.
func TestPurgeAlwaysWorks(t *testing.T) {
	for i, h := range append(hostile,
		struct{ name, script string }{"state dir owned by nobody", "chown -R nobody " + "D"},
		struct{ name, script string }{"state dir mode 777", "chmod 777 " + "D"},
		struct{ name, script string }{"state dir a link", "mv D D.moved && ln -s D.moved D"},
	) {
		t.Run(h.name, func(t *testing.T) {
			s := newService(t, fmt.Sprintf("e2e-red-purge%d", i), 24140+2*i, 1, 300*time.Millisecond, "")
			d := s.stateDir()
			if strings.Contains(h.script, "D") && !strings.Contains(h.script, "F") {
				s.sh(strings.ReplaceAll(h.script, "D", d))
			} else {
				for _, f := range strings.Fields(s.sh("find " + d + " -type f -o -type l")) {
					s.sh(strings.ReplaceAll(h.script, "F", f))
				}
			}
			r := s.sysroll("uninstall", s.name, "--purge")
			sane(t, "uninstall --purge", r)
			if r.Code != 0 {
				t.Fatalf("uninstall --purge: %s", r)
			}
			if left := s.sh("ls /etc/systemd/system | grep -c '^" + s.name + "[@.]' || true"); strings.TrimSpace(left) != "0" {
				t.Errorf("left %s unit files", left)
			}
			if r := e2etest.Run(t, "test", "-e", d); r.Code == 0 {
				t.Errorf("%s is still there", d)
			}
			if r := e2etest.Run(t, "systemctl", "is-active", s.name+"@"+fmt.Sprint(s.ports[0])+".service"); r.Code == 0 {
				t.Errorf("instance still active")
			}
			e2etest.Run(t, "rm", "-rf", d+".moved")
		})
	}
}

// Each directory in the state dir replaced by a file, a link to /etc or
// a FIFO: status, history, restart and deploy neither block nor crash,
// and fail only naming what is wrong; status fails only for a link (a
// file or FIFO is quarantined); nothing is done through the link.
func TestEveryStateDirReplaced(t *testing.T) {
	s := newService(t, "e2e-red-dirs", 24124, 2, 300*time.Millisecond, "")
	s.deploy("v2")
	d := s.stateDir()
	dirs := strings.Fields(s.sh("find " + d + " -mindepth 1 -type d | sort"))
	t.Logf("state dirs: %v", dirs)
	s.sh("rm -rf /tmp/red-backup-dirs && mkdir /tmp/red-backup-dirs && cp -a " + d + " /tmp/red-backup-dirs/")
	n := 3
	for _, dir := range dirs {
		for _, h := range []struct{ name, script string }{
			{"file", "rm -rf F && echo x > F"},
			{"link to /etc", "rm -rf F && ln -s /etc F"},
			{"fifo", "rm -rf F && mkfifo F"},
		} {
			what := fmt.Sprintf("%s as %s", strings.TrimPrefix(dir, d+"/"), h.name)
			s.sh(strings.ReplaceAll(h.script, "F", dir))
			v := fmt.Sprintf("v%d", n)
			n++
			var codes []string
			for _, args := range [][]string{{"status", s.name}, {"history", s.name}, {"restart", s.name}, s.deployArgs(v)} {
				r := s.sysroll(args...)
				codes = append(codes, fmt.Sprintf("%s=%d", args[0], r.Code))
				if r.Code != 0 {
					codes = append(codes, "("+strings.ReplaceAll(strings.TrimSpace(r.Stderr), "\n", " | ")+")")
				}
				sane(t, what+": "+args[0], r)
				if r.Code != 0 && !(args[0] == "status" && r.Code == 1) && !strings.Contains(r.Stderr, dir) {
					t.Errorf("%s: %s fails without naming %s: %s", what, args[0], dir, r)
				}
			}
			t.Logf("%s: %s", what, strings.Join(codes, " "))
			// Only a link is refused (it may be a directory moved to another
			// disk); anything else is moved aside and status goes on.
			// (status exits 1 without an error when it shows an instance
			// unhealthy: that is going on.)
			if h.name != "link to /etc" && codes[0] != "status=0" && !(codes[0] == "status=1" && codes[1] == "()") {
				t.Errorf("%s: status fails: %s", what, strings.Join(codes, " "))
			}
			if r := e2etest.Run(t, "test", "-e", "/etc/passwd"); r.Code != 0 {
				t.Fatalf("%s: /etc/passwd is gone", what)
			}
			s.sh("rm -rf " + d + " && cp -a /tmp/red-backup-dirs/" + s.name + " " + d)
		}
	}
	s.deploy("v99")
}
