//go:build integration

package fleetbed

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sshResult is one run of the system ssh client.
type sshResult struct {
	out, stderr string
	err         error
	took        time.Duration
}

// ssh runs the machine's ssh client with the fleet's config; a short
// ConnectTimeout bounds the wait for an unreachable host.
func ssh(t *testing.T, cfg, host string, remote ...string) sshResult {
	t.Helper()
	return sshWith(t, cfg, nil, host, remote...)
}

// sshWith is ssh with extra client options (-o ...) before the host.
func sshWith(t *testing.T, cfg string, opts []string, host string, remote ...string) sshResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	args := append([]string{"-F", cfg, "-o", "ConnectTimeout=2"}, opts...)
	args = append(append(args, host, "--"), remote...)
	cmd := exec.CommandContext(ctx, "ssh", args...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	start := time.Now()
	err := cmd.Run()
	return sshResult{out: strings.TrimSpace(out.String()), stderr: strings.TrimSpace(stderr.String()), err: err, took: time.Since(start)}
}

// leftovers lists what of a fleet with prefix is still on the machine:
// links, namespaces, systemd-nspawn processes of its hosts, its fleet
// directories and its lock file.
func leftovers(t *testing.T, prefix string) []string {
	t.Helper()
	links, netns := ours(t, "sr"+prefix+"-")
	out := append(strings.Fields(links), strings.Fields(netns)...)
	ps, _ := exec.Command("pgrep", "-a", "systemd-nspawn").Output()
	for _, line := range strings.Split(string(ps), "\n") {
		if strings.Contains(line, "--machine="+prefix+"-") {
			out = append(out, line)
		}
	}
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "sysroll-fleet-"+prefix+"-*"))
	out = append(out, dirs...)
	if lock := "/run/sysroll-fleet-" + prefix + ".lock"; fileExists(lock) {
		out = append(out, lock)
	}
	return out
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// ours returns the names of the machine's links and namespaces that start
// with names, one per line.
func ours(t *testing.T, names string) (links, netns string) {
	t.Helper()
	for _, q := range []struct {
		dst   *string
		field int // of the name: "7: srfbed-v1@if2: <...> ... master srfbed-br", "srfbed-h1 (id: 0)"
		argv  []string
	}{
		{&links, 1, []string{"ip", "-o", "link", "show"}},
		{&netns, 0, []string{"ip", "netns", "list"}},
	} {
		out, err := exec.Command(q.argv[0], q.argv[1:]...).Output()
		if err != nil {
			t.Fatalf("%s: %v", strings.Join(q.argv, " "), err)
		}
		for _, line := range strings.Split(string(out), "\n") {
			f := strings.Fields(line)
			if len(f) <= q.field {
				continue
			}
			name, _, _ := strings.Cut(strings.TrimSuffix(f[q.field], ":"), "@")
			if strings.HasPrefix(name, names) {
				*q.dst += name + "\n"
			}
		}
	}
	return links, netns
}

func mustRun(t *testing.T, argv ...string) {
	t.Helper()
	if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(argv, " "), err, out)
	}
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return 0
}
