package unitfile

import (
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/config"
)

// Every instance gets its own state, cache and runtime directory and HOME in
// the first; what the service file sets itself wins.
func TestPrivateDirsAndHome(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*config.Service)
		paths   Paths
		want    []string
		notWant []string
	}{
		{"defaults", nil, Paths{},
			[]string{"StateDirectory=hello/%i\n", "CacheDirectory=hello/%i\n", "RuntimeDirectory=hello/%i\n", "Environment=HOME=/var/lib/hello/%i\n"}, nil},
		{"user manager: %S resolves the state root", nil, Paths{User: true, StateDir: "/home/a/.local/state/sysroll/hello"},
			[]string{"StateDirectory=hello/%i\n", "Environment=HOME=%S/hello/%i\n"}, nil},
		{"environment: HOME wins", func(s *config.Service) { s.Environment = map[string]string{"HOME": "/srv/h"} }, Paths{},
			[]string{"Environment=\"HOME=/srv/h\"\n", "StateDirectory=hello/%i\n"}, []string{"HOME=/var/lib"}},
		{"an empty HOME is theirs too", func(s *config.Service) { s.Environment = map[string]string{"HOME": ""} }, Paths{},
			[]string{"Environment=\"HOME=\"\n"}, []string{"HOME=/var/lib"}},
		{"their StateDirectory wins, HOME follows it", func(s *config.Service) {
			s.ServiceExtra = config.Directives{"StateDirectory": {"hello/data hello/other"}}
		}, Paths{}, []string{"StateDirectory=hello/data hello/other\n", "Environment=HOME=/var/lib/hello/data\n", "CacheDirectory=hello/%i\n"},
			[]string{"StateDirectory=hello/%i"}},
		{"their RuntimeDirectory wins", func(s *config.Service) {
			s.ServiceExtra = config.Directives{"RuntimeDirectory": {"hello"}}
		}, Paths{}, []string{"RuntimeDirectory=hello\n", "StateDirectory=hello/%i\n"}, []string{"RuntimeDirectory=hello/%i"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := config.Default()
			s.Name, s.Command, s.Instances = "hello", "{release}/hello --port {port}", config.Instances{List: []string{"8081"}}
			if tt.edit != nil {
				tt.edit(s)
			}
			files, err := Render(s, tt.paths)
			if err != nil {
				t.Fatal(err)
			}
			f, _ := files.Get("hello@.service")
			for _, w := range tt.want {
				if !strings.Contains(f.Content, w) {
					t.Errorf("missing %q in\n%s", w, f.Content)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(f.Content, w) {
					t.Errorf("unexpected %q in\n%s", w, f.Content)
				}
			}
		})
	}
}
