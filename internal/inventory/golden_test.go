package inventory

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the testdata golden files")

// render is a stable text form of an inventory for golden files.
func render(inv *Inventory) string {
	var b strings.Builder
	fmt.Fprintf(&b, "groups: %s\n", strings.Join(inv.Groups, " "))
	for _, h := range inv.Hosts {
		fmt.Fprintf(&b, "%s address=%s port=%d user=%s identity=%s jump=%s become=%v\n",
			h.Name, h.Address, h.Port, h.User, h.Identity, h.Jump, h.Become)
		var labels []string
		for _, k := range sortedKeys(h.Labels) {
			labels = append(labels, k+"="+h.Labels[k])
		}
		inst := "-"
		if h.Instances != nil {
			inst = strings.Join(h.Instances, ",")
		}
		fmt.Fprintf(&b, "  groups=%s labels=%s instances=%s source=%s\n",
			strings.Join(h.Groups, ","), strings.Join(labels, ","), inst, h.Source)
	}
	return b.String()
}

// golden compares got with path's content, or rewrites it under -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s--- want\n%s", path, got, want)
	}
}

func inputs(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	files = slices.DeleteFunc(files, func(f string) bool { return strings.HasSuffix(f, ".golden") })
	if len(files) == 0 {
		t.Fatalf("no files in testdata/%s", dir)
	}
	return files
}

// Every good inventory parses to its golden rendering, through ReadFile.
func TestGoodInventories(t *testing.T) {
	for _, path := range inputs(t, "good") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			inv, err := ReadFile(path)
			if err != nil {
				t.Fatalf("ReadFile: %v", err)
			}
			golden(t, path+".golden", render(inv))
		})
	}
}

// Every bad inventory is refused with its golden error text, which names
// the file and a line.
func TestBadInventories(t *testing.T) {
	files := inputs(t, "bad")
	if len(files) < 30 {
		t.Errorf("only %d bad inventories, want at least 30", len(files))
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			inv, err := ReadFile(path)
			if err == nil {
				t.Fatalf("ReadFile succeeded:\n%s", render(inv))
			}
			if inv != nil {
				t.Error("an Inventory came back with the error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, path+":") {
				t.Errorf("error does not start with %s:line: %v", path, msg)
			}
			golden(t, path+".golden", strings.ReplaceAll(msg, path, "FILE")+"\n")
		})
	}
}
