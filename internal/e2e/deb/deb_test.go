//go:build integration

package deb

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/buildinfo"
	"github.com/sysroll/sysroll/internal/testbed"
)

// TestInstallUseRemove installs the package, uses all it ships, removes it,
// and checks after each step that the host has not changed.
func TestInstallUseRemove(t *testing.T) {
	host := hostState(t)
	if out, code := sh(t, "dpkg -i "+debDir+"/"+built.file); code != 0 {
		t.Fatalf("dpkg -i: exit %d\n%s", code, out)
	}
	host.unchanged(t, "after dpkg -i in the container")
	if out, _ := sh(t, "dpkg-query -W -f '${Status} ${Version}' sysroll"); out != "install ok installed "+built.version {
		t.Errorf("dpkg-query: %q, want installed %s", out, built.version)
	}
	listing, code := sh(t, "dpkg -L sysroll")
	if code != 0 {
		t.Fatalf("dpkg -L sysroll: exit %d\n%s", code, listing)
	}

	t.Run("binary", func(t *testing.T) { checkBinary(t) })
	t.Run("man", func(t *testing.T) { checkMan(t) })
	t.Run("bash", func(t *testing.T) { checkBash(t) })
	t.Run("zsh", func(t *testing.T) { checkZsh(t) })
	t.Run("fish", func(t *testing.T) { checkFish(t) })

	// Which of the listed paths are directories, while they all exist.
	c := testbed.Shared(t)
	var files, dirs []string
	for _, p := range strings.Fields(listing) {
		if p == "/." { // dpkg's name for the package's root
			continue
		}
		fi, err := os.Lstat(c.Path(p))
		switch {
		case err != nil:
			t.Errorf("listed by dpkg -L but missing: %s (%v)", p, err)
		case fi.IsDir():
			dirs = append(dirs, p)
		default:
			files = append(files, p)
		}
	}
	if len(files) < 20 {
		t.Fatalf("dpkg -L lists only %d files: %q", len(files), files)
	}

	if out, code := sh(t, "dpkg -r sysroll"); code != 0 {
		t.Fatalf("dpkg -r: exit %d\n%s", code, out)
	}
	if out, code := sh(t, "dpkg-query -W -f '${Status}' sysroll"); code == 0 && strings.Contains(out, "installed") && !strings.Contains(out, "not-installed") {
		t.Errorf("after dpkg -r: %q", out)
	}
	for _, p := range files {
		if _, err := os.Lstat(c.Path(p)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("left after dpkg -r: %s (%v)", p, err)
		}
	}
	// A directory may stay only when another package owns it too.
	for _, d := range dirs {
		if _, err := os.Lstat(c.Path(d)); err != nil {
			continue
		}
		if out, code := sh(t, "dpkg -S "+d); code != 0 {
			t.Errorf("directory %s left after dpkg -r, owned by no other package: %s", d, out)
		}
	}
	host.unchanged(t, "after dpkg -r in the container")
}

func checkBinary(t *testing.T) {
	if out, _ := sh(t, "command -v sysroll"); out != "/usr/bin/sysroll" {
		t.Errorf("command -v sysroll = %q, want /usr/bin/sysroll", out)
	}
	out, code := sh(t, "sysroll version --json")
	var info buildinfo.Info
	if err := json.Unmarshal([]byte(out), &info); code != 0 || err != nil {
		t.Fatalf("sysroll version --json: exit %d, %v: %s", code, err, out)
	}
	// The binary's version is the package's without the Debian revision.
	upstream := built.version[:strings.LastIndexByte(built.version, '-')]
	if info.Version != upstream || info.Commit != built.commit || info.Date == "" {
		t.Errorf("sysroll version --json = %+v, want version %s commit %s and a date", info, upstream, built.commit)
	}
	if out, _ := sh(t, "sysroll version"); !strings.HasPrefix(out, "sysroll "+upstream+"\n") {
		t.Errorf("sysroll version:\n%s", out)
	}
}

func checkMan(t *testing.T) {
	for _, page := range []string{"sysroll", "sysroll-deploy", "sysroll-rollback", "sysroll-completion-bash"} {
		want := "/usr/share/man/man1/" + page + ".1.gz"
		if out, code := sh(t, "man -w "+page); code != 0 || out != want {
			t.Errorf("man -w %s = %q (exit %d), want %s", page, out, code, want)
		}
	}
	// It renders, with the command's own flags.
	out, code := sh(t, "MANWIDTH=80 man -P cat sysroll-deploy 2>&1")
	if code != 0 || !strings.Contains(out, "--artifact") || !strings.Contains(out, "sysroll deploy NAME --artifact PATH") {
		t.Errorf("man sysroll-deploy: exit %d\n%s", code, out)
	}
}

// bash-completion finds the script by the command's name (its on-demand
// loader, as an interactive shell does), and it completes commands and flags.
func checkBash(t *testing.T) {
	script := `. /usr/share/bash-completion/bash_completion
_completion_loader sysroll
complete -p sysroll
comp() { COMP_WORDS=("$@"); COMP_CWORD=$(($#-1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMPREPLY=()
  __start_sysroll sysroll "${@: -1}" "${@: -2:1}"; printf '%s\n' "${COMPREPLY[@]}"; }
echo '-- commands'; comp sysroll de
echo '-- flags'; comp sysroll deploy --ar`
	out, code := sh(t, "bash -c "+quote(script))
	if code != 0 {
		t.Fatalf("bash: exit %d\n%s", code, out)
	}
	cmds, flags, _ := strings.Cut(out, "-- flags")
	if !strings.Contains(cmds, "-F __start_sysroll sysroll") || !strings.Contains(cmds, "deploy") || !strings.Contains(flags, "--artifact") {
		t.Errorf("bash completion:\n%s", out)
	}
}

// zsh finds _sysroll in its default fpath and loads it.
func checkZsh(t *testing.T) {
	out, code := sh(t, "zsh -fc 'autoload -Uz +X _sysroll && whence -v _sysroll'")
	if code != 0 || !strings.Contains(out, "/usr/share/zsh/vendor-completions/_sysroll") {
		t.Errorf("zsh: exit %d: %s", code, out)
	}
}

// fish loads the vendor completion on its own and completes flags (through
// `sysroll __complete`, so the installed binary answers).
func checkFish(t *testing.T) {
	out, code := sh(t, `fish -c 'complete -C "sysroll deploy --ar"'`)
	if code != 0 || !strings.HasPrefix(out, "--artifact") {
		t.Errorf("fish: exit %d: %q", code, out)
	}
}

// host is what the package would change on the host, were it installed
// there: the container must leave it alone.
type host struct{ status [32]byte }

// hostPaths are files the package installs, and dpkg's record of it.
var hostPaths = []string{"/usr/bin/sysroll", "/usr/share/man/man1/sysroll-deploy.1.gz", "/var/lib/dpkg/info/sysroll.list"}

func hostState(t *testing.T) host {
	t.Helper()
	b, err := os.ReadFile("/var/lib/dpkg/status")
	if err != nil {
		t.Fatal(err)
	}
	h := host{status: sha256.Sum256(b)}
	h.unchanged(t, "before the test") // sysroll not installed on the host
	return h
}

func (h host) unchanged(t *testing.T, when string) {
	t.Helper()
	if b, err := os.ReadFile("/var/lib/dpkg/status"); err != nil || sha256.Sum256(b) != h.status {
		t.Errorf("%s: the host's /var/lib/dpkg/status changed (%v)", when, err)
	}
	for _, p := range hostPaths {
		if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: %s exists on the host (%v)", when, p, err)
		}
	}
	out, err := exec.Command("dpkg-query", "-W", "-f", "${Status}", "sysroll").CombinedOutput()
	if err == nil && !strings.Contains(string(out), "not-installed") {
		t.Errorf("%s: dpkg on the host knows sysroll: %s", when, out)
	}
}

// sh runs a shell command inside the container and returns its trimmed
// output (stdout and stderr) and exit code.
func sh(t *testing.T, script string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := testbed.Shared(t).Command(ctx, "sh", "-c", script)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("run %q: %v", script, err)
	}
	return strings.TrimSpace(out.String()), cmd.ProcessState.ExitCode()
}

// quote makes s one single-quoted shell word.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
