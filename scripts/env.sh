# Sourced by the scripts: puts Go and its tools on PATH.
export PATH="/usr/local/go/bin:$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin:$HOME/go/bin:$PATH"
