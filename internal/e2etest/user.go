package e2etest

import (
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// User is a login user of the container with its own systemd user manager.
type User struct {
	Name string
	UID  int
}

// StartUserManager creates the user (if it does not exist) and starts its
// user manager (user@UID.service, kept by linger), the way a desktop
// session would; the test's cleanup stops it. The container's /etc is
// empty, so it brings the host's PAM configuration: user@.service and
// runuser both open a PAM session, and pam_limits needs its (here empty)
// limits.conf.
func StartUserManager(t *testing.T, name string, uid int) User {
	t.Helper()
	entries, err := os.ReadDir("/etc/pam.d")
	if err != nil {
		t.Fatalf("a user manager needs PAM configuration: %v", err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("/etc/pam.d", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		WriteFile(t, path.Join("/etc/pam.d", e.Name()), string(b), 0o644)
	}
	WriteFile(t, "/etc/security/limits.conf", "# no limits\n", 0o644)
	id := strconv.Itoa(uid)
	if Run(t, "id", name).Code != 0 {
		if r := Run(t, "useradd", "--create-home", "--uid", id, name); r.Code != 0 {
			t.Fatalf("useradd: %s", r)
		}
	}
	if r := Run(t, "loginctl", "enable-linger", name); r.Code != 0 {
		t.Fatalf("loginctl enable-linger: %s", r)
	}
	if r := Run(t, "systemctl", "start", "user@"+id+".service"); r.Code != 0 {
		log := Run(t, "journalctl", "--no-pager", "-n", "40", "-u", "user@"+id+".service")
		t.Fatalf("cannot start the user manager: %s\n%s", r, log.Stdout)
	}
	t.Cleanup(func() {
		Run(t, "loginctl", "disable-linger", name)
		Run(t, "systemctl", "stop", "user@"+id+".service")
	})
	private := "/run/user/" + id + "/systemd/private"
	for deadline := time.Now().Add(10 * time.Second); Run(t, "test", "-S", private).Code != 0; {
		if time.Now().After(deadline) {
			t.Fatalf("the user manager started, but %s never appeared", private)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return User{Name: name, UID: uid}
}

// Run runs argv as the user, with the environment of a login session.
func (u User) Run(t *testing.T, argv ...string) Result {
	t.Helper()
	return Run(t, append([]string{"runuser", "-u", u.Name, "--", "env",
		"HOME=/home/" + u.Name, "USER=" + u.Name,
		"XDG_RUNTIME_DIR=/run/user/" + strconv.Itoa(u.UID)}, argv...)...)
}

// Must is Run that fails the test unless argv exits 0; it returns stdout.
func (u User) Must(t *testing.T, argv ...string) string {
	t.Helper()
	r := u.Run(t, argv...)
	if r.Code != 0 {
		t.Fatalf("as %s: %s: %s", u.Name, strings.Join(argv, " "), r)
	}
	return r.Stdout
}
