package diagnose

// ReadLines is how many journal lines of a failed instance are read for
// its hints: the line that names the sandbox's refusal (a Python
// traceback's last line) is often followed by a dozen of the app's and
// systemd's own about the exit and the restart.
const ReadLines = 40

// Failure splits the last journal lines of a failed instance (ReadLines of
// them, oldest first) into the last show lines, for the operator, and the
// hints all of them support.
func Failure(lines []string, show int) (shown []string, hints []Hint) {
	hints = Journal(lines)
	if len(lines) > show {
		lines = lines[len(lines)-show:]
	}
	return lines, hints
}
