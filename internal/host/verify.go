package host

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sysroll/sysroll/internal/release"
)

// The world can change behind sysroll's back: a release directory deleted,
// a binary replaced, an instance's link removed or pointed elsewhere. A
// restart (or a revert) onto such a release stops an instance that then
// cannot start and cannot be put back. So before a verb touches an
// instance it checks the release that instance will start, and status
// reports every instance whose next start would fail.

// BrokenError says that the release an instance would start cannot be
// trusted, and how to repair it. Nothing was stopped when it is returned.
type BrokenError struct {
	Service string
	// Problems names each instance, the release and what differs.
	Problems []string
	// Fix is the repair to suggest.
	Fix string
}

func (e *BrokenError) Error() string {
	return fmt.Sprintf("%s: refused, no instance touched: %s\n  %s", e.Service, strings.Join(e.Problems, "\n  "), e.Fix)
}

// verifyRelease says why version's content is not what was staged, or ""
// if it is: release.Store.Verify is the one definition; this is only its
// wording, after "release VERSION: " which the callers write themselves.
func verifyRelease(store *release.Store, version string) (problem string) {
	err := store.Verify(version)
	if err == nil {
		return ""
	}
	if errors.Is(err, release.ErrNotFound) {
		if fi, serr := os.Lstat(store.Path(version)); serr != nil || !fi.IsDir() {
			return fmt.Sprintf("its directory %s is missing", store.Path(version))
		}
		return fmt.Sprintf("it is not staged (%v)", err)
	}
	return strings.TrimPrefix(err.Error(), "release "+version+": ")
}

// linkProblem reads an instance's link: the release it points at, or why
// its next start would fail ("" problem and "" version: no link at all).
func linkProblem(store *release.Store, inst string) (version, problem string) {
	v, err := store.Current(inst)
	if err != nil {
		// What is wrong may be the instance's directory itself (a link or
		// file planted there): say so, and read nothing through it.
		dir := filepath.Dir(store.CurrentPath(inst))
		if fi, derr := os.Lstat(dir); derr == nil && !fi.IsDir() {
			return "", fmt.Sprintf("its directory %s is %s, not a directory (never followed)", dir, release.DescribeType(fi.Mode()))
		}
		target, lerr := os.Readlink(store.CurrentPath(inst))
		if lerr != nil {
			return "", fmt.Sprintf("its link %s is not a symbolic link: %v", store.CurrentPath(inst), lerr)
		}
		return "", fmt.Sprintf("its link %s points at %q, outside the release store", store.CurrentPath(inst), target)
	}
	if v == "" {
		return "", fmt.Sprintf("its link %s is missing", store.CurrentPath(inst))
	}
	return v, ""
}

// nextStartProblem says why an instance's next start would fail, or "".
// verified caches verifyRelease per version: hashing a release is not free.
func nextStartProblem(store *release.Store, inst string, verified map[string]string) string {
	v, problem := linkProblem(store, inst)
	if problem != "" {
		return problem
	}
	p, ok := verified[v]
	if !ok {
		p = verifyRelease(store, v)
		verified[v] = p
	}
	if p != "" {
		return "release " + v + ": " + p
	}
	return ""
}
