package release

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Quarantined is a state file that was found corrupt and moved aside:
// renamed to ORIGINAL.corrupt-20261201T111500Z in its directory, never
// overwritten and never deleted by sysroll, so whoever repairs the service
// can still look at it. Remove it by hand once it is understood.
type Quarantined struct {
	Path     string    `json:"path"`     // where it is now
	Original string    `json:"original"` // the path it had
	What     string    `json:"what"`     // "rollout record", "known-good history", ...
	Reason   string    `json:"reason"`   // what was wrong with it
	When     time.Time `json:"when"`     // when it was moved aside
}

// whySuffix names the note kept beside a quarantined file: what it was and
// why it was moved. Its name contains corruptMark too, so nothing that
// lists the store mistakes it for state.
const whySuffix = ".why"

const stampLayout = "20060102T150405Z"

// Quarantine moves the corrupt file (or link, or directory) at path aside
// to PATH.corrupt-STAMP, without following it if it is a link, and keeps a
// note of what it was and why. It returns the new path. It never replaces
// an earlier quarantined file. The package's own readers call it; install
// calls it for applied.json.
func Quarantine(path, what string, cause error) (string, error) {
	now := time.Now().UTC()
	base := path + corruptMark + now.Format(stampLayout)
	moved := base
	for i := 1; ; i++ {
		err := unix.Renameat2(unix.AT_FDCWD, path, unix.AT_FDCWD, moved, unix.RENAME_NOREPLACE)
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) {
			// A filesystem without RENAME_NOREPLACE: check, then rename.
			if _, lerr := os.Lstat(moved); lerr == nil {
				err = unix.EEXIST
			} else {
				err = os.Rename(path, moved)
			}
		}
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EEXIST) || i == 100 {
			return "", fmt.Errorf("quarantine %s %s: %w", what, path, err)
		}
		moved = base + "-" + strconv.Itoa(i)
	}
	note, _ := json.MarshalIndent(Quarantined{Original: path, What: what, Reason: reasonOf(cause), When: now}, "", "  ")
	// The note is a convenience: without it the file is still aside and
	// listed, with its original name and time from its own name.
	_ = WriteFileAtomic(moved+whySuffix, append(note, '\n'), 0o600)
	_ = syncDir(filepath.Dir(path))
	return moved, nil
}

// reasonOf is the cause without the file's path, which the note has apart.
func reasonOf(err error) string {
	if ce, ok := errors.AsType[*CorruptError](err); ok {
		return ce.Err.Error()
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

// quarantine moves a corrupt file aside and returns the error to report:
// ce with Moved set, or, if the move failed, ce joined with why.
func quarantine(ce *CorruptError) error {
	moved, err := Quarantine(ce.Path, ce.What, ce)
	if err != nil {
		return errors.Join(ce, err)
	}
	ce.Moved = moved
	return ce
}

// Quarantined lists every file moved aside in this store, oldest first.
func (s *Store) Quarantined() ([]Quarantined, error) {
	dirs := []string{s.dir, filepath.Join(s.dir, releasesDir), filepath.Join(s.dir, rolloutsDir), filepath.Join(s.dir, instancesDir)}
	if entries, err := os.ReadDir(filepath.Join(s.dir, instancesDir)); err == nil {
		for _, e := range entries {
			if e.IsDir() && validName("instance", e.Name()) == nil {
				dirs = append(dirs, filepath.Join(s.dir, instancesDir, e.Name()))
			}
		}
	}
	var out []Quarantined
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list quarantined files in %s: %w", dir, err)
		}
		for _, e := range entries {
			if q, ok := readQuarantined(dir, e.Name()); ok {
				out = append(out, q)
			}
		}
	}
	slices.SortFunc(out, func(a, b Quarantined) int {
		if c := a.When.Compare(b.When); c != 0 {
			return c
		}
		return strings.Compare(a.Path, b.Path)
	})
	return out, nil
}

// readQuarantined describes dir/name if it is a quarantined file (not its
// note): from its note when there is one, else from its name.
func readQuarantined(dir, name string) (Quarantined, bool) {
	orig, stamp, ok := strings.Cut(name, corruptMark)
	if !ok || orig == "" || strings.HasSuffix(name, whySuffix) || strings.Contains(name, tmpPrefix) {
		return Quarantined{}, false
	}
	path := filepath.Join(dir, name)
	q := Quarantined{Path: path, Original: filepath.Join(dir, orig), What: "state file", Reason: "(no note kept)"}
	if len(stamp) >= len(stampLayout) {
		q.When, _ = time.Parse(stampLayout, stamp[:len(stampLayout)])
	}
	if data, err := readState("quarantine note", path+whySuffix, 64<<10); err == nil {
		var note Quarantined
		if json.Unmarshal(data, &note) == nil {
			q.What, q.Reason = note.What, note.Reason
		}
	}
	return q, true
}

// quarantinedAs returns the quarantined copies of path, newest last.
func quarantinedAs(path string) []string {
	matches, _ := filepath.Glob(globEscape(path) + corruptMark + "*")
	var out []string
	for _, m := range matches {
		if !strings.HasSuffix(m, whySuffix) && !strings.Contains(filepath.Base(m), tmpPrefix) {
			out = append(out, m)
		}
	}
	slices.Sort(out)
	return out
}

// globEscape quotes the pattern characters a store path may contain.
func globEscape(p string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`)
	return r.Replace(p)
}
