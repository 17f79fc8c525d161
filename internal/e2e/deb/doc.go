//go:build integration

// Package deb tests the Debian package end to end: it builds the .deb with
// scripts/deb.sh, installs it with dpkg inside a testbed container, uses
// what it installed (the binary, the man pages, the bash, zsh and fish
// completions), removes it and checks that nothing of it is left.
//
// The container runs the host's own /usr and dpkg database, so that dpkg
// sees the same system the package would be installed on; neither may
// change: /usr is a throwaway overlay and /var/lib/dpkg a copy (see
// testbed.Options). The test checks the host is untouched. Run as root:
//
//	go test -tags integration -count=1 -v ./internal/e2e/deb/
package deb
