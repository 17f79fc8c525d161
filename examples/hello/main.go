package main

import (
	"context"
	"os"
)

// version is the release's version, stamped at build time with
// -ldflags "-X main.version=..."; --version overrides it.
var version = "dev"

func main() {
	// No signal handling here: graceful.Server handles SIGTERM, SIGINT and
	// SIGHUP itself (a second SIGTERM cuts the drain short).
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}
