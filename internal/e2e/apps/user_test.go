//go:build integration

package apps

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
)

const (
	testUser = "appuser"
	testUID  = 1600
)

// user is testUser, whose user manager startUserManager starts.
var user = e2etest.User{Name: testUser, UID: testUID}

func startUserManager(t *testing.T) { e2etest.StartUserManager(t, testUser, testUID) }

func asUser(t *testing.T, argv ...string) e2etest.Result { t.Helper(); return user.Run(t, argv...) }

// Under a user manager HOME is the instance's state directory too: %S,
// which systemd 252 resolves to ~/.config (254 and later: ~/.local/state),
// the same directory StateDirectory= creates, writable under
// ProtectHome=read-only.
func TestHomeWriterUnderAUserManager(t *testing.T) {
	t.Parallel()
	startUserManager(t)
	home := "/home/" + testUser
	sysroll := e2etest.BinDir + "/sysroll"
	file := home + "/uhapp.yaml"
	yaml := strings.NewReplacer("name: happ", "name: uhapp", "first_port: 24331", "first_port: 24371").Replace(readTestdata(t, "home.yaml"))
	e2etest.WriteFile(t, file, yaml, 0o644)
	rel := releaseDir(t, "uhapp", "homeapp", "v1")
	t.Cleanup(func() { asUser(t, sysroll, "--user", "uninstall", "uhapp", "--purge") })
	if r := asUser(t, sysroll, "--user", "apply", file, "--artifact", rel, "--version", "v1"); r.Code != 0 {
		t.Fatalf("apply --user: %s", r)
	}
	ps := ports(24371, 3)
	for _, p := range ps {
		var body string
		want := fmt.Sprintf("hello from v1 HOME=%s/.config/uhapp/%d started %d", home, p, p)
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			if r := e2etest.Run(t, "python3", "-c", fmt.Sprintf("import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:%d/', timeout=1).read().decode(), end='')", p)); r.Code == 0 {
				body = strings.TrimSpace(r.Stdout)
				if body == want {
					break
				}
			}
			if time.Now().After(deadline) {
				j := asUser(t, "journalctl", "--user", "--no-pager", "-o", "cat", "-n", "20", "-u", fmt.Sprintf("uhapp@%d.service", p))
				t.Fatalf("instance %d: %q, want %q\n%s", p, body, want, j)
			}
		}
	}
	if owner := strings.TrimSpace(e2etest.Run(t, "stat", "-c", "%U", home+"/.config/uhapp/24371/state").Stdout); owner != testUser {
		t.Errorf("the state file is owned by %q, want %s", owner, testUser)
	}
}

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
