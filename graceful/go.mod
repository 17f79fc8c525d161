module github.com/sysroll/sysroll/graceful

// The oldest Go this library promises to build with: the release before the
// one sysroll itself is built with, so an application need not upgrade Go to
// import it. testing/synctest (used by the tests) needs 1.25.
go 1.25.0

require golang.org/x/sys v0.47.0
