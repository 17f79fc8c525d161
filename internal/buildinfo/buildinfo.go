// Package buildinfo says which build of sysroll this is. The release build
// (scripts/build.sh) stamps Version, Commit and Date with
//
//	go build -ldflags "-X github.com/sysroll/sysroll/internal/buildinfo.Version=..."
//
// A plain `go build` or `go install` stamps nothing: then Get falls back to
// what the Go toolchain recorded itself (vcs.revision, vcs.time,
// vcs.modified), so even such a binary can tell which commit it is.
package buildinfo

import (
	"runtime"
	"runtime/debug"
)

// Stamped at build time with -ldflags -X (they must stay plain string
// variables for that). Version is the Debian-valid upstream version that
// scripts/version.sh derives from `git describe`, Commit the full commit
// hash, Date the build date in RFC 3339 (SOURCE_DATE_EPOCH when set, so that
// builds are reproducible; else the commit's time).
var (
	Version = "dev"
	Commit  = ""
	Date    = ""
)

// Info is what `sysroll version` prints; the JSON keys are a stable
// interface for scripts.
type Info struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Date    string `json:"date"`
	Go      string `json:"go"`
	OS      string `json:"os"`
	Arch    string `json:"arch"`
}

// Get returns this binary's build information.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return resolve(Version, Commit, Date, bi)
}

// resolve fills what was not stamped from the toolchain's own record (bi may
// be nil). A binary built from a modified tree gets "-dirty" on its commit,
// as `git describe --dirty` would say.
func resolve(version, commit, date string, bi *debug.BuildInfo) Info {
	info := Info{Version: version, Commit: commit, Date: date, Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if bi == nil {
		return info
	}
	var rev, at string
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if info.Commit == "" && rev != "" {
		info.Commit = rev
		if modified {
			info.Commit += "-dirty"
		}
	}
	if info.Date == "" {
		info.Date = at
	}
	// `go install module@vX.Y.Z` records the module's version, and since Go
	// 1.24 `go build` in a git checkout records a pseudo-version
	// (v0.0.0-DATE-COMMIT, "+dirty" for a modified tree).
	if info.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		info.Version = bi.Main.Version
	}
	return info
}
