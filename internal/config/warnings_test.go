package config

import (
	"strings"
	"testing"
)

func TestWarnings(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string // substrings, one per warning, in order
	}{
		{"none", "", nil},
		{"secret-env", "environment: {DB_PASSWORD: hunter2, API_TOKEN: x, LOG_LEVEL: debug, AWS_SECRET_ACCESS_KEY: y}", []string{
			"svc.yaml:1:37: environment.API_TOKEN: looks like a secret",
			"environment.AWS_SECRET_ACCESS_KEY: looks like a secret",
			`svc.yaml:1:15: environment.DB_PASSWORD: looks like a secret, but environment: is copied into files anyone can read (unit file, installed service.yaml): use environment_files: (a file of mode 0600), or service: {LoadCredential: "DB_PASSWORD:/etc/sysroll/DB_PASSWORD"} with hardening.allow_raw: [LoadCredential]`,
		}},
		{"secret-empty", "environment: {API_KEY: \"\"}", nil},
		{"not-secret", "environment: {KEYBOARD: us, MONKEY: x, TOKENIZER: bert, SIGNING_KEY: k, GITHUB_TOKEN: t}", []string{"environment.GITHUB_TOKEN: looks like a secret", "environment.SIGNING_KEY: looks like a secret"}},
		{"privileged-port", "instances: [80, 8080]", []string{
			"svc.yaml:1:13: instances[0]: port 80 is below 1024: an instance that binds it itself cannot, as a non-root user: use listen: 80 (systemd binds the socket as root and passes it), or add CAP_NET_BIND_SERVICE to hardening.capabilities and set hardening.private_users: false",
		}},
		{"privileged-first-port", "instances: {count: 2, first_port: 443}", []string{"instances.first_port: port 443 is below 1024"}},
		{"privileged-cap-private-users", "instances: [80]\nhardening: {capabilities: [CAP_NET_BIND_SERVICE]}", []string{
			"port 80 is below 1024: an instance that binds it itself cannot, as a non-root user: use listen: 80 (systemd binds the socket as root and passes it), or set hardening.private_users: false (under a private user namespace CAP_NET_BIND_SERVICE does not reach the host's network)",
		}},
		{"privileged-cap-fixed", "instances: [80]\nhardening: {capabilities: [CAP_NET_BIND_SERVICE], private_users: false}", nil},
		{"privileged-listen", "instances: [80]\nlisten: 80", nil},
		{"names-not-ports", "instances: [web-1, web-2]", nil},
		// Node read PORT=%i as NaN: a '%' is literal in environment:.
		{"specifier-in-env", "environment: {PORT: \"%i\", FMT: \"%i requests\"}", []string{
			"environment.PORT: a '%' is literal here, so the app gets the text %i; write {port} (instances that are ports) or {instance} for the instance's own value",
		}},
		{"specifier-in-env-file", "environment_files: [\"-/etc/hello/%I.env\"]", []string{"environment_files[0]: a '%' is literal here, so systemd reads a file named -/etc/hello/%I.env; write {instance}"}},
		{"placeholder-in-env", "environment: {PORT: \"{port}\"}", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc, err := Parse("svc.yaml", service(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			got := svc.Warnings()
			if len(got) != len(tc.want) {
				t.Fatalf("got %d warnings, want %d: %v", len(got), len(tc.want), got)
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i].Error(), w) {
					t.Errorf("warning %d = %v\nwant it to contain %q", i, got[i], w)
				}
			}
		})
	}
}
