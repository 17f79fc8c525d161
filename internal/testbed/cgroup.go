package testbed

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// With --keep-unit and no systemd on the host, systemd-nspawn runs the
// container in a "payload" child of its own cgroup. Two containers started
// from the same cgroup (two test packages, or Boot twice) then share
// payload/system.slice/... and trip over each other: one nspawn trimming
// empty cgroups at exit removed a unit's cgroup the other container's
// systemd had just made, and that unit's start failed with status 219
// (CGROUP). So each nspawn starts in a cgroup of its own, made here.

// cgroupMount is one cgroup hierarchy of interest: where it is mounted, the
// hierarchy path mounted there, and this process's path in it.
type cgroupMount struct {
	dir, root, self string
}

// containerCgroups creates a cgroup named name below this process's own in
// every hierarchy systemd-nspawn uses (the named "systemd" one of a legacy
// or hybrid host and the unified one) and returns their directories.
func containerCgroups(name string) ([]string, error) {
	mounts, err := cgroupMounts("/proc/self/mountinfo", "/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	if len(mounts) == 0 {
		return nil, errors.New("no cgroup hierarchy found")
	}
	var dirs []string
	for _, m := range mounts {
		rel, ok := strings.CutPrefix(m.self, m.root)
		if !ok {
			return dirs, fmt.Errorf("own cgroup %s is outside %s mounted at %s", m.self, m.root, m.dir)
		}
		d := filepath.Join(m.dir, rel, name)
		if err := os.Mkdir(d, 0o755); err != nil {
			return dirs, fmt.Errorf("create cgroup: %w", err)
		}
		dirs = append(dirs, d)
	}
	return dirs, nil
}

// OwnCgroupDirs are this process's cgroup directories in the hierarchies
// containers' cgroups are made in (containerCgroups makes them below
// these): where a sweep looks for what a killed run left.
func OwnCgroupDirs() []string {
	mounts, err := cgroupMounts("/proc/self/mountinfo", "/proc/self/cgroup")
	if err != nil {
		return nil
	}
	var dirs []string
	for _, m := range mounts {
		if rel, ok := strings.CutPrefix(m.self, m.root); ok {
			dirs = append(dirs, filepath.Join(m.dir, rel))
		}
	}
	return dirs
}

// cgroupMounts finds the named-systemd and unified hierarchies in
// mountinfo and this process's place in each (from /proc/self/cgroup).
func cgroupMounts(mountinfo, cgroup string) ([]cgroupMount, error) {
	own := map[string]string{} // "name=systemd" or "" (unified) -> path
	b, err := os.ReadFile(cgroup)
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) == 3 && (f[1] == "" || f[1] == "name=systemd") {
			own[f[1]] = f[2]
		}
	}
	mi, err := os.Open(mountinfo)
	if err != nil {
		return nil, err
	}
	defer mi.Close()
	var out []cgroupMount
	sc := bufio.NewScanner(mi)
	for sc.Scan() {
		// id parent maj:min root mountpoint opts [optional...] - fstype source superopts
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		f, g := strings.Fields(pre), strings.Fields(post)
		if !ok || len(f) < 5 || len(g) < 3 {
			continue
		}
		key := ""
		switch {
		case g[0] == "cgroup2":
		case g[0] == "cgroup" && slices.Contains(strings.Split(g[2], ","), "name=systemd"):
			key = "name=systemd"
		default:
			continue
		}
		if self, ok := own[key]; ok {
			out = append(out, cgroupMount{dir: unescapeMount(f[4]), root: unescapeMount(f[3]), self: self})
			delete(own, key) // the first mount of a hierarchy will do
		}
	}
	return out, sc.Err()
}

// unescapeMount undoes mountinfo's octal escapes of space, tab, newline, \.
func unescapeMount(s string) string {
	r := strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`)
	return r.Replace(s)
}

// removeCgroups removes the cgroups made for a container, deepest first;
// cgroups that still hold processes stay.
func removeCgroups(dirs []string) {
	for _, d := range dirs {
		var all []string
		filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
			if err == nil && e.IsDir() {
				all = append(all, p)
			}
			return nil
		})
		for _, p := range slices.Backward(all) {
			os.Remove(p)
		}
	}
}
