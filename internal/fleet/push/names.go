package push

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"
)

// tempPrefix starts every temp name, so the sweep recognises ours and
// nothing else (a dot: hidden from a plain ls of the directory).
const tempPrefix = ".sysroll-tmp-"

// tempName is a fresh temp name for final in the same directory (a rename
// within one file system is atomic). The random part keeps two
// controllers pushing the same file apart.
func tempName(final string) string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return tempPrefix + final + "-" + hex.EncodeToString(b[:])
}

// isTemp reports whether name is one of tempName's.
func isTemp(name string) bool { return strings.HasPrefix(name, tempPrefix) }

// binaryName is the content-addressed name of a binary with that sha256.
func binaryName(sha string) string { return "sysroll-" + sha[:12] }

var binaryNameRE = regexp.MustCompile(`^sysroll-[0-9a-f]{12}$`)

// entry is what the decisions below need of a directory entry.
type entry struct {
	Name  string
	MTime time.Time
	Dir   bool
	Size  int64
}

func entriesOf(infos []os.FileInfo) []entry {
	out := make([]entry, 0, len(infos))
	for _, fi := range infos {
		out = append(out, entry{Name: fi.Name(), MTime: fi.ModTime(), Dir: fi.IsDir(), Size: fi.Size()})
	}
	return out
}

// staleTemps are the temps in a directory that no live upload is writing:
// untouched for staleAfter by the host's clock now.
func staleTemps(entries []entry, now time.Time, staleAfter time.Duration) []entry {
	var out []entry
	for _, e := range entries {
		if !e.Dir && isTemp(e.Name) && now.Sub(e.MTime) >= staleAfter {
			out = append(out, e)
		}
	}
	return out
}

// resumeWindow is how far before a dead temp's end a resume starts: the
// writes of a copy are pipelined, so when it died some of the last ones
// may be missing while later ones landed (a hole). Everything before the
// writes that can be in flight at once is complete; 8 MiB covers 256
// writes of 32 KiB, more than any Concurrency a sane client sets.
const resumeWindow = 8 << 20

// resumePoint picks, among stale temps, the one a copy of final (size
// bytes) can resume, and the offset up to which it is trusted (checked
// by hash before use). It returns "" when none is worth it. The others
// are for the sweep.
func resumePoint(stale []entry, final string, size int64) (name string, offset int64) {
	prefix := tempPrefix + final + "-"
	for _, e := range stale {
		if !strings.HasPrefix(e.Name, prefix) || e.Size > size {
			continue
		}
		if off := e.Size - resumeWindow; off > offset {
			name, offset = e.Name, off
		}
	}
	return name, offset
}

// useStamp is the mtime to give current, the build just ensured: the
// host's now, or one second after the newest other build when that is
// later (SFTP carries whole seconds, and a clock may step back), so the
// current build is always strictly the newest.
func useStamp(entries []entry, current string, now time.Time) time.Time {
	stamp := now.Truncate(time.Second)
	for _, e := range entries {
		if e.Name != current && binaryNameRE.MatchString(e.Name) && !e.MTime.Before(stamp) {
			stamp = e.MTime.Truncate(time.Second).Add(time.Second)
		}
	}
	return stamp
}

// oldBuilds are the builds to remove so that keep remain: all but the keep
// newest by mtime (name breaks ties), never current. Files that are not
// builds are left alone.
func oldBuilds(entries []entry, current string, keep int) []string {
	var builds []entry
	for _, e := range entries {
		if !e.Dir && binaryNameRE.MatchString(e.Name) && e.Name != current {
			builds = append(builds, e)
		}
	}
	sort.Slice(builds, func(i, j int) bool {
		if !builds[i].MTime.Equal(builds[j].MTime) {
			return builds[i].MTime.After(builds[j].MTime)
		}
		return builds[i].Name > builds[j].Name
	})
	keep-- // current is one of them
	if keep < 0 {
		keep = 0
	}
	var out []string
	for i, b := range builds {
		if i >= keep {
			out = append(out, b.Name)
		}
	}
	return out
}
