//go:build integration

package fleetbench

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/e2etest"
)

// The package's allocation (see planFleet in internal/e2etest/fleetplan.go).
const (
	prefix = "fbnch"
	subnet = 17
	nHosts = 10
)

// The benchmarks' service: 4 hello instances per host, one at a time,
// each healthy for healthy_for (1 s unless -fleetbench.healthy-for says
// otherwise) before the next. The controller's overhead is about fixed per
// host batch, so the ratio depends on how long a host's own rollout takes:
// 1 s makes it the largest, the service file's default (5 s) a real one.
var (
	serviceName = "fbench"
	ports       = []int{25601, 25602, 25603, 25604}
	healthyFor  time.Duration
)

func init() {
	flag.DurationVar(&healthyFor, "fleetbench.healthy-for", time.Second, "each instance's health.healthy_for in the benchmarks' service")
}

// The fleet is booted by the first benchmark that needs it (never by a
// plain `go test`, which runs only the parser's test) and torn down here.
var (
	fleetMu  sync.Mutex
	fleet    *e2etest.Fleet
	fleetErr error
	svc      *service
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	fleetMu.Lock()
	if fleet != nil {
		memNote("before teardown")
		if err := fleet.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
			code = max(code, 1)
		}
		memNote("after teardown")
	}
	fleetMu.Unlock()
	os.Exit(code)
}

// memNote prints the machine's available memory: 10 containers with
// systemd, sshd and 4 instances each are the benchmark's footprint.
func memNote(when string) {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return
	}
	for l := range strings.Lines(string(data)) {
		if strings.HasPrefix(l, "MemAvailable:") {
			fmt.Fprintf(os.Stderr, "fleetbench: %s: %s", when, l)
		}
	}
}

// sharedService boots the fleet and applies the service on every host at
// v1, once per process.
func sharedService(b *testing.B) *service {
	b.Helper()
	fleetMu.Lock()
	defer fleetMu.Unlock()
	if fleet == nil && fleetErr == nil {
		memNote("before boot")
		start := time.Now()
		fleet, fleetErr = e2etest.BootFleet(context.Background(), prefix, nHosts, e2etest.FleetOptions{Subnet: subnet})
		if fleetErr == nil {
			fmt.Fprintf(os.Stderr, "fleetbench: %d hosts up in %s\n", nHosts, time.Since(start).Round(time.Millisecond))
			svc, fleetErr = newService(fleet)
			memNote("after boot and apply")
		}
	}
	if fleetErr != nil {
		b.Fatal(fleetErr)
	}
	if !svc.warm {
		svc.warm = true
		svc.warmUp(b)
	}
	return svc
}

// warmUp runs one fleet deploy, untimed: it copies the controller's build
// to every host (about 20 MB each), which later deploys find there, as
// every deploy after a fleet's first does.
func (s *service) warmUp(b *testing.B) {
	version, dir := s.release(b)
	r, ro := s.deploy(b, 5, version, dir)
	fmt.Fprintf(os.Stderr, "fleetbench: warm-up deploy of %s (the build copied to every host): %s, %d bytes sent\n",
		version, r.took.Round(time.Millisecond), ro.Sent)
}

// service is the hello service applied on every host.
type service struct {
	f     *e2etest.Fleet
	local string // the controller's scratch directory
	next  int    // the next release's number
	warm  bool   // the build is on every host (warmUp ran)
}

func newService(f *e2etest.Fleet) (*service, error) {
	local, err := os.MkdirTemp("", "fleetbench-")
	if err != nil {
		return nil, err
	}
	s := &service{f: f, local: local, next: 2}
	yaml := e2etest.HelloYAML(serviceName, ports, healthyFor, "")
	errs := make([]error, len(f.Hosts()))
	var wg sync.WaitGroup
	for i, h := range f.Hosts() {
		wg.Go(func() { errs[i] = applyV1(h, yaml) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var hosts strings.Builder
	for _, h := range f.Hosts() {
		fmt.Fprintf(&hosts, "  - {name: %s, address: %s}\n", h.Name(), h.Addr())
	}
	for _, mp := range []int{1, 5} {
		ctl := yaml + "hosts:\n" + hosts.String() + fmt.Sprintf("fleet:\n  hosts: {batch: \"100%%\", max_parallel: %d}\n", mp)
		if err := os.WriteFile(s.file(mp), []byte(ctl), 0o644); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// applyV1 installs the service on h at release v1.
func applyV1(h *e2etest.Host, yaml string) error {
	c := h.Container()
	dir := "/srv/fleetbench"
	if err := c.WriteFile(dir+"/service.yaml", []byte(yaml), 0o644); err != nil {
		return err
	}
	if err := c.WriteFile(dir+"/v1/hello", []byte(helloScript("v1")), 0o755); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := h.Exec(ctx, e2etest.BinDir+"/sysroll", "apply", dir+"/service.yaml", "--artifact", dir+"/v1", "--version", "v1")
	if err != nil {
		return fmt.Errorf("%s: apply %s: %w\n%s", h.Name(), serviceName, err, out)
	}
	return nil
}

// helloScript is a release's hello: the real hello binary as version.
func helloScript(version string) string {
	return fmt.Sprintf("#!/bin/sh\nexec %s/hello --version %s \"$@\"\n", e2etest.BinDir, version)
}

// file is the controller's service file with fleet.hosts.max_parallel mp.
func (s *service) file(mp int) string {
	return filepath.Join(s.local, fmt.Sprintf("service-mp%d.yaml", mp))
}

// release writes a new release directory on the controller and returns
// its version and path.
func (s *service) release(b *testing.B) (string, string) {
	b.Helper()
	version := fmt.Sprintf("v%d", s.next)
	s.next++
	dir := filepath.Join(s.local, "releases", version)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "hello"), []byte(helloScript(version)), 0o755); err != nil {
		b.Fatal(err)
	}
	return version, dir
}

// bin is the built sysroll the controller runs.
func (s *service) bin() string { return filepath.Join(s.f.Dir(), "bin", "sysroll") }

// run is one controller run.
type run struct {
	stdout, stderr string
	start          time.Time
	took           time.Duration
	cpu            time.Duration // the controller's own CPU time, user and system
}

// controller runs the built sysroll on the machine with args and fails
// the benchmark unless it exits 0.
func (s *service) controller(b *testing.B, args ...string) run {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.bin(), args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.Env = append(os.Environ(), "SSH_AUTH_SOCK=")
	start := time.Now()
	err := cmd.Run()
	r := run{stdout: out.String(), stderr: errOut.String(), start: start, took: time.Since(start)}
	if cmd.ProcessState != nil {
		r.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if err != nil {
		b.Fatalf("sysroll %s: %v after %s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, r.took.Round(time.Millisecond), r.stdout, r.stderr)
	}
	return r
}

// deploy is `sysroll fleet deploy` of the release at dir as version, with
// max_parallel mp, parsed.
func (s *service) deploy(b *testing.B, mp int, version, dir string) (run, *Rollout) {
	b.Helper()
	r := s.controller(b, "fleet", "deploy", s.file(mp), "--artifact", dir, "--version", version,
		"--ssh-config", s.f.SSHConfigPath(), "--state-dir", filepath.Join(s.local, "state"), "--json")
	ro, err := ParseRollout(r.stdout)
	if err != nil {
		b.Fatalf("fleet deploy %s: %v\n%s", version, err, r.stdout)
	}
	if len(ro.Failed) > 0 {
		b.Fatalf("fleet deploy %s: hosts not succeeded: %s", version, strings.Join(ro.Failed, "; "))
	}
	if len(ro.Hosts) != nHosts {
		b.Fatalf("fleet deploy %s: %d hosts rolled, want %d", version, len(ro.Hosts), nHosts)
	}
	return r, ro
}
