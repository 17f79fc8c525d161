#!/usr/bin/env bash
# The main job: a real rolling deploy under load, end to end, on a throwaway
# systemd (volatile systemd-nspawn container), torn down at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/deps.sh
exec go run ./internal/demo
