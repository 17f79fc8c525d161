package config

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestWithInstances checks the host's file against a golden copy (run with
// -update to rewrite them) and, what matters on the host, that the file
// parses to exactly the host's instances with everything else unchanged.
var update = flag.Bool("update", false, "rewrite testdata/hostfile/*.golden from the current output")

func TestWithInstances(t *testing.T) {
	tests := []struct {
		name, file, golden string
		instances          []string
		counted            bool
		want               []string // InstanceNames of the result
	}{
		{"ports replace a flow list, comments kept", "commented.yaml", "flow", []string{"9001", "9002", "9003"}, false, []string{"9001", "9002", "9003"}},
		{"ports replace a block mapping", "block.yaml", "block", []string{"7001"}, false, []string{"7001"}},
		{"counted names stay counted", "names.yaml", "counted", []string{"1", "2", "3"}, true, []string{"1", "2", "3"}},
		{"names that YAML would read as other types stay strings", "names.yaml", "quoted", []string{"1e3", "yes", "web-1"}, false, []string{"1e3", "yes", "web-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("testdata/hostfile", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			out, err := WithInstances(tt.file, src, tt.instances, tt.counted)
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata/hostfile", tt.golden+".golden")
			if *update {
				if err := os.WriteFile(golden, out, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/config -run WithInstances -update)", err)
			}
			if !bytes.Equal(out, want) {
				t.Errorf("got\n%s\nwant (%s)\n%s", out, golden, want)
			}
			before, err := Parse(tt.file, src)
			if err != nil {
				t.Fatal(err)
			}
			after, err := Parse(tt.file, out)
			if err != nil {
				t.Fatalf("the host's file does not parse: %v\n%s", err, out)
			}
			if got := after.InstanceNames(); !slices.Equal(got, tt.want) {
				t.Errorf("instances = %v, want %v", got, tt.want)
			}
			after.Instances, before.Instances = Instances{}, Instances{}
			if a, b := after.Command, before.Command; a != b {
				t.Errorf("command changed: %q, was %q", a, b)
			}
			if a, b := after.Rollout.Batch, before.Rollout.Batch; a != b {
				t.Errorf("rollout.batch changed: %v, was %v", a, b)
			}
		})
	}
}

func TestWithInstancesRefuses(t *testing.T) {
	src := []byte("name: hello\ncommand: /bin/true\ninstances: [8081]\n")
	if _, err := WithInstances("x.yaml", src, nil, false); err == nil {
		t.Error("no instances: no error")
	}
	if _, err := WithInstances("x.yaml", []byte("name: [\n"), []string{"1"}, false); err == nil || !strings.Contains(err.Error(), "x.yaml") {
		t.Errorf("broken file: %v, want an error naming the file", err)
	}
	if _, err := WithInstances("x.yaml", []byte("name: hello\ncommand: /bin/true\n"), []string{"1"}, false); err == nil {
		t.Error("a file without instances: no error")
	}
	// The result is checked as a service file: a name config refuses is
	// refused here, on the controller.
	if _, err := WithInstances("x.yaml", src, []string{"bad name"}, false); err == nil {
		t.Error("an instance name with a space: no error")
	}
}
