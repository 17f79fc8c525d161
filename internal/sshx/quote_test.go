package sshx

import "testing"

func TestShellQuote(t *testing.T) {
	tests := []struct {
		argv []string
		want string
	}{
		{[]string{"sysroll", "status", "--json"}, "sysroll status --json"},
		{[]string{"echo", "a b"}, "echo 'a b'"},
		{[]string{"echo", ""}, "echo ''"},
		{[]string{"echo", "don't"}, `echo 'don'\''t'`},
		{[]string{"echo", "$(id)", "`id`", "*", "~", "#"}, `echo '$(id)' '` + "`id`" + `' '*' '~' '#'`},
		{[]string{"x=1"}, "'x=1'"},
		{[]string{"/var/lib/sysroll/.bin/sysroll-ab12", "deploy", "hello@8080", "--version", "v2.1+b"},
			"/var/lib/sysroll/.bin/sysroll-ab12 deploy hello@8080 --version v2.1+b"},
	}
	for _, tt := range tests {
		got, err := ShellQuote(tt.argv)
		if err != nil || got != tt.want {
			t.Errorf("ShellQuote(%q) = %q, %v; want %q", tt.argv, got, err, tt.want)
		}
	}
	for _, bad := range [][]string{nil, {"a\x00b"}} {
		if _, err := ShellQuote(bad); err == nil {
			t.Errorf("ShellQuote(%q) accepted", bad)
		}
	}
}
