package cli

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"os"
	"testing"
)

// childEnv makes the test binary act as sysroll: it reads the arguments
// (gob: any bytes, NUL included) from stdin and calls Run with buffers.
// The bad-input suite runs every case so, in a child with an address-space
// limit: a Go runtime fatal error (out of memory: no recover catches it)
// then fails that case instead of killing the test run, and a case that
// blocks (a FIFO) is killed at its timeout.
const childEnv = "SYSROLL_CLI_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(childMain())
	}
	os.Exit(m.Run())
}

func childMain() int {
	var args []string
	if err := gob.NewDecoder(os.Stdin).Decode(&args); err != nil {
		fmt.Fprintf(os.Stderr, "test child: reading the arguments: %v\n", err)
		return 125
	}
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), args, &stdout, &stderr)
	os.Stdout.Write(stdout.Bytes())
	os.Stderr.Write(stderr.Bytes())
	return code
}
