package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sysroll agent NAME on a pipe: one answer line whatever it is sent, exit
// 0 only for a request about a known instance.
func TestAgentVerb(t *testing.T) {
	root := t.TempDir()
	svcDir := filepath.Join(root, "hello")
	if err := os.MkdirAll(filepath.Join(svcDir, "agent"), 0o700); err != nil {
		t.Fatal(err)
	}
	yaml := "name: hello\ncommand: /bin/hello\ninstances: [8081, 8082]\nrollout:\n  haproxy_agent: {listen: \"0.0.0.0:9700\"}\n"
	if err := os.WriteFile(filepath.Join(svcDir, "service.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(svcDir, "agent", "8082.mark"), []byte("drain tok1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, service, input, want string
		code                       int
	}{
		{"ready", "hello", "hello/8081\n", "ready up\n", 0},
		{"drained", "hello", "hello/8082\n", "drain\n", 0},
		{"garbage", "hello", "\x16\x03\x01 TLS hello", "ready up\n", 1},
		{"silent", "hello", "", "ready up\n", 1},
		{"not installed", "web", "web/8081\n", "ready up\n", 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			r := newRoot(&globals{stdout: &out, stderr: &errb})
			r.SetIn(strings.NewReader(c.input))
			code := execute(context.Background(), r, []string{"agent", "--state-dir", root, c.service}, &out, &errb)
			if out.String() != c.want || code != c.code {
				t.Errorf("answered %q exit %d (stderr %q), want %q exit %d", out.String(), code, errb.String(), c.want, c.code)
			}
		})
	}
	if b, err := os.ReadFile(filepath.Join(svcDir, "agent", "8082.asked")); err != nil || !strings.HasPrefix(string(b), "drain tok1 ") {
		t.Errorf("8082.asked = %q, %v; want the drain of tok1 recorded", b, err)
	}
}

// render --haproxy-servers prints the backend of the service's instances
// on the given hosts.
func TestRenderHAProxyServers(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "hello.yaml")
	yaml := "name: hello\ncommand: /bin/hello\ninstances: [8081]\nhealth:\n  http: {url: \"http://127.0.0.1:{port}/healthz\"}\nrollout:\n  haproxy_agent: {listen: \"0.0.0.0:9700\", inter: 500ms}\n"
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, "render", file, "--haproxy-servers", "h1=10.0.0.11,10.0.0.12")
	want := "backend hello\n    balance roundrobin\n    option httpchk GET /healthz\n    option http-server-close\n" +
		"    server h1-8081 10.0.0.11:8081 check inter 500ms rise 2 fall 2 agent-check agent-addr 10.0.0.11 agent-port 9700 agent-send \"hello/8081\\n\" agent-inter 500ms\n" +
		"    server 10.0.0.12-8081 10.0.0.12:8081 check inter 500ms rise 2 fall 2 agent-check agent-addr 10.0.0.12 agent-port 9700 agent-send \"hello/8081\\n\" agent-inter 500ms\n"
	if code != 0 || out != want {
		t.Errorf("exit %d, stderr %q, stdout:\n%s\nwant:\n%s", code, errOut, out, want)
	}
	if _, _, code := run(t, "render", file, "--haproxy-servers", "=x"); code != 2 {
		t.Errorf("a bad host: exit %d, want 2", code)
	}
}
