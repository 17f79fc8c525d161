package unitfile

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/config"
)

// Verify asks the host's systemd about the rendered units. A host systemd
// older or newer than the key table cannot be had here, so the rendering is
// edited the way such a systemd would read it: a line it cannot parse. The
// error points at the service file field that wrote the line.
func TestVerifyOnHost(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("systemd-analyze is not installed; Verify passes without it")
	}
	src := "name: hello\ncommand: \"{release}/hello --port {port}\"\ninstances: [8081, 8082]\nunit: {Wants: postgresql.service}\nservice: {LimitNOFILE: 1024, MemoryMax: 256M}\n"
	svc, err := config.Parse("svc.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	render := func() Files {
		files, err := Render(svc, Paths{})
		if err != nil {
			t.Fatal(err)
		}
		return files
	}
	// As rendered: silent (the release binary and postgresql.service do
	// not exist here; those messages have no line and pass).
	if err := Verify(t.Context(), svc, render()); err != nil {
		t.Errorf("Verify of a valid rendering: %v", err)
	}
	tests := []struct{ name, from, to, want string }{
		{"raw value the host cannot parse", "LimitNOFILE=1024\n", "LimitNOFILE=lots\n",
			"svc.yaml:5:11: service.LimitNOFILE: systemd-analyze verify on this host: Failed to parse resource value"},
		{"raw key the host does not know", "MemoryMax=256M\n", "MemoryMaxx=256M\n",
			"service.MemoryMax: systemd-analyze verify on this host: Unknown key 'MemoryMaxx' in section [Service]"},
		{"sysroll's own line", "ProtectSystem=strict\n", "ProtectSystem=bogus\n",
			"rendered hello@.service line "},
	}
	for _, tt := range tests {
		files := render()
		if !strings.Contains(files[0].Content, tt.from) {
			t.Fatalf("%s: rendering lacks %q", tt.name, tt.from)
		}
		files[0].Content = strings.Replace(files[0].Content, tt.from, tt.to, 1)
		err := Verify(t.Context(), svc, files)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Verify = %v, want %q", tt.name, err, tt.want)
		}
	}
}
