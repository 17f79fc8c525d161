package sshx

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testdata/*.ssh-G are `ssh -G -F testdata/ssh_config HOST` as printed by
// OpenSSH 9.2 (Debian 12).
func TestParseSSHG(t *testing.T) {
	tests := []struct {
		file string
		want Target
	}{
		{"web1.ssh-G", Target{
			Name: "web1", HostName: "10.1.2.3", Port: 2222, User: "deploy",
			IdentityFiles:         []string{"~/.ssh/fleet_ed25519", "/etc/sysroll/deploy_key"},
			IdentitiesOnly:        true,
			ProxyJump:             []string{"ops@bastion:2200", "bastion2"},
			UserKnownHostsFiles:   []string{"/root/.ssh/fleet_known_hosts"},
			GlobalKnownHostsFiles: []string{"/etc/ssh/fleet_known_hosts"},
			HostKeyAlias:          "web1.fleet",
			ConnectTimeout:        7 * time.Second,
			ServerAliveInterval:   4 * time.Second,
			ServerAliveCountMax:   2,
			Warnings: []string{"host web1: StrictHostKeyChecking false is ignored: sysroll always verifies host keys " +
				"(add the key to known_hosts, or use accept-new for first contact)"},
		}},
		{"db.lab.ssh-G", Target{
			Name: "db.lab", HostName: "db.lab", Port: 22, User: "lab",
			IdentityFiles: []string{"~/.ssh/id_rsa", "~/.ssh/id_ecdsa", "~/.ssh/id_ecdsa_sk", "~/.ssh/id_ed25519",
				"~/.ssh/id_ed25519_sk", "~/.ssh/id_xmss", "~/.ssh/id_dsa"},
			GlobalKnownHostsFiles: []string{"/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"},
			ServerAliveCountMax:   3,
			Warnings: []string{"host db.lab: StrictHostKeyChecking accept-new in the SSH config is ignored: " +
				"sysroll adds unknown keys only when asked to on its command line"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			out, err := os.ReadFile("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseSSHG(tt.want.Name, out)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseSSHGErrors(t *testing.T) {
	for _, in := range []string{"port 0", "port http", "connecttimeout soon", "serveralivecountmax -1", "serveraliveinterval 1.5"} {
		key := strings.Fields(in)[0]
		_, err := ParseSSHG("h", []byte("hostname h\n"+in+"\n"))
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%q: err = %v, want one naming %s", in, err, key)
		}
	}
}

func TestOpenSSHResolverCommand(t *testing.T) {
	var gotArgs []string
	r := &OpenSSHResolver{ConfigFile: "/etc/sysroll/ssh_config", Run: func(_ context.Context, name string, args ...string) ([]byte, error) {
		gotArgs = append([]string{name}, args...)
		return []byte("hostname 10.0.0.5\nuser u\nport 22\n"), nil
	}}
	tg, err := r.Resolve(context.Background(), "web1")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"ssh", "-G", "-F", "/etc/sysroll/ssh_config", "--", "web1"}; !reflect.DeepEqual(gotArgs, want) {
		t.Errorf("ran %q, want %q", gotArgs, want)
	}
	if tg.Name != "web1" || tg.HostName != "10.0.0.5" || tg.Addr() != "10.0.0.5:22" {
		t.Errorf("target %+v", tg)
	}
	// An inventory name that looks like an option never reaches ssh.
	gotArgs = nil
	if _, err := r.Resolve(context.Background(), "-oProxyCommand=touch /tmp/x"); err == nil || gotArgs != nil {
		t.Errorf("option-like host: err %v, ran %q", err, gotArgs)
	}
	failing := &OpenSSHResolver{Run: func(context.Context, string, ...string) ([]byte, error) {
		return nil, errors.New("exit status 255: Bad configuration option")
	}}
	if _, err := failing.Resolve(context.Background(), "web1"); err == nil ||
		!strings.Contains(err.Error(), "web1") || !strings.Contains(err.Error(), "Bad configuration option") {
		t.Errorf("err = %v, want the host and ssh's message", err)
	}
}

// The real ssh binary on the fixture config (ssh -G opens no connection).
func TestOpenSSHResolverLive(t *testing.T) {
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Skip("no ssh client on PATH (Debian: openssh-client)")
	}
	tg, err := (&OpenSSHResolver{ConfigFile: "testdata/ssh_config"}).Resolve(context.Background(), "web1")
	if err != nil {
		t.Fatal(err)
	}
	if tg.HostName != "10.1.2.3" || tg.Port != 2222 || tg.User != "deploy" || tg.HostKeyAlias != "web1.fleet" ||
		!reflect.DeepEqual(tg.ProxyJump, []string{"ops@bastion:2200", "bastion2"}) || tg.ConnectTimeout != 7*time.Second ||
		len(tg.Warnings) != 1 || !tg.IdentitiesOnly {
		t.Errorf("resolved %+v", tg)
	}
}

func TestOverridesApply(t *testing.T) {
	base := Target{Name: "web1", HostName: "10.1.2.3", Port: 2222, User: "deploy",
		IdentityFiles: []string{"~/.ssh/a", "~/.ssh/b"}, IdentitiesOnly: true, ProxyJump: []string{"bastion"}}
	tests := []struct {
		name string
		o    Overrides
		want func(Target) Target
	}{
		{"none", Overrides{}, func(t Target) Target { return t }},
		{"address port user", Overrides{Address: "192.0.2.7", Port: 22, User: "root"}, func(t Target) Target {
			t.HostName, t.Port, t.User = "192.0.2.7", 22, "root"
			return t
		}},
		{"identity goes first, once", Overrides{Identity: "~/.ssh/b"}, func(t Target) Target {
			t.IdentityFiles = []string{"~/.ssh/b", "~/.ssh/a"}
			return t
		}},
		{"jump replaces", Overrides{Jump: "ops@b1:2200,b2"}, func(t Target) Target {
			t.ProxyJump = []string{"ops@b1:2200", "b2"}
			return t
		}},
		{"jump none removes", Overrides{Jump: "none"}, func(t Target) Target {
			t.ProxyJump = nil
			return t
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := base
			in.IdentityFiles = append([]string(nil), base.IdentityFiles...)
			if got, want := tt.o.Apply(in), tt.want(base); !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
	inv := &Inventory{Base: mapResolver{"web1": base}, Hosts: map[string]Overrides{"web1": {User: "root"}}}
	if tg, err := inv.Resolve(context.Background(), "web1"); err != nil || tg.User != "root" || tg.HostName != "10.1.2.3" {
		t.Errorf("Inventory.Resolve = %+v, %v", tg, err)
	}
}

func TestParseJump(t *testing.T) {
	tests := []struct {
		in   string
		want JumpSpec
		err  bool
	}{
		{"bastion", JumpSpec{Host: "bastion"}, false},
		{"ops@bastion:2200", JumpSpec{User: "ops", Host: "bastion", Port: 2200}, false},
		{"ssh://ops@bastion:2200", JumpSpec{User: "ops", Host: "bastion", Port: 2200}, false},
		{"[2001:db8::1]:2200", JumpSpec{Host: "2001:db8::1", Port: 2200}, false},
		{"2001:db8::1", JumpSpec{Host: "2001:db8::1"}, false},
		{"a@b@c", JumpSpec{User: "a@b", Host: "c"}, false},
		{"", JumpSpec{}, true},
		{"@bastion", JumpSpec{}, true},
		{"bastion:0", JumpSpec{}, true},
		{"bastion:ssh", JumpSpec{}, true},
		{"-oProxyCommand=x", JumpSpec{}, true},
		{"[::1", JumpSpec{}, true},
	}
	for _, tt := range tests {
		got, err := ParseJump(tt.in)
		if (err != nil) != tt.err || (!tt.err && got != tt.want) {
			t.Errorf("ParseJump(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestKnownHostsName(t *testing.T) {
	tests := []struct {
		t    Target
		want string
	}{
		{Target{HostName: "web1", Port: 22}, "web1:22"},
		{Target{HostName: "web1", Port: 2222}, "web1:2222"},
		{Target{HostName: "2001:db8::1", Port: 22}, "[2001:db8::1]:22"},
		{Target{HostName: "10.0.0.1", Port: 2222, HostKeyAlias: "web1.fleet"}, "web1.fleet:22"},
	}
	for _, tt := range tests {
		if got := tt.t.KnownHostsName(); got != tt.want {
			t.Errorf("%+v: KnownHostsName = %q, want %q", tt.t, got, tt.want)
		}
	}
}
