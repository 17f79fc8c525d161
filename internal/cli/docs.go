package cli

import (
	"io"

	"github.com/spf13/cobra"
)

// Command returns sysroll's complete command tree, for generating the man
// pages and shell completions (internal/tools/gendocs). It is the tree Run
// executes, plus cobra's "completion" command, which cobra adds only when a
// command runs. Its output goes nowhere: it is for reading, not running.
func Command() *cobra.Command {
	root := newRoot(&globals{stdout: io.Discard, stderr: io.Discard})
	root.InitDefaultCompletionCmd()
	return root
}
