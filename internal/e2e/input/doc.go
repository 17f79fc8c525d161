//go:build integration

// Package input tests sysroll's handling of hostile and surprising input
// end to end: the real binary, inside a testbed container with a real
// systemd. Files that are not files (FIFO, /dev/zero, a directory), YAML
// bombs and invalid text must give exit 2 at once with a message naming the
// file and the rule, never a Go runtime error; and the durations a service
// file may hold must reach systemd as the values they say.
//
// Every test uses its own service name and ports (23800-23849). Run as root:
//
//	go test -tags integration -p 1 -count=1 -v ./internal/e2e/input/
package input
