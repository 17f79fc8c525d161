// Command gensystemdkeys writes internal/config/directives_systemd.go: the
// [Unit] and [Service] keys the installed systemd reads, so package config
// can refuse a raw unit:/service: key systemd would ignore (a typo such as
// MemoryMaxx is otherwise dropped by systemd with a log line nobody reads).
//
// The source is systemd's own parser table, not documentation: the
// load-fragment gperf table compiled into libsystemd-core-VERSION.so holds
// one "Section.Key" string per key systemd accepts. Some of those entries
// only exist to log "Support for option X= has been removed and it is
// ignored"; to find them, every key is loaded once by `systemd-analyze
// verify` (one tiny unit per key, all in one run of ~0.1 s), and a key
// systemd says it ignores is left out.
//
// Run from the repository root:
//
//	go run ./internal/tools/gensystemdkeys
//
// The test in this package fails when the checked-in table differs from
// what this machine's systemd says.
package main

import (
	"fmt"
	"os"
)

const out = "internal/config/directives_systemd.go"

func main() {
	src, err := generate()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gensystemdkeys:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(out, src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gensystemdkeys:", err)
		os.Exit(1)
	}
}
