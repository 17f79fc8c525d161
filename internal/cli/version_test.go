package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/buildinfo"
	"github.com/sysroll/sysroll/internal/schema"
)

// version --json carries what the fleet handshake decides on: the
// protocol, the running binary's sha256 (here the test binary's) and the
// boot ID, besides the build fields it always had.
func TestVersionJSONHandshake(t *testing.T) {
	out, stderr, code := run(t, "version", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var v schema.Version
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	exe, err := os.ReadFile("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(exe)
	if v.Schema != schema.VersionV1 || v.Protocol != schema.FleetProtocol || v.SHA256 != hex.EncodeToString(sum[:]) || v.Error != "" {
		t.Errorf("version --json = %+v; want protocol %d, sha256 %x", v, schema.FleetProtocol, sum)
	}
	if len(v.BootID) != 36 {
		t.Errorf("boot_id %q is not a UUID", v.BootID)
	}
	for _, key := range []string{`"version":`, `"commit":`, `"date":`, `"go":`, `"os":`, `"arch":`} {
		if !strings.Contains(out, key) {
			t.Errorf("version --json lost %s: %s", key, out)
		}
	}
}

// What cannot be read is said, not guessed; the rest is still printed.
func TestVersionDocUnreadable(t *testing.T) {
	dir := t.TempDir()
	v := versionDoc(buildinfo.Info{Version: "dev"}, filepath.Join(dir, "no-exe"), filepath.Join(dir, "no-boot-id"))
	if v.SHA256 != "" || v.BootID != "" || !strings.Contains(v.Error, "no-exe") || !strings.Contains(v.Error, "no-boot-id") {
		t.Errorf("versionDoc = %+v", v)
	}
	if v.Protocol != schema.FleetProtocol || v.Version != "dev" {
		t.Errorf("versionDoc lost fields: %+v", v)
	}
}
