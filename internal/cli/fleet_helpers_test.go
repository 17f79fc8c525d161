package cli

import (
	"os"
	"path/filepath"
	"testing"
)

// fleetFixture is the files the fleet verbs' CLI tests run on: a fleet of
// two hosts that cannot be reached (loopback port 1: connection refused at
// once), the same service without a fleet, and an ssh_config that trusts
// no key file of the machine's.
type fleetFixture struct {
	dir, fleet, single, sshConfig string
}

func newFleetFixture(t *testing.T) fleetFixture {
	t.Helper()
	x := fleetFixture{dir: t.TempDir()}
	base := "name: hello\ncommand: \"{release}/app\"\ninstances: [8081]\n"
	x.fleet = x.write(t, "fleet.yaml", base+"hosts:\n  - {name: web1, address: 127.0.0.1, port: 1}\n  - {name: web2, address: 127.0.0.2, port: 1}\nfleet:\n  hosts: {batch: 1}\n")
	x.single = x.write(t, "single.yaml", base)
	x.sshConfig = x.write(t, "ssh_config", "Host *\n  UserKnownHostsFile /dev/null\n  ConnectTimeout 5\n")
	return x
}

// write writes a file of the fixture and returns its path.
func (x fleetFixture) write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(x.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
