package config

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// WithInstances returns the service file data with its top-level
// instances: replaced by instances, for a
// host whose inventory entry overrides them. The fleet copies this file to
// that host, so the host's own sysroll (status, deploy, the host step of a
// fleet rollout) runs exactly that host's instances without knowing about
// inventories. Comments and the rest of the file are kept as written.
//
// counted says the names are 1..N from {count: N} (not ports), and is
// written back that way; otherwise ports are written as numbers and other
// names quoted, so that a name such as "1e3" or "yes" stays a string.
// The result is parsed again before it is returned: a file this function
// broke would be refused here, not on the host.
func WithInstances(name string, data []byte, instances []string, counted bool) ([]byte, error) {
	if len(instances) == 0 {
		return nil, fmt.Errorf("%s: no instances to write", name)
	}
	value := instancesYAML(instances, counted)
	f, err := parser.ParseBytes(data, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	out, err := replaceInstances(f, value)
	if err != nil {
		return nil, fmt.Errorf("%s: set the host's instances: %w", name, err)
	}
	if _, err := Parse(name, out); err != nil {
		return nil, fmt.Errorf("the service file with the host's instances %s: %w", value, err)
	}
	return out, nil
}

// instancesYAML is the flow form of instances.
func instancesYAML(instances []string, counted bool) string {
	if counted {
		return fmt.Sprintf("{count: %d}", len(instances))
	}
	parts := make([]string, len(instances))
	for i, n := range instances {
		if p, err := strconv.Atoi(n); err == nil && strconv.Itoa(p) == n {
			parts[i] = n
		} else {
			parts[i] = strconv.Quote(n)
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func replaceInstances(f *ast.File, value string) ([]byte, error) {
	p, err := yaml.PathString("$.instances")
	if err != nil {
		return nil, err
	}
	if _, err := p.FilterFile(f); err != nil {
		// instances: is required in a service file, so this is a file
		// Parse refuses anyway.
		return nil, fmt.Errorf("no top-level instances: %w", err)
	}
	if err := p.ReplaceWithReader(f, strings.NewReader(value)); err != nil {
		return nil, err
	}
	out := f.String()
	if !strings.HasSuffix(out, "\n") {
		out += "\n"
	}
	return []byte(out), nil
}
