package unitfile

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sysroll/sysroll/internal/config"
)

// lineRe is every line a rendered unit may have: a comment, a section header,
// a Key=value setting or nothing. Anything else would be an injection.
var lineRe = regexp.MustCompile(`^(#.*|\[(Unit|Service|Socket|Install)\]|[A-Za-z]+=.*|)$`)

// FuzzRender: whatever a service file says, a valid one renders, and the
// rendering keeps to one setting per line with no line continuation.
func FuzzRender(f *testing.F) {
	for _, glob := range []string{"testdata/*.yaml", "../config/testdata/*/*.yaml"} {
		seeds, _ := filepath.Glob(glob)
		for _, s := range seeds {
			if data, err := os.ReadFile(s); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		svc, err := config.Parse("fuzz.yaml", data)
		if err != nil {
			return
		}
		files, err := Render(svc, Paths{})
		if err != nil {
			if documentedRefusal(err) {
				return
			}
			t.Fatalf("valid service does not render: %v", err)
		}
		for _, f := range files {
			for i, line := range strings.Split(f.Content, "\n") {
				if !lineRe.MatchString(line) || strings.HasSuffix(line, `\`) {
					t.Fatalf("%s line %d is not a plain setting: %q", f.Name, i+1, line)
				}
			}
		}
	})
}

// documentedRefusal: Render refuses a valid service on purpose when the
// hardening needs user: (dynamic user), or when a unit:/service: value
// re-creates a lint pitfall (an error at that field). A lint finding on a
// line sysroll wrote itself ("rendered NAME line N") is a bug.
func documentedRefusal(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "dynamic user") ||
		strings.Contains(msg, "(sysroll lint rule ") && !strings.Contains(msg, ": rendered ")
}
