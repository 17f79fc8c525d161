// Command gendocs writes sysroll's man pages (one per command, as cobra's doc
// package renders them) and its bash, zsh and fish completions, for the
// Debian package (scripts/deb.sh). It is a build tool, not something users
// run, hence here and not under cmd/.
//
//	go run ./internal/tools/gendocs -out DIR -version 1.2.3
//
// writes DIR/man/sysroll.1, DIR/man/sysroll-deploy.1, ... and
// DIR/completion/{sysroll.bash,_sysroll,sysroll.fish}. The pages' date is
// SOURCE_DATE_EPOCH when set (reproducible builds), else today.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	out := flag.String("out", "", "directory to write man/ and completion/ into (required)")
	version := flag.String("version", "", "version shown in the man pages' footer")
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := generate(*out, *version); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}
