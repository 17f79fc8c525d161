#!/usr/bin/env bash
# All of sysroll's tests: static checks, fast unit tests, then the integration
# tests against a real systemd (a throwaway systemd-nspawn container per test
# package), real HAProxy and real SSH. Needs root for the containers.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/deps.sh
command -v staticcheck >/dev/null || go install honnef.co/go/tools/cmd/staticcheck@v0.8.2

echo "== gofmt"
bad=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$bad" ]; then echo "gofmt needed:"; echo "$bad"; exit 1; fi
echo "== go vet"
go vet ./...
go vet -tags integration ./...
(cd graceful && go vet ./...)
echo "== staticcheck"
staticcheck ./...
staticcheck -tags integration ./...
(cd graceful && staticcheck ./...)
echo "== unit tests"
go test -count=1 ./...
echo "== graceful (its own module)"
(cd graceful && go test -count=1 ./...)
echo "== integration tests (real systemd in systemd-nspawn)"
if [ "$(id -u)" != 0 ]; then echo "integration tests need root (systemd-nspawn)" >&2; exit 2; fi
# -p 2: each package boots its own container; two at a time fits 2 cores.
log=$(mktemp /tmp/sysroll-integration.XXXXXX.log)
set +e
go test -count=1 -p 2 -v -tags integration -timeout 30m ./... >"$log" 2>&1
status=$?
set -e
# Show each top-level test's verdict (so a skip would be visible), every
# failure in full, and a count.
grep -E '^(--- (PASS|FAIL|SKIP)|ok |FAIL|panic:)|^\s+--- FAIL|_test.go:[0-9]+:' "$log" || true
pass=$(grep -cE '^\s*--- PASS' "$log" || true)
fail=$(grep -cE '^\s*--- FAIL' "$log" || true)
skip=$(grep -cE '^\s*--- SKIP' "$log" || true)
echo "tests: $pass passed, $fail failed, $skip skipped"
echo "(full log: $log)"
left=$(pgrep -a systemd-nspawn || true)
if [ -n "$left" ]; then echo "containers left behind:"; echo "$left"; exit 1; fi
exit "$status"
